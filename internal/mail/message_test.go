package mail

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func validMessage() Message {
	return Message{To: []string{"Ada <ada@example.com>"}, Subject: "Reset your password", Text: "Follow the link."}
}

func TestMessageValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Message)
		ok     bool
	}{
		{"valid", func(*Message) {}, true},
		{"with html and sender", func(m *Message) { m.HTML = "<p>hi</p>"; m.From = "ops@example.com" }, true},
		{"unicode subject", func(m *Message) { m.Subject = "Réinitialiser — ✓" }, true},
		{"no recipient", func(m *Message) { m.To = nil }, false},
		{"too many recipients", func(m *Message) {
			m.To = nil
			for range MaxRecipients + 1 {
				m.To = append(m.To, "a@example.com")
			}
		}, false},
		{"CRLF in subject", func(m *Message) { m.Subject = "hi\r\nBcc: victim@example.com" }, false},
		{"LF in subject", func(m *Message) { m.Subject = "hi\nBcc: victim@example.com" }, false},
		{"CR in subject", func(m *Message) { m.Subject = "hi\rBcc: victim@example.com" }, false},
		{"NUL in subject", func(m *Message) { m.Subject = "hi\x00" }, false},
		{"line separator in subject", func(m *Message) { m.Subject = "hi\u2028Bcc: x@example.com" }, false},
		{"CRLF in recipient", func(m *Message) { m.To = []string{"a@example.com\r\nBcc: victim@example.com"} }, false},
		{"LF in recipient name", func(m *Message) { m.To = []string{"\"A\nBcc: v@example.com\" <a@example.com>"} }, false},
		{"encoded LF in recipient name", func(m *Message) { m.To = []string{"=?utf-8?q?A=0ABcc:_v@example.com?= <a@example.com>"} }, false},
		{"CRLF in sender", func(m *Message) { m.From = "ops@example.com\r\nBcc: victim@example.com" }, false},
		{"two recipients in one entry", func(m *Message) { m.To = []string{"a@example.com, b@example.com"} }, false},
		{"not an address", func(m *Message) { m.To = []string{"nobody"} }, false},
		{"empty subject", func(m *Message) { m.Subject = "  " }, false},
		{"long subject", func(m *Message) { m.Subject = strings.Repeat("a", MaxSubject+1) }, false},
		{"empty body", func(m *Message) { m.Text = "" }, false},
		{"huge body", func(m *Message) { m.Text = strings.Repeat("a", MaxBody+1) }, false},
		{"invalid UTF-8 body", func(m *Message) { m.Text = "\xff" }, false},
		{"invalid UTF-8 subject", func(m *Message) { m.Subject = "\xff" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMessage()
			tt.change(&m)
			_, err := build(m, "noreply@example.com", time.Now())
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("err = %v, want ErrInvalidMessage", err)
			}
		})
	}
}

func TestBuiltMessageHasOneHeaderPerField(t *testing.T) {
	m := validMessage()
	m.Subject = "Ünïcode subject that is long enough to be folded by the encoder, more words here"
	m.HTML = "<p>html</p>"
	msg, err := build(m, "Instant-ERP <noreply@example.com>", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := msg.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(b.String(), "\r\n\r\n")
	for _, name := range []string{"From:", "To:", "Subject:", "Date:", "Message-ID:"} {
		if n := strings.Count("\r\n"+head, "\r\n"+name); n != 1 {
			t.Errorf("%d %q headers in\n%s", n, name, head)
		}
	}
	if strings.Contains(head, "Bcc") {
		t.Errorf("unexpected Bcc header in\n%s", head)
	}
}
