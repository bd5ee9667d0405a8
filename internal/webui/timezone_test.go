package webui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/orm"
)

// Date-times are stored in UTC and shown, and typed, in the user's time zone:
// 10:00 typed in Paris in November is 09:00 UTC, and shows as 10:00 again on
// the form and in the list; a user without a time zone sees UTC.
func TestDatetimesInTheUsersTimeZone(t *testing.T) {
	f := newFixture(t)
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		return env.Write(ctx, "res.users", []int64{f.uid["user"]}, map[string]any{"tz": "Europe/Paris"})
	})
	_, c, order := f.deskQuotation(t)
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
}
