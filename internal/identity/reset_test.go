package identity_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestRequestResetDisclosesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		ada := f.user("ada@example.com")
		archived := f.user("gone@example.com")
		noAddress := f.user("carol")
		f.tn.Sudo(func(ctx context.Context, env *orm.Env) error {
			if err := env.Write(ctx, "res.users", []int64{archived}, map[string]any{"active": false}); err != nil {
				return err
			}
			return env.Write(ctx, "res.users", []int64{ada}, map[string]any{"email": "ada.lovelace@example.org"})
		})
		_ = noAddress

		for _, q := range []string{"nobody@example.com", "gone@example.com", "carol", "ADA@EXAMPLE.COM", " ada.lovelace@example.org "} {
			if err := f.svc.RequestReset(ctx, q, identity.Origin{Address: "203.0.113.9"}); err != nil {
				t.Fatalf("RequestReset(%q) = %v: the answer must not depend on the account", q, err)
			}
		}
		f.svc.Wait()
		// Only ada's two requests (by login and by email) produced mail, to her address.
		if f.mail.count() != 2 {
			t.Fatalf("%d mails sent, want 2", f.mail.count())
		}
		msg := f.mail.last()
		if len(msg.To) != 1 || msg.To[0] != "ada.lovelace@example.org" {
			t.Fatalf("mail to %v", msg.To)
		}
		link := findLink(t, msg.Text)
		_, uid, tok := linkParts(t, link)
		if u, err := f.svc.CheckLink(ctx, identity.ResetLink, uid, tok); err != nil || u.ID != ada {
			t.Fatalf("mailed link: %+v, %v", u, err)
		}
		if !strings.Contains(msg.HTML, strings.ReplaceAll(link, "&", "&amp;")) {
			t.Fatalf("HTML part lacks the link:\n%s", msg.HTML)
		}
		if err := f.svc.RequestReset(ctx, strings.Repeat("a", 300), identity.Origin{}); err == nil {
			t.Fatal("an over-long request was accepted")
		}
	})
}

func TestResetMailsLimitedPerHour(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		ctx := context.Background()
		ada := f.user("ada@example.com")
		for range 5 {
			if err := f.svc.RequestReset(ctx, "ada@example.com", identity.Origin{}); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Minute)
		}
		f.svc.Wait()
		if f.mail.count() != identity.MaxResetMailsPerHour {
			t.Fatalf("%d mails in an hour, want %d", f.mail.count(), identity.MaxResetMailsPerHour)
		}
		// An administrator's trigger counts too, and says so.
		if err := f.svc.SendLink(ctx, identity.ResetLink, ada, identity.Origin{ActorID: f.tn.Admin}); !errors.Is(err, identity.ErrTooManyResetMails) {
			t.Fatalf("fourth mail: %v", err)
		}
		// The window slides: an hour after the first mail, one more may go.
		f.clock.Advance(time.Hour - 5*time.Minute)
		if err := f.svc.SendLink(ctx, identity.ResetLink, ada, identity.Origin{ActorID: f.tn.Admin}); err != nil {
			t.Fatalf("after the hour: %v", err)
		}
		if err := f.svc.SendLink(ctx, identity.ResetLink, ada, identity.Origin{}); !errors.Is(err, identity.ErrTooManyResetMails) {
			t.Fatalf("second mail of the new hour beyond the limit: %v", err)
		}
		// Invitations are an administrator's deliberate act and are not limited.
		if err := f.svc.SendLink(ctx, identity.InvitationLink, ada, identity.Origin{ActorID: f.tn.Admin}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestResetMailThroughOutboxFile(t *testing.T) {
	f := newFixture(t, storetest.Engines()[0])
	dir := t.TempDir()
	outbox, err := mail.NewOutbox(dir, "noreply@erp.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	h, p := tools(t)
	svc, err := identity.New(identity.Config{DB: f.tn.DB, Registry: f.tn.Reg, BaseURL: "https://acme.erp.example.com",
		Hasher: h, Policy: p, Mail: outbox, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ada := f.user("ada@example.com")
	if err := svc.SendLink(context.Background(), identity.InvitationLink, ada, identity.Origin{}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files in the outbox", len(entries))
	}
	b, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "acme.erp.example.com/web/signup") {
		t.Fatalf("outbox mail lacks the invitation link:\n%s", b)
	}
}

func TestNoMailSender(t *testing.T) {
	f := newFixture(t, storetest.Engines()[0])
	h, p := tools(t)
	svc, err := identity.New(identity.Config{DB: f.tn.DB, Registry: f.tn.Reg, BaseURL: "https://acme.erp.example.com", Hasher: h, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SendLink(context.Background(), identity.ResetLink, f.tn.Admin, identity.Origin{}); !errors.Is(err, identity.ErrNoMail) {
		t.Fatalf("SendLink without mail: %v", err)
	}
	if err := svc.RequestReset(context.Background(), "admin@example.com", identity.Origin{}); err != nil {
		t.Fatalf("RequestReset without mail: %v", err)
	}
}

func TestNewRefusesBadBaseURL(t *testing.T) {
	f := newFixture(t, storetest.Engines()[0])
	h, p := tools(t)
	for _, base := range []string{"", "acme.example.com", "ftp://acme.example.com", "https://acme.example.com/path", "https://u@acme.example.com", "https://acme.example.com?x=1"} {
		if _, err := identity.New(identity.Config{DB: f.tn.DB, Registry: f.tn.Reg, BaseURL: base, Hasher: h, Policy: p}); err == nil {
			t.Errorf("base URL %q accepted", base)
		}
	}
}

func findLink(t testing.TB, text string) string {
	t.Helper()
	for _, field := range strings.Fields(text) {
		if strings.HasPrefix(field, "https://") {
			return field
		}
	}
	t.Fatalf("no link in %q", text)
	return ""
}

// assertNoSecret scans the service's logs and the security log for a password or hash.
func assertNoSecret(t testing.TB, f *fixture, secrets ...string) {
	t.Helper()
	events, err := f.svc.SecurityLog().List(context.Background(), securitylogAll)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(f.logs.String(), s) {
			t.Fatalf("logs contain a secret")
		}
		for _, e := range events {
			if strings.Contains(e.Login+e.Address+e.UserAgent+e.Reference, s) {
				t.Fatalf("security log contains a secret: %+v", e)
			}
		}
	}
}
