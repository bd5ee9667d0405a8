package app_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/app"
	erpmail "github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// The jobs the server starts deliver a tenant's queued mail: with no
// --smtp-url, into <data>/outbox; the row is marked sent.
func TestStartJobsDeliversQueuedMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		data := t.TempDir()
		args := []string{"--data", data}
		if e.Name == "postgres" {
			args = append(args, "--database-url", storetest.NewPostgresDatabase(t))
		}
		cfg := testConfig(t, args...)
		p, err := app.OpenWith(ctx, cfg, quiet, templates.Options(t, cfg))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if _, err := p.Provisioner.Create(ctx, "acme", "admin@acme.example.com"); err != nil {
			t.Fatal(err)
		}
		router := tenancy.NewRouter(tenancy.RouterConfig{Catalogue: p.Catalogue, Open: p.Storage.Open})
		defer router.Close()
		lease, err := router.Acquire(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		err = lease.DB.InTx(ctx, func(tx *sql.Tx) error {
			env, err := p.Registry.NewEnv(tx, lease.DB.Engine, orm.Identity{})
			if err != nil {
				return err
			}
			id, err = erpmail.Queue(ctx, env, erpmail.Message{To: "ann@example.com", Subject: "Quotation S00001", Body: "<p>Hello</p>"})
			return err
		})
		lease.Release()
		if err != nil {
			t.Fatal(err)
		}

		stop, err := p.StartJobs(ctx, router)
		if err != nil {
			t.Fatal(err)
		}
		defer stop(context.Background())
		deadline := time.Now().Add(time.Minute)
		for {
			lease, err := router.Acquire(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			var state string
			err = lease.DB.Read.QueryRowContext(ctx, lease.DB.Rebind("SELECT state FROM mail_mail WHERE id = ?"), id).Scan(&state)
			lease.Release()
			if err != nil {
				t.Fatal(err)
			}
			if state == "sent" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("mail still %s after a minute", state)
			}
			time.Sleep(100 * time.Millisecond)
		}
		files, _ := filepath.Glob(filepath.Join(data, mail.OutboxDir, "*.eml"))
		if len(files) != 1 {
			t.Fatalf("%d files in the outbox, want 1", len(files))
		}
		if b, _ := os.ReadFile(files[0]); !containsAll(string(b), "Subject: Quotation S00001", "To: <ann@example.com>") {
			t.Fatalf("outbox file:\n%s", b)
		}
	})
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
