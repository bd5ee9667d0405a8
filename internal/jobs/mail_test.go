package jobs

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	erpmail "github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// The periodic delivery sends every active tenant's queued mail, each from
// its own database, and leaves a suspended tenant's mail queued.
func TestTenantMailDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, true)
		p.create(t, "acme", "globex", "dormant")
		ids := map[string]int64{}
		for _, name := range []string{"acme", "globex", "dormant"} {
			p.tenantDB(t, name, func(db *store.DB) {
				err := db.InTx(ctx, func(tx *sql.Tx) error {
					env, err := p.registry.NewEnv(tx, db.Engine, orm.Identity{})
					if err != nil {
						return err
					}
					ids[name], err = erpmail.Queue(ctx, env, erpmail.Message{To: "customer@" + name + ".example",
						Subject: "Quotation from " + name, Body: "<p>Hello</p>"})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
		if _, err := p.provisioner.Suspend(ctx, "dormant"); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		outbox, err := mail.NewOutbox(dir, "noreply@platform.example", nil)
		if err != nil {
			t.Fatal(err)
		}
		q := p.queue(t, Config{Mail: outbox, Registry: p.registry, MailEvery: time.Second})
		if err := q.Start(ctx, nil); err != nil {
			t.Fatal(err)
		}
		state := func(name string) string {
			var s string
			p.tenantDB(t, name, func(db *store.DB) {
				if err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT state FROM mail_mail WHERE id = ?"), ids[name]).Scan(&s); err != nil {
					t.Fatal(err)
				}
			})
			return s
		}
		waitFor(t, "both active tenants' mail sent", func() bool { return state("acme") == "sent" && state("globex") == "sent" })
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		var subjects []string
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for l := range strings.SplitSeq(string(b), "\r\n") {
				if s, ok := strings.CutPrefix(l, "Subject: "); ok {
					subjects = append(subjects, s)
				}
			}
		}
		if len(subjects) != 2 || !strings.Contains(strings.Join(subjects, "|"), "acme") || !strings.Contains(strings.Join(subjects, "|"), "globex") {
			t.Fatalf("outbox subjects %v", subjects)
		}
		if !strings.Contains(p.log.String(), `msg="mail delivery" tenant=acme sent=1 failed=0 deferred=0`) {
			t.Errorf("no delivery count for acme in the log:\n%s", p.log.String())
		}
		// While suspended, no delivery job is even queued for it...
		for _, j := range p.jobsOf(t, KindMail) {
			if j.Tenant == "dormant" {
				t.Errorf("a delivery was queued for the suspended tenant: %+v", j)
			}
		}
		// ...and once resumed, its mail goes out.
		if _, err := p.provisioner.Resume(ctx, "dormant"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the resumed tenant's mail sent", func() bool { return state("dormant") == "sent" })
	})
}
