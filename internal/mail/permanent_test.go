package mail

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/mail/mailtest"
)

// Permanent sorts real failures: a recipient the server refuses (5xx) and a
// message we refuse are permanent; a server that is not there is not.
func TestPermanent(t *testing.T) {
	mp := mailtest.Start(t, mailtest.Options{AllowedRecipients: `@example\.com$`})
	send := func(url string, msg Message) error {
		s, err := New(Settings{SMTPURL: url, From: "noreply@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return s.Send(ctx, msg)
	}
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		return "smtp://127.0.0.1:" + strconv.Itoa(port)
	}()
	ok := Message{To: []string{"ann@example.com"}, Subject: "s", Text: "t", ReplyTo: "Sales <sales@acme.example>"}
	tests := []struct {
		name      string
		url       string
		msg       Message
		sent      bool
		permanent bool
	}{
		{"delivered", mp.URL(""), ok, true, false},
		{"recipient refused", mp.URL(""), Message{To: []string{"ann@elsewhere.example"}, Subject: "s", Text: "t"}, false, true},
		{"invalid message", mp.URL(""), Message{To: []string{"ann@example.com"}, Subject: "s"}, false, true},
		{"invalid reply-to", mp.URL(""), Message{To: []string{"ann@example.com"}, Subject: "s", Text: "t", ReplyTo: "x\r\nBcc: v@example.com"}, false, true},
		{"server down", closed, ok, false, false},
	}
	for _, tc := range tests {
		err := send(tc.url, tc.msg)
		if (err == nil) != tc.sent || Permanent(err) != tc.permanent {
			t.Errorf("%s: err %v, permanent %v; want sent %v permanent %v", tc.name, err, Permanent(err), tc.sent, tc.permanent)
		}
	}
	if Permanent(fmt.Errorf("wrapped: %w", ErrInvalidMessage)) != true || Permanent(nil) {
		t.Error("Permanent misreads wrapped or nil errors")
	}
	got := mp.Messages(t)
	if len(got) != 1 || len(got[0].ReplyTo) != 1 || got[0].ReplyTo[0].Address != "sales@acme.example" || got[0].From.Address != "noreply@example.com" {
		t.Fatalf("received %+v", got)
	}
}
