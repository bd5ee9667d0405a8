package mail_test

import (
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	outmail "github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/mail/mailtest"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkDeliver measures one run delivering 100 queued mails (claim, read,
// send, record) per engine, to the outbox and through a real SMTP server.
func BenchmarkDeliver(b *testing.B) {
	for _, e := range storetest.Engines() {
		for _, transport := range []string{"outbox", "smtp"} {
			b.Run(fmt.Sprintf("%s/%s", e.Name, transport), func(b *testing.B) {
				tn := erptest.Install(b, e)
				var sender outmail.Sender
				var err error
				if transport == "smtp" {
					mp := mailtest.Start(b, mailtest.Options{})
					sender, err = outmail.New(outmail.Settings{SMTPURL: mp.URL(""), From: "noreply@platform.example"})
				} else {
					sender, err = outmail.NewOutbox(b.TempDir(), "noreply@platform.example", nil)
				}
				if err != nil {
					b.Fatal(err)
				}
				msgs := make([]mail.Message, 100)
				for i := range msgs {
					msgs[i] = mail.Message{To: fmt.Sprintf("c%d@example.com", i), From: "sales@acme.example", Subject: "Quotation", Body: body}
				}
				b.ResetTimer()
				for b.Loop() {
					b.StopTimer()
					queueB(b, tn, msgs)
					b.StartTimer()
					d, err := mail.Deliver(b.Context(), tn.DB, tn.Reg, mail.DeliveryConfig{Sender: sender})
					if err != nil || d.Sent != len(msgs) {
						b.Fatalf("%+v %v", d, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(msgs)), "µs/mail")
			})
		}
	}
}
