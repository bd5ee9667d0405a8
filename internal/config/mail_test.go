package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMailSettings(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "smtp-password")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		args         []string
		env          map[string]string
		wantURL      string
		wantPassword string
		wantFrom     string
		wantErr      string
	}{
		{name: "default outbox", wantFrom: "noreply@localhost"},
		{name: "sender from domain", args: []string{"--domain", "erp.example.com"}, wantFrom: "noreply@erp.example.com"},
		{name: "explicit sender", args: []string{"--mail-from", "ERP <erp@example.com>"}, wantFrom: "ERP <erp@example.com>"},
		{name: "smtp with password from env", args: []string{"--smtp-url", "smtp://mailer@smtp.example.com:587"},
			env: map[string]string{"INSTANTERP_SMTP_PASSWORD": "s3cret"}, wantURL: "smtp://mailer@smtp.example.com:587", wantPassword: "s3cret", wantFrom: "noreply@localhost"},
		{name: "smtp with password file", args: []string{"--smtp-url", "smtps://mailer@smtp.example.com"},
			env: map[string]string{"INSTANTERP_SMTP_PASSWORD_FILE": pwFile}, wantURL: "smtps://mailer@smtp.example.com", wantPassword: "from-file", wantFrom: "noreply@localhost"},
		{name: "smtp url from env", env: map[string]string{"INSTANTERP_SMTP_URL": "smtp://127.0.0.1:1025"},
			wantURL: "smtp://127.0.0.1:1025", wantFrom: "noreply@localhost"},
		{name: "password in url", args: []string{"--smtp-url", "smtp://mailer:s3cret@smtp.example.com"}, wantErr: "must not hold the password"},
		{name: "user without password", args: []string{"--smtp-url", "smtp://mailer@smtp.example.com"}, wantErr: "INSTANTERP_SMTP_PASSWORD"},
		{name: "password without user", args: []string{"--smtp-url", "smtp://smtp.example.com"},
			env: map[string]string{"INSTANTERP_SMTP_PASSWORD": "x"}, wantErr: "names no user"},
		{name: "both password sources", args: []string{"--smtp-url", "smtp://m@smtp.example.com"},
			env: map[string]string{"INSTANTERP_SMTP_PASSWORD": "x", "INSTANTERP_SMTP_PASSWORD_FILE": pwFile}, wantErr: "not both"},
		{name: "missing password file", args: []string{"--smtp-url", "smtp://m@smtp.example.com"},
			env: map[string]string{"INSTANTERP_SMTP_PASSWORD_FILE": filepath.Join(dir, "absent")}, wantErr: "INSTANTERP_SMTP_PASSWORD_FILE"},
		{name: "wrong scheme", args: []string{"--smtp-url", "http://smtp.example.com"}, wantErr: "invalid --smtp-url"},
		{name: "query", args: []string{"--smtp-url", "smtp://smtp.example.com?insecure=1"}, wantErr: "invalid --smtp-url"},
		{name: "sender with header injection", args: []string{"--mail-from", "a@example.com\r\nBcc: b@example.com"}, wantErr: "invalid --mail-from"},
		{name: "sender not an address", args: []string{"--mail-from", "nobody"}, wantErr: "invalid --mail-from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, Common, tt.args, tt.env)
			if tt.wantErr != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("error discloses the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.SMTPURL != tt.wantURL || c.SMTPPassword != tt.wantPassword || c.MailFrom != tt.wantFrom {
				t.Fatalf("got url %q password %q from %q", c.SMTPURL, c.SMTPPassword, c.MailFrom)
			}
		})
	}
}
