package webui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A signed-in user who follows a stale link gets the not-found page with their
// top bar and menu, and the page of a record of another company is the same
// page, byte for byte, as that of a record that does not exist.
func TestNotFoundKeepsTheTopBar(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("user")
	missing := c.get("/odoo/contacts/999999")
	other := c.get(fmt.Sprintf("/odoo/contacts/%d", f.otherPartner))
	for name, w := range map[string]int{"missing": missing.Code, "other company's": other.Code} {
		if w != http.StatusNotFound {
			t.Errorf("%s record: %d, want 404", name, w)
		}
	}
	body := missing.Body.String()
	for _, want := range []string{`href="/odoo/contacts"`, `href="/odoo/sales"`, `class="usermenu"`, "This page does not exist"} {
		if !strings.Contains(body, want) {
			t.Errorf("the not-found page lacks %s", want)
		}
	}
	if stripVolatile(body) != stripVolatile(other.Body.String()) {
		t.Error("another company's record and a missing one give different pages")
	}
	if strings.Contains(body, `href="/odoo/settings"`) {
		t.Error("the not-found page offers Settings to a user")
	}
}
