package webui_test

import "github.com/instant-erp/instanterp/internal/erp/mail"

type mailMessage = mail.Message
