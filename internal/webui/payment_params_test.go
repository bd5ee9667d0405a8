package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Register payment asks the amount, the date and the journal on a page of its
// own, filled with what is due, today and the bank; a part payment leaves the
// rest due. Amounts over what is due, malformed values and journals the page
// did not offer are refused on the same page, and nothing is recorded.
func TestRegisterPaymentAsksAmountDateAndJournal(t *testing.T) {
	f := newFixture(t)
	_, c, order := f.deskQuotation(t)
	c.act(t, order, "action_confirm")
	invoice := c.act(t, order, "action_create_invoice")
	c.act(t, invoice, "action_post")
	id := strings.TrimPrefix(invoice, "/odoo/invoices/")
	journals := map[string]int64{}
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		recs, err := env.SearchRead(ctx, "account.journal", domain.Domain{}, []string{"type"}, orm.SearchOptions{})
		for _, r := range recs {
			journals[r["type"].(string)] = r["id"].(int64)
		}
		return err
	})

	page := c.get(invoice + "/action?method=action_register_payment")
	body := page.Body.String()
	today := time.Now().UTC().Format("2006-01-02")
	for _, want := range []string{`id="p-amount" name="p-amount" value="600.00"`, `name="p-payment_date" value="` + today + `"`,
		fmt.Sprintf(`<option value="%d" selected>`, journals["bank"]), fmt.Sprintf(`<option value="%d">`, journals["cash"])} {
		if page.Code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("payment page (%d) lacks %s", page.Code, want)
		}
	}
	if strings.Contains(body, fmt.Sprintf(`value="%d"`, journals["sale"])) {
		t.Error("the payment page offers the sales journal")
	}

	pay := func(amount, date string, journal int64) (int, string) {
		w := c.post(invoice+"/action", url.Values{"method": {"action_register_payment"}, "p-amount": {amount}, "p-payment_date": {date},
			"p-journal_id": {fmt.Sprint(journal)}})
		return w.Code, htmlUnescape(w.Body.String())
	}
	payments := func() int { return f.count("account.payment", nil) }
	refused := []struct {
		name, amount, date string
		journal            int64
		says               string
	}{
		{"more than due", "600.01", today, journals["bank"], "more than"},
		{"not an amount", "six hundred", today, journals["bank"], "amount"},
		{"not a date", "10", "2026-13-40", journals["bank"], "date"},
		{"the sales journal", "10", today, journals["sale"], "not one of the choices offered"},
		{"no such journal", "10", today, 999999, "not one of the choices offered"},
	}
	for _, r := range refused {
		before := payments()
		code, body := pay(r.amount, r.date, r.journal)
		if code != http.StatusUnprocessableEntity || !strings.Contains(strings.ToLower(regexpAlerts(body)), r.says) {
			t.Errorf("%s: %d %s, want 422 saying %q", r.name, code, regexpAlerts(body), r.says)
		}
		if payments() != before {
			t.Errorf("%s: a payment was recorded", r.name)
		}
	}

	if code, body := pay("100", "2026-11-20", journals["cash"]); code != http.StatusSeeOther {
		t.Fatalf("part payment: %d %s", code, regexpAlerts(body))
	}
	if got := fmt.Sprint(f.field("account.move", id, "payment_state")); got != "partial" {
		t.Errorf("after 100 of 600: %s", got)
	}
	if page := c.get(invoice + "/action?method=action_register_payment").Body.String(); !strings.Contains(page, `value="500.00"`) {
		t.Error("the payment page does not offer the 500.00 still due")
	}
	if code, body := pay("", "", journals["bank"]); code != http.StatusSeeOther {
		t.Fatalf("payment of the rest: %d %s", code, regexpAlerts(body))
	}
	if got := fmt.Sprint(f.field("account.move", id, "payment_state")); got != "paid" {
		t.Errorf("after the rest: %s", got)
	}
	// Nothing is due any more; a button without parameters has no page.
	if w := c.get(invoice + "/action?method=action_register_payment"); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("payment page of a paid invoice: %d", w.Code)
	}
	if w := c.get(invoice + "/action?method=action_reverse"); w.Code != http.StatusNotFound {
		t.Errorf("page of a button without parameters: %d", w.Code)
	}
}
