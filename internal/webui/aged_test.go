package webui_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// as runs fn as a user of the acme tenant in a committed transaction.
func (f *fixture) as(uid int64, fn func(ctx context.Context, env *orm.Env) error) {
	f.t.Helper()
	ctx := context.Background()
	lease, err := f.router.Acquire(ctx, "acme")
	if err != nil {
		f.t.Fatal(err)
	}
	defer lease.Release()
	if err := lease.DB.InTx(ctx, func(tx *sql.Tx) error {
		env, err := base.NewEnv(ctx, tx, lease.DB.Engine, f.platform.Registry, uid)
		if err != nil {
			return err
		}
		return fn(ctx, env)
	}); err != nil {
		f.t.Fatal(err)
	}
}

// The aged receivables screen shows, per customer and bucket, exactly what
// account.AgedReceivables computes for the user, with column totals.
func TestAgedReceivablesScreen(t *testing.T) {
	f := newFixture(t)
	const asOf = "2026-06-30"
	uid := f.uid["user"]
	var rows []account.AgedRow
	f.as(uid, func(ctx context.Context, env *orm.Env) error {
		partners, err := env.Create(ctx, "res.partner", []map[string]any{{"name": "Azure <b>Interior</b>"}, {"name": "Deco Addict"}})
		if err != nil {
			return err
		}
		journals, err := env.Search(ctx, account.Journal, seed.Dom("type", "=", "sale"), orm.SearchOptions{Limit: 1})
		if err != nil || len(journals) != 1 {
			return fmt.Errorf("sales journal: %v %v", journals, err)
		}
		currency, err := account.CompanyCurrency(ctx, env, env.Identity().CompanyID)
		if err != nil {
			return err
		}
		terms, err := env.Search(ctx, account.Term, seed.Dom("name", "=", "30 Days"), orm.SearchOptions{Limit: 1})
		if err != nil || len(terms) != 1 {
			return fmt.Errorf("payment term: %v %v", terms, err)
		}
		var ids []int64
		// Without a payment term an invoice is due on its date.
		for _, inv := range []struct {
			partner int64
			date    string
			term    bool
			amount  string
		}{
			{partners[0], "2026-06-20", true, "100"}, // due 2026-07-20: not due
			{partners[0], "2026-06-10", false, "50"}, // 20 days late
			{partners[1], "2026-04-15", false, "30"}, // 76 days late
			{partners[1], "2025-12-01", false, "20"}, // older
			{partners[1], "2026-06-29", true, "7.25"},
			{partners[1], "2026-07-02", false, "999"}, // after the report date: left out
		} {
			vals := map[string]any{"move_type": account.TypeInvoice, "partner_id": inv.partner, "invoice_date": inv.date,
				"journal_id": journals[0], "currency_id": currency,
				"line_ids": []any{[]any{0, 0, map[string]any{"name": "Service", "quantity": 1.0, "price_unit": inv.amount}}}}
			if inv.term {
				vals["invoice_payment_term_id"] = terms[0]
			}
			id, err := env.Create(ctx, account.Move, []map[string]any{vals})
			if err != nil {
				return err
			}
			ids = append(ids, id...)
		}
		if err := account.Post(ctx, env, ids); err != nil {
			return err
		}
		rows, err = account.AgedReceivables(ctx, env, asOf)
		return err
	})
	if len(rows) != 2 {
		t.Fatalf("report rows: %+v", rows)
	}
	c := f.signIn("user")
	w := c.get("/odoo/aged-receivables?date=" + asOf)
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("aged receivables: %d %s", w.Code, body)
	}
	checkPage(t, "aged receivables", w.Header(), w.Body.Bytes())
	checkNoInjectedMarkup(t, "aged receivables", w.Body.Bytes())
	totals := make([]string, 6)
	sums := [6]string{}
	for i := range sums {
		sums[i] = "0"
	}
	for _, r := range rows {
		var cells strings.Builder
		for i, b := range r.Buckets {
			fmt.Fprintf(&cells, `<td class="num">%s</td>`, money.Format(b, 2))
			s, _ := money.From(sums[i])
			sums[i] = money.Add(s, b).Text('f')
		}
		fmt.Fprintf(&cells, `<td class="num"><strong>%s</strong></td>`, money.Format(r.Total, 2))
		link := fmt.Sprintf(`/odoo/invoices?f=unpaid&amp;gf=partner_id&amp;gv=%d`, r.PartnerID)
		if !strings.Contains(body, link) || !strings.Contains(body, cells.String()) {
			t.Errorf("row of %q (%s) missing from:\n%s", r.PartnerName, cells.String(), body)
		}
		s, _ := money.From(sums[5])
		sums[5] = money.Add(s, r.Total).Text('f')
	}
	for i, s := range sums {
		d, _ := money.From(s)
		totals[i] = money.Format(d, 2)
	}
	wantFoot := fmt.Sprintf(`<td class="num" data-aged-total>%s</td><td class="num" data-aged-total>%s</td><td class="num" data-aged-total>%s</td><td class="num" data-aged-total>%s</td><td class="num" data-aged-total>%s</td><td class="num" data-aged-total><strong>%s</strong></td>`,
		totals[0], totals[1], totals[2], totals[3], totals[4], totals[5])
	if !strings.Contains(body, wantFoot) || totals[5] != "207.25" || totals[0] != "107.25" || totals[1] != "50.00" || totals[3] != "30.00" || totals[4] != "20.00" {
		t.Errorf("totals %v, footer missing %s", totals, wantFoot)
	}
	if !strings.Contains(body, "Azure &lt;b&gt;Interior&lt;/b&gt;") {
		t.Error("customer name not escaped")
	}
	// The CSV has the same figures as plain numbers.
	csv := c.get("/odoo/aged-receivables?date=" + asOf + "&format=csv")
	if csv.Code != 200 || !strings.HasPrefix(csv.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.Body.String(), "Deco Addict,7.25,0.00,0.00,30.00,20.00,57.25") {
		t.Errorf("csv: %d %q", csv.Code, csv.Body)
	}
	// A bad date is refused with a message; nothing is exported.
	for _, bad := range []string{"2026-13-45", "<script>", "2026-6-1", strings.Repeat("9", 200)} {
		w := c.get("/odoo/aged-receivables?format=csv&date=" + url.QueryEscape(bad))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Enter the date as YYYY-MM-DD.") {
			t.Errorf("date %q: %d", bad, w.Code)
		}
		checkNoInjectedMarkup(t, "bad date", w.Body.Bytes())
	}
	// The dashboard links to the screen; a portal user cannot open it.
	if home := c.get("/odoo"); !strings.Contains(home.Body.String(), `href="/odoo/aged-receivables"`) {
		t.Error("no link to the aged receivables on the dashboard")
	}
	portal := f.signIn("portal")
	if w := portal.get("/odoo/aged-receivables"); w.Code == 200 || strings.Contains(w.Body.String(), "Deco Addict") {
		t.Errorf("portal user: %d", w.Code)
	}
}
