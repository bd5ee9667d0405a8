package mail

import (
	"context"
	"testing"
)

func BenchmarkOutboxSend(b *testing.B) {
	o, err := NewOutbox(b.TempDir(), "noreply@example.com", nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := Message{To: []string{"ada@example.com"}, Subject: "Reset your password", Text: "https://acme.example.com/web/reset_password?uid=2&token=x", HTML: "<p>link</p>"}
	ctx := context.Background()
	for b.Loop() {
		if err := o.Send(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
}
