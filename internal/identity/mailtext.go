package identity

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/instant-erp/instanterp/internal/mail"
)

type linkMailData struct {
	Name, Tenant, URL, Validity, Intro, Action string
}

var (
	linkText = texttemplate.Must(texttemplate.New("text").Parse(`Hello {{.Name}},

{{.Intro}}

{{.Action}}: {{.URL}}

The link works once and expires in {{.Validity}}. If you did not expect this mail, ignore it: nothing changes until the link is used.
`))
	linkHTML = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html><body>
<p>Hello {{.Name}},</p>
<p>{{.Intro}}</p>
<p><a href="{{.URL}}">{{.Action}}</a></p>
<p>The link works once and expires in {{.Validity}}. If you did not expect this mail, ignore it: nothing changes until the link is used.</p>
</body></html>
`))
)

// linkMail renders the mail carrying a reset or invitation link. html/template
// escapes the user's name and the link; the text part has no markup to escape.
func linkMail(kind LinkKind, tenant, name, to, link string) (mail.Message, error) {
	d := linkMailData{Name: oneLine(name), Tenant: oneLine(tenant), URL: link}
	subject := "Reset your password"
	switch kind {
	case InvitationLink:
		d.Intro = "You have been invited to use Instant-ERP"
		if d.Tenant != "" {
			d.Intro += " (" + d.Tenant + ")"
		}
		d.Intro += ". Choose your password to sign in."
		d.Action, d.Validity, subject = "Choose your password", "6 days", "Your invitation to Instant-ERP"
	default:
		d.Intro = "Someone asked to reset the password of your account."
		d.Action, d.Validity = "Choose a new password", "4 hours"
	}
	if d.Name == "" {
		d.Name = to
	}
	var text, html bytes.Buffer
	if err := linkText.Execute(&text, d); err != nil {
		return mail.Message{}, fmt.Errorf("render link mail: %w", err)
	}
	if err := linkHTML.Execute(&html, d); err != nil {
		return mail.Message{}, fmt.Errorf("render link mail: %w", err)
	}
	return mail.Message{To: []string{to}, Subject: subject, Text: text.String(), HTML: html.String()}, nil
}

// oneLine keeps a name from adding lines to a plain-text mail.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
