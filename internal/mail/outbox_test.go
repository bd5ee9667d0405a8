package mail

import (
	"context"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOutboxWritesPrivateEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", OutboxDir)
	o, err := NewOutbox(dir, "Instant-ERP <noreply@example.com>", nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{To: []string{"ada@example.com"}, Subject: "Reset", Text: "link: https://acme.example.com/x", HTML: "<p>link</p>"}
	if err := o.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("outbox dir mode = %v, %v", st.Mode(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries = %v, %v", entries, err)
	}
	name := entries[0].Name()
	if !strings.HasSuffix(name, ".eml") || strings.HasPrefix(name, ".") {
		t.Fatalf("file name %q", name)
	}
	info, _ := entries[0].Info()
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", info.Mode().Perm())
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parsed, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := parsed.Header.Get("To"); !strings.Contains(got, "ada@example.com") {
		t.Errorf("To = %q", got)
	}
	if got := parsed.Header.Get("Subject"); got != "Reset" {
		t.Errorf("Subject = %q", got)
	}
	if got := parsed.Header.Get("From"); !strings.Contains(got, "noreply@example.com") {
		t.Errorf("From = %q", got)
	}
}

func TestOutboxRefusesBadMessageAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	o, err := NewOutbox(dir, "noreply@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = o.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "x\r\nBcc: b@example.com", Text: "t"})
	if !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left %d files", len(entries))
	}
}

func TestOutboxConcurrentSendsGetDistinctFiles(t *testing.T) {
	dir := t.TempDir()
	fixed := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	o, err := NewOutbox(dir, "noreply@example.com", func() time.Time { return fixed })
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := o.Send(context.Background(), validMessage()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 20 {
		t.Fatalf("%d files, want 20", len(entries))
	}
}

func TestNewChoosesTransport(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Settings{DataDir: dir, From: "noreply@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := s.(*Outbox); !ok || o.Dir() != filepath.Join(dir, OutboxDir) {
		t.Fatalf("New without SMTP URL = %T", s)
	}
	s, err = New(Settings{DataDir: dir, From: "noreply@example.com", SMTPURL: "smtp://relay.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*SMTP); !ok {
		t.Fatalf("New with SMTP URL = %T", s)
	}
	if _, err := New(Settings{DataDir: dir, From: "noreply@example.com", SMTPURL: "smtp://u:p@relay.example.com"}); err == nil {
		t.Fatal("accepted a password in the URL")
	}
}
