package webui_test

import "github.com/instant-erp/instanterp/internal/mail"

type mailMessage = mail.Message
