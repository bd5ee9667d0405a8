package webui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// An administrator asking for a reset link for a deactivated user is told why
// nothing was sent, and no mail leaves.
func TestResetLinkForDeactivatedUser(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin")
	userPage := fmt.Sprintf("/odoo/settings/users/%d", f.uid["user"])
	admin.get(userPage)
	if w := admin.post(userPage, url.Values{"op": {"deactivate"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", w.Code)
	}
	before := len(f.outbox.msgs)
	admin.get(userPage)
	w := admin.post(userPage, url.Values{"op": {"reset"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "deactivated") {
		t.Fatalf("reset for a deactivated user: %d\n%s", w.Code, w.Body)
	}
	if len(f.outbox.msgs) != before {
		t.Fatal("a mail was sent")
	}
}

// One reset link used by two posts at once sets the password once: the other post
// finds the link dead.
func TestResetLinkUsedOnceUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	anon := f.client()
	anon.get("/web/reset_password")
	anon.post("/web/reset_password", url.Values{"login": {"user@example.com"}})
	link, _ := url.Parse(linkFrom(t, f.outbox.last()))
	q := link.Query()
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"uid": {q.Get("uid")}, "token": {q.Get("token")}, "csrf_token": {anon.csrf},
				"new": {fmt.Sprintf("concurrent passphrase %d", i)}, "confirm": {fmt.Sprintf("concurrent passphrase %d", i)}}
			codes[i] = anon.doConcurrent("POST", "/web/reset_password", form)
		}()
	}
	wg.Wait()
	if (codes[0] == http.StatusSeeOther) == (codes[1] == http.StatusSeeOther) || codes[0]+codes[1] != http.StatusSeeOther+http.StatusNotFound {
		t.Fatalf("two uses of one link: %v", codes)
	}
}

// doConcurrent sends a form like do, from several goroutines at once: it only reads
// the client's cookies and keeps none of the answer's.
func (c *client) doConcurrent(method, target string, form url.Values) int {
	r := httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
	r.Host, r.RemoteAddr = c.host, c.addr
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range c.cookies {
		r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	w := httptest.NewRecorder()
	c.f.server.ServeHTTP(w, r)
	return w.Code
}
