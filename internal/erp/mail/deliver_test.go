package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	outmail "github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/mail/mailtest"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// queue stores mails as a module would and returns their ids.
func queue(t *testing.T, tn *erptest.Tenant, msgs ...mail.Message) []int64 {
	t.Helper()
	return queueB(t, tn, msgs)
}

func queueB(t testing.TB, tn *erptest.Tenant, msgs []mail.Message) []int64 {
	t.Helper()
	var ids []int64
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		for _, m := range msgs {
			id, err := mail.Queue(ctx, env, m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids
}

type mailRow struct {
	State, Reason, Scheduled string
	Attempts                 int64
}

func rowsOf(t *testing.T, tn *erptest.Tenant, ids []int64) map[int64]mailRow {
	t.Helper()
	out := map[int64]mailRow{}
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		recs, err := env.Read(ctx, mail.Model, ids, []string{"state", "failure_reason", "scheduled_date", "attempts"})
		if err != nil {
			return err
		}
		for _, r := range recs {
			s := func(k string) string { v, _ := r[k].(string); return v }
			n, _ := r["attempts"].(int64)
			out[r["id"].(int64)] = mailRow{State: s("state"), Reason: s("failure_reason"), Scheduled: s("scheduled_date"), Attempts: n}
		}
		return nil
	})
	return out
}

func deliver(t *testing.T, tn *erptest.Tenant, cfg mail.DeliveryConfig) mail.Delivery {
	t.Helper()
	d, err := mail.Deliver(context.Background(), tn.DB, tn.Reg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const body = `<p>Hello Ann,</p><p>Your quotation: <a href="https://acme.example.com/my/orders/7?access_token=abc">S00007</a></p>`

// The embedded default: each due mail becomes one .eml file in the outbox and
// its row says sent; a second run finds nothing more to send.
func TestDeliverToOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		ids := queue(t, tn,
			mail.Message{To: "ann@example.com", From: "sales@acme.example", Subject: "Quotation S00007", Body: body},
			mail.Message{To: "bob@example.com", Subject: "Invoice INV/2026/0001", Body: "<p>Attached.</p>"})
		dir := t.TempDir()
		outbox, err := outmail.NewOutbox(dir, "Instant-ERP <noreply@platform.example>", nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := deliver(t, tn, mail.DeliveryConfig{Sender: outbox}); d != (mail.Delivery{Sent: 2}) {
			t.Fatalf("first run: %+v", d)
		}
		if d := deliver(t, tn, mail.DeliveryConfig{Sender: outbox}); d != (mail.Delivery{}) {
			t.Fatalf("second run sent again: %+v", d)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		if len(files) != 2 {
			t.Fatalf("%d files in the outbox, want 2", len(files))
		}
		for id, r := range rowsOf(t, tn, ids) {
			if r.State != "sent" || r.Attempts != 1 || r.Scheduled != "" || r.Reason != "" {
				t.Errorf("mail %d: %+v", id, r)
			}
		}
		var all string
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			// Bodies are quoted-printable: undo it to find the link whole.
			b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			all += string(b)
		}
		for _, want := range []string{"Reply-To: <sales@acme.example>", "From: \"Instant-ERP\" <noreply@platform.example>",
			"https://acme.example.com/my/orders/7?access_token=abc"} {
			if !strings.Contains(all, want) {
				t.Errorf("outbox lacks %q:\n%s", want, all)
			}
		}
	})
}

// Through a real SMTP server: an accepted recipient gets the mail (HTML and a
// text alternative with the link); one the server refuses with 5xx is a
// permanent failure, recorded with the server's reason and not retried.
func TestDeliverThroughSMTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		mp := mailtest.Start(t, mailtest.Options{AllowedRecipients: `@example\.com$`})
		tn := erptest.Install(t, e)
		ids := queue(t, tn,
			mail.Message{To: "Ann <ann@example.com>", From: "sales@acme.example", Subject: "Quotation S00007", Body: body},
			mail.Message{To: "bob@refused.example", Subject: "Quotation S00008", Body: "<p>Hi</p>"})
		smtp, err := outmail.New(outmail.Settings{SMTPURL: mp.URL(""), From: "noreply@platform.example"})
		if err != nil {
			t.Fatal(err)
		}
		if d := deliver(t, tn, mail.DeliveryConfig{Sender: smtp}); d != (mail.Delivery{Sent: 1, Failed: 1}) {
			t.Fatalf("run: %+v", d)
		}
		rows := rowsOf(t, tn, ids)
		if r := rows[ids[0]]; r.State != "sent" {
			t.Errorf("accepted mail: %+v", r)
		}
		if r := rows[ids[1]]; r.State != "exception" || !strings.Contains(r.Reason, "550") || r.Attempts != 1 {
			t.Errorf("refused mail: %+v", r)
		}
		got := mp.Messages(t)
		if len(got) != 1 {
			t.Fatalf("server received %d messages", len(got))
		}
		m := got[0]
		if m.Subject != "Quotation S00007" || m.To[0].Address != "ann@example.com" || m.From.Address != "noreply@platform.example" ||
			len(m.ReplyTo) != 1 || m.ReplyTo[0].Address != "sales@acme.example" {
			t.Errorf("received %+v", m)
		}
		if !strings.Contains(m.Text, "S00007 <https://acme.example.com/my/orders/7?access_token=abc>") || !strings.Contains(m.HTML, "access_token=abc") {
			t.Errorf("bodies: text %q html %q", m.Text, m.HTML)
		}
		if d := deliver(t, tn, mail.DeliveryConfig{Sender: smtp}); d != (mail.Delivery{}) {
			t.Fatalf("a refused or sent mail was tried again: %+v", d)
		}
	})
}

