package mail

import "testing"

func TestParseServerURL(t *testing.T) {
	tests := []struct {
		raw      string
		want     Server
		loopback bool
		ok       bool
	}{
		{"smtp://mailer@smtp.example.com:587", Server{Host: "smtp.example.com", Port: 587, Username: "mailer"}, false, true},
		{"smtp://smtp.example.com", Server{Host: "smtp.example.com", Port: 587}, false, true},
		{"smtps://u@smtp.example.com", Server{Host: "smtp.example.com", Port: 465, Username: "u", ImplicitTLS: true}, false, true},
		{"smtp://127.0.0.1:1025", Server{Host: "127.0.0.1", Port: 1025}, true, true},
		{"smtp://[::1]:25", Server{Host: "::1", Port: 25}, true, true},
		{"smtp://localhost:25", Server{Host: "localhost", Port: 25}, true, true},
		{"smtp://user%40corp@smtp.example.com:25", Server{Host: "smtp.example.com", Port: 25, Username: "user@corp"}, false, true},
		{"smtp://user:secret@smtp.example.com", Server{}, false, false},
		{"smtp://user:@smtp.example.com", Server{}, false, false},
		{"http://smtp.example.com", Server{}, false, false},
		{"smtp://", Server{}, false, false},
		{"smtp://host:0", Server{}, false, false},
		{"smtp://host:70000", Server{}, false, false},
		{"smtp://host/path", Server{}, false, false},
		{"smtp://host?tls=off", Server{}, false, false},
		{"smtp:opaque", Server{}, false, false},
		{"smtp://%0d%0a@host", Server{}, false, false},
		{"", Server{}, false, false},
	}
	for _, tt := range tests {
		got, err := ParseServerURL(tt.raw)
		if tt.ok != (err == nil) {
			t.Errorf("ParseServerURL(%q) error = %v, want ok=%v", tt.raw, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if got != tt.want {
			t.Errorf("ParseServerURL(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
		if got.Loopback() != tt.loopback {
			t.Errorf("%q: Loopback() = %v", tt.raw, got.Loopback())
		}
	}
}

func TestServerStringHasNoPassword(t *testing.T) {
	s, err := ParseServerURL("smtp://mailer@smtp.example.com:2525")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != "smtp://mailer@smtp.example.com:2525" {
		t.Errorf("String() = %q", got)
	}
}

func TestNewSMTPNeedsPasswordForUser(t *testing.T) {
	s, _ := ParseServerURL("smtp://mailer@smtp.example.com")
	if _, err := NewSMTP(SMTPConfig{Server: s, From: "noreply@example.com"}); err == nil {
		t.Fatal("accepted a user without password")
	}
	if _, err := NewSMTP(SMTPConfig{Server: s, From: "noreply@example.com", Password: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSMTP(SMTPConfig{Server: s, From: "not an address", Password: "x"}); err == nil {
		t.Fatal("accepted an invalid sender")
	}
}

func FuzzParseServerURL(f *testing.F) {
	for _, s := range []string{"smtp://u@h:25", "smtps://h", "smtp://u:p@h", "smtp://[::1]:1", "smtp://h?x=1", "smtp://%0a@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := ParseServerURL(raw)
		if err != nil {
			return
		}
		if s.Host == "" || s.Port < 1 || s.Port > 65535 || hasControl(s.Host) || hasControl(s.Username) {
			t.Fatalf("accepted %q as %+v", raw, s)
		}
		again, err := ParseServerURL(s.String())
		if err != nil || again != s {
			t.Fatalf("%q → %q → %+v, %v", raw, s.String(), again, err)
		}
	})
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"a@example.com", "Ada <ada@example.com>", "a@b\r\nBcc: c@d", "=?utf-8?q?x=0A?= <a@b.c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := ParseAddress(raw)
		if err != nil {
			return
		}
		if hasControl(a.Name) || hasControl(a.Address) || len(a.Address) > maxAddress {
			t.Fatalf("accepted %q as %+v", raw, a)
		}
	})
}
