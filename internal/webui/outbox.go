package webui

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"strings"

	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Outbox sends the identity mails (reset and invitation links).
type Outbox interface {
	// Send queues msg; env is the system's Env inside a write transaction.
	Send(ctx context.Context, env *orm.Env, msg mail.Message) error
}

// mailQueue queues mails in mail.mail, from which the mail transport sends them.
type mailQueue struct{}

func (mailQueue) Send(ctx context.Context, env *orm.Env, msg mail.Message) error {
	if _, ok := env.Registry().Model(mail.Model); !ok {
		return errors.New("mail is not installed: cannot send the link")
	}
	_, err := mail.Queue(ctx, env, msg)
	return err
}

var linkMail = template.Must(template.New("mail").Parse(`<p>Hello {{.Name}},</p>
<p>{{.Intro}}</p>
<p><a href="{{.URL}}">{{.Action}}</a></p>
<p>The link works once and expires in {{.Validity}}. If you did not expect this message, ignore it.</p>`))

type linkMailData struct {
	Name, Intro, Action, Validity string
	URL                           template.URL
}

func renderLinkMail(d linkMailData) (string, error) {
	var buf bytes.Buffer
	if err := linkMail.Execute(&buf, d); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// safeMailURL marks a link this package built (origin of the request plus a signed
// token, all query-escaped) as a URL for the mail template.
func safeMailURL(s string) template.URL {
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return ""
	}
	return template.URL(s)
}
