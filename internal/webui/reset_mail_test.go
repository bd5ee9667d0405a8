package webui_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/web"
	"github.com/instant-erp/instanterp/internal/webui"
)

// remountWithMail serves f's application again with sender as its mail sender
// (nil: none configured).
func remountWithMail(t *testing.T, f *fixture, sender mail.Sender) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(f.logs, nil))
	s, err := web.NewServer(web.Config{Domain: "localhost", MaxBodyBytes: 1 << 20}, f.router, log)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sharedHasher(t)
	limits := throttle.DefaultConfig()
	limits.Address.Window = time.Hour
	if f.ui, err = webui.New(webui.Config{Registry: f.platform.Registry, Key: f.platform.Key, Hasher: h, Log: log, Mail: sender, Throttle: limits}); err != nil {
		t.Fatal(err)
	}
	f.ui.Mount(s)
	f.server = s
}

// The forgotten-password form and the administrator's reset button mail through
// the platform's mail sender (here the outbox directory, as without --smtp-url),
// within the hourly limit of three per user, which the administrator is told
// about.
func TestResetMailThroughMailSender(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), mail.OutboxDir)
	sender, err := mail.NewOutbox(dir, "erp@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	remountWithMail(t, f, sender)
	mails := func() []string {
		t.Helper()
		f.ui.Wait()
		files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		return out
	}
	anon := f.client()
	anon.get("/web/reset_password")
	if w := anon.post("/web/reset_password", url.Values{"login": {"user@example.com"}}); w.Code != http.StatusOK {
		t.Fatalf("reset request: %d", w.Code)
	}
	got := mails()
	if len(got) != 1 || !strings.Contains(got[0], "user@example.com") || !strings.Contains(got[0], "/web/reset_password?") {
		t.Fatalf("outbox after the request: %q", got)
	}

	admin := f.signIn("admin")
	userPage := fmt.Sprintf("/odoo/settings/users/%d", f.uid["user"])
	for i := 2; i <= 3; i++ {
		admin.get(userPage)
		if w := admin.post(userPage, url.Values{"op": {"reset"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("reset mail %d: %d %s", i, w.Code, w.Body)
		}
	}
	admin.get(userPage)
	w := admin.post(userPage, url.Values{"op": {"reset"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "already been sent 3 reset mails") {
		t.Fatalf("fourth reset mail in the hour: %d %s", w.Code, w.Body)
	}
	if n := len(mails()); n != 3 {
		t.Fatalf("%d mails in the outbox, want 3", n)
	}
	// The public form answers the same past the limit, and sends nothing.
	anon.get("/web/reset_password")
	if w := anon.post("/web/reset_password", url.Values{"login": {"user@example.com"}}); w.Code != http.StatusOK {
		t.Fatalf("reset request past the limit: %d", w.Code)
	}
	if n := len(mails()); n != 3 {
		t.Fatalf("%d mails in the outbox past the limit, want 3", n)
	}
}

// Without a mail sender the administrator is told that no link can be mailed;
// an invited user is created all the same and can be sent a link later.
func TestPasswordLinksWithoutMailSender(t *testing.T) {
	f := newFixture(t)
	remountWithMail(t, f, nil)
	admin := f.signIn("admin")
	userPage := fmt.Sprintf("/odoo/settings/users/%d", f.uid["user"])
	admin.get(userPage)
	if w := admin.post(userPage, url.Values{"op": {"reset"}}); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "No mail sender is configured") {
		t.Fatalf("reset without a mail sender: %d %s", w.Code, w.Body)
	}
	admin.get("/odoo/settings")
	w := admin.post("/odoo/settings/invite", url.Values{"name": {"Nina New"}, "email": {"nina@example.com"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "created but not invited") {
		t.Fatalf("invite without a mail sender: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(w.Body.String(), "/odoo/settings/users/") {
		t.Fatal("the refusal does not lead to the new user's page")
	}
}