// flakySender fails every send with err until healthy; it counts sends per
// recipient.
type flakySender struct {
	mu      sync.Mutex
	err     error
	healthy bool
	sends   map[string]int
	delay   time.Duration
}

func (s *flakySender) Send(ctx context.Context, msg outmail.Message) error {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sends == nil {
		s.sends = map[string]int{}
	}
	s.sends[msg.To[0]]++
	if s.healthy {
		return nil
	}
	return s.err
}

// Transient failures leave the mail outgoing, due again after a doubling wait;
// before that it is not tried; after MaxAttempts it is given up with the last
// error. A permanent failure is given up at once.
func TestDeliverRetriesWithBackoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		ids := queue(t, tn, mail.Message{To: "ann@example.com", Subject: "Invoice", Body: "<p>x</p>"})
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		sender := &flakySender{err: errors.New("dial tcp 127.0.0.1:25: connection refused")}
		cfg := mail.DeliveryConfig{Sender: sender, Now: func() time.Time { return now }, MaxAttempts: 3}

		if d := deliver(t, tn, cfg); d != (mail.Delivery{Deferred: 1}) {
			t.Fatalf("attempt 1: %+v", d)
		}
		if r := rowsOf(t, tn, ids)[ids[0]]; r.State != "outgoing" || r.Attempts != 1 || r.Scheduled != "2026-03-02 10:01:00" || !strings.Contains(r.Reason, "connection refused") {
			t.Fatalf("after attempt 1: %+v", r)
		}
		now = now.Add(59 * time.Second)
		if d := deliver(t, tn, cfg); d != (mail.Delivery{}) {
			t.Fatalf("tried before its time: %+v", d)
		}
		now = now.Add(time.Second)
		if d := deliver(t, tn, cfg); d != (mail.Delivery{Deferred: 1}) {
			t.Fatalf("attempt 2: %+v", d)
		}
		if r := rowsOf(t, tn, ids)[ids[0]]; r.Attempts != 2 || r.Scheduled != "2026-03-02 10:03:00" {
			t.Fatalf("after attempt 2 (wait doubles): %+v", r)
		}
		now = now.Add(2 * time.Minute)
		if d := deliver(t, tn, cfg); d != (mail.Delivery{Failed: 1}) {
			t.Fatalf("attempt 3: %+v", d)
		}
		if r := rowsOf(t, tn, ids)[ids[0]]; r.State != "exception" || !strings.HasPrefix(r.Reason, "gave up after 3 attempts: dial tcp") {
			t.Fatalf("after the last attempt: %+v", r)
		}
		if len(sender.sends) != 1 || sender.sends["<ann@example.com>"] != 3 {
			t.Fatalf("sends %v, want 3 to ann", sender.sends)
		}

		perm := queue(t, tn, mail.Message{To: "bob@example.com", Subject: "Invoice", Body: "<p>x</p>"})
		cfg.Sender = &flakySender{err: fmt.Errorf("smtp: %w: recipient refused", outmail.ErrInvalidMessage)}
		if d := deliver(t, tn, cfg); d != (mail.Delivery{Failed: 1}) {
			t.Fatalf("permanent failure: %+v", d)
		}
		if r := rowsOf(t, tn, perm)[perm[0]]; r.State != "exception" || r.Attempts != 1 || !strings.Contains(r.Reason, "recipient refused") {
			t.Fatalf("after a permanent failure: %+v", r)
		}
	})
}

// Two senders working one queue at once (two nodes) send each mail exactly once.
func TestDeliverClaimsEachMailOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		var msgs []mail.Message
		for i := range 30 {
			msgs = append(msgs, mail.Message{To: fmt.Sprintf("c%d@example.com", i), Subject: "Statement", Body: "<p>x</p>"})
		}
		ids := queue(t, tn, msgs...)
		sender := &flakySender{healthy: true, delay: 2 * time.Millisecond}
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			total mail.Delivery
		)
		for range 3 {
			wg.Go(func() {
				for {
					d, err := mail.Deliver(context.Background(), tn.DB, tn.Reg, mail.DeliveryConfig{Sender: sender, Batch: 4})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					total.Sent += d.Sent
					mu.Unlock()
					if d.Sent == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		if total.Sent != len(ids) {
			t.Errorf("%d mails reported sent, want %d", total.Sent, len(ids))
		}
		for to, n := range sender.sends {
			if n != 1 {
				t.Errorf("%s received %d copies", to, n)
			}
		}
		if len(sender.sends) != len(ids) {
			t.Errorf("%d recipients reached, want %d", len(sender.sends), len(ids))
		}
		for id, r := range rowsOf(t, tn, ids) {
			if r.State != "sent" || r.Attempts != 1 {
				t.Errorf("mail %d: %+v", id, r)
			}
		}
	})
}
