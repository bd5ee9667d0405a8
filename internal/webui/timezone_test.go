package webui_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Date-times are stored in UTC and shown, and typed, in the time zone the user
// chose on their preferences page:
// 10:00 typed in Paris in November is 09:00 UTC, and shows as 10:00 again on
// the form and in the list; a user without a time zone sees UTC.
func TestDatetimesInTheUsersTimeZone(t *testing.T) {
	f := newFixture(t)
	_, c, order := f.deskQuotation(t)
	// The user sets their time zone on their preferences page; what is not a
	// time zone is refused there and changes nothing.
	tz := func() any { return f.field("res.users", fmt.Sprint(f.uid["user"]), "tz") }
	for _, bad := range []string{"Mars/Olympus", "Local", "../../etc/passwd", "Europe/" + strings.Repeat("x", 60)} {
		if w := c.post("/odoo/account/preferences", url.Values{"tz": {bad}}); w.Code != 422 || tz() != false {
			t.Errorf("time zone %q: %d, stored %v", bad, w.Code, tz())
		}
	}
	if w := c.post("/odoo/account/preferences", url.Values{"tz": {"Europe/Paris"}}); w.Code != 303 || tz() != "Europe/Paris" {
		t.Fatalf("time zone Europe/Paris: %d, stored %v", w.Code, tz())
	}
	if body := c.get("/odoo/account/preferences").Body.String(); !strings.Contains(body, `value="Europe/Paris"`) {
		t.Error("the preferences page does not show the time zone")
	}
	id := strings.TrimPrefix(order, "/odoo/sales/")
	if w := c.post(order, url.Values{"partner_id__display": {"Gemini Furniture"}, "date_order": {"2026-11-20T10:00"}, "line-count": {"0"}}); w.Code != 303 {
		t.Fatalf("save the order date: %d %s", w.Code, regexpAlerts(w.Body.String()))
	}
	if got := f.field("sale.order", id, "date_order"); got != "2026-11-20 09:00:00" {
		t.Errorf("stored %v, want 2026-11-20 09:00:00 (UTC)", got)
	}
	if body := c.get(order).Body.String(); !strings.Contains(body, `value="2026-11-20T10:00"`) {
		t.Error("the form does not show the order date in Paris time")
	}
	if body := c.get("/odoo/sales").Body.String(); !strings.Contains(body, "2026-11-20 10:00") {
		t.Error("the list does not show the order date in Paris time")
	}
	if body := f.signIn("admin").get("/odoo/sales").Body.String(); !strings.Contains(body, "2026-11-20 09:00") {
		t.Error("a user without a time zone does not see the order date in UTC")
	}
	// Cleared, the user is back to UTC.
	if w := c.post("/odoo/account/preferences", url.Values{"tz": {""}}); w.Code != 303 || tz() != false {
		t.Errorf("clearing the time zone: %d, stored %v", w.Code, tz())
	}
	if body := c.get("/odoo/sales").Body.String(); !strings.Contains(body, "2026-11-20 09:00") {
		t.Error("after clearing the time zone, the list does not show UTC")
	}
}
