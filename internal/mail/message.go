package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
)

// Limits on one message, so a caller's mistake cannot fill the disk or the queue.
const (
	MaxRecipients = 50
	MaxSubject    = 998 // the longest header line RFC 5322 allows
	MaxBody       = 4 << 20
	maxAddress    = 254
)

// Message is one mail to send. Text is required; HTML is an optional alternative
// built by the caller with html/template.
type Message struct {
	// From overrides the sender's default address when set.
	From string
	// ReplyTo, when set, is where answers go: a tenant's own address for mail
	// the platform sends from its address on the tenant's behalf.
	ReplyTo string
	To      []string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

// ErrInvalidMessage wraps every refusal of a message's content.
var ErrInvalidMessage = errors.New("invalid mail message")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// ParseAddress accepts one address ("name@example.com" or "Name <name@example.com>")
// and refuses anything that spans lines or holds control characters.
func ParseAddress(s string) (*mail.Address, error) {
	if s == "" {
		return nil, invalid("empty address")
	}
	if len(s) > 2*maxAddress || hasControl(s) {
		return nil, invalid("address %q is not a single line of text", truncate(s, 64))
	}
	a, err := mail.ParseAddress(s)
	if err != nil || len(a.Address) > maxAddress || hasControl(a.Name) {
		return nil, invalid("%q is not an email address", truncate(s, 64))
	}
	return a, nil
}

// validate checks msg and returns its parsed addresses.
func (msg Message) validate() (to []*mail.Address, err error) {
	if len(msg.To) == 0 {
		return nil, invalid("no recipient")
	}
	if len(msg.To) > MaxRecipients {
		return nil, invalid("%d recipients, at most %d", len(msg.To), MaxRecipients)
	}
	for _, r := range msg.To {
		a, err := ParseAddress(r)
		if err != nil {
			return nil, err
		}
		to = append(to, a)
	}
	for _, a := range []string{msg.From, msg.ReplyTo} {
		if a == "" {
			continue
		}
		if _, err := ParseAddress(a); err != nil {
			return nil, err
		}
	}
	switch {
	case strings.TrimSpace(msg.Subject) == "":
		return nil, invalid("empty subject")
	case len(msg.Subject) > MaxSubject:
		return nil, invalid("subject longer than %d bytes", MaxSubject)
	case !utf8.ValidString(msg.Subject) || hasControl(msg.Subject):
		return nil, invalid("the subject must be one line of text")
	case msg.Text == "":
		return nil, invalid("empty body")
	case len(msg.Text)+len(msg.HTML) > MaxBody:
		return nil, invalid("body larger than %d bytes", MaxBody)
	case !utf8.ValidString(msg.Text) || !utf8.ValidString(msg.HTML):
		return nil, invalid("the body is not valid UTF-8")
	}
	return to, nil
}

// build turns msg into a MIME message from defaultFrom (unless msg.From is set),
// dated now.
func build(msg Message, defaultFrom string, now time.Time) (*gomail.Msg, error) {
	to, err := msg.validate()
	if err != nil {
		return nil, err
	}
	fromText := defaultFrom
	if msg.From != "" {
		fromText = msg.From
	}
	from, err := ParseAddress(fromText)
	if err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	m := gomail.NewMsg()
	m.FromMailAddress(from)
	for _, a := range to {
		m.AddToMailAddress(a)
	}
	if msg.ReplyTo != "" {
		replyTo, err := ParseAddress(msg.ReplyTo) // checked by validate
		if err != nil {
			return nil, err
		}
		m.ReplyToMailAddress(replyTo)
	}
	m.Subject(msg.Subject)
	m.SetDateWithValue(now)
	m.SetMessageID()
	m.SetUserAgent("Instant-ERP")
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return m, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "?")
	}
	return strings.ToValidUTF8(s[:n], "?") + "…"
}
