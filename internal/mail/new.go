package mail

import (
	"crypto/tls"
	"path/filepath"
	"time"
)

// Settings are what the composition root knows about mail.
type Settings struct {
	DataDir string
	// SMTPURL selects SMTP when set (see ParseServerURL); empty means the outbox.
	SMTPURL      string
	SMTPPassword string
	From         string
	TLS          *tls.Config
	Now          func() time.Time
}

// New returns the SMTP sender when an SMTP URL is set, else the outbox under
// <data>/outbox.
func New(s Settings) (Sender, error) {
	if s.SMTPURL == "" {
		return NewOutbox(filepath.Join(s.DataDir, OutboxDir), s.From, s.Now)
	}
	server, err := ParseServerURL(s.SMTPURL)
	if err != nil {
		return nil, err
	}
	return NewSMTP(SMTPConfig{Server: server, Password: s.SMTPPassword, From: s.From, TLS: s.TLS, Now: s.Now})
}
