package account_test

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// An invoice in EUR for a USD company: converted at the invoice date's rate, paid
// at a later, different rate; the difference goes to the exchange accounts.
func TestForeignCurrencyInvoiceAndExchangeDifference(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		var eur, inv int64
		b.Sudo(func(ctx context.Context, env *orm.Env) error {
			ids, err := env.Search(ctx, "res.currency", seed.Dom("name", "=", "EUR"), orm.SearchOptions{})
			if err != nil {
				return err
			}
			eur = ids[0]
			// 1 USD = 0.8 EUR on 1 March, 0.75 EUR from 1 April.
			_, err = env.Create(ctx, account.Rate, []map[string]any{
				{"name": "2026-03-01", "rate": 0.8, "currency_id": eur, "company_id": b.company},
				{"name": "2026-04-01", "rate": 0.75, "currency_id": eur, "company_id": b.company},
			})
			return err
		})
		if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			var err error
			// 2 × 50 EUR + 15% = 115.00 EUR = 143.75 USD at 0.8.
			if inv, err = b.invoice(ctx, env, "50", 2, map[string]any{"currency_id": eur, "invoice_date": "2026-03-15"}); err != nil {
				return err
			}
			if err := account.Post(ctx, env, []int64{inv}); err != nil {
				return err
			}
			recv, err := env.SearchRead(ctx, account.MoveLine, seed.Dom("move_id", "=", inv, "display_type", "=", "payment_term"), []string{"debit", "amount_currency"}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			if got := amount(t, recv[0]["debit"]) + " " + amount(t, recv[0]["amount_currency"]); got != "143.75 115.00" {
				t.Errorf("receivable: %s", got)
			}
			// Half paid in April: 57.50 EUR = 76.67 USD at 0.75.
			if _, err := account.RegisterPayment(ctx, env, inv, account.PaymentOptions{Amount: money.MustParse("57.50"), Date: "2026-04-10"}); err != nil {
				return err
			}
			m := readMove(t, ctx, env, inv, "amount_residual", "payment_state")
			if got := amount(t, m["amount_residual"]) + " " + m["payment_state"].(string); got != "57.50 partial" {
				t.Errorf("after half: %s", got)
			}
			if _, err := account.RegisterPayment(ctx, env, inv, account.PaymentOptions{Date: "2026-04-10"}); err != nil {
				return err
			}
			m = readMove(t, ctx, env, inv, "amount_residual", "payment_state")
			if got := amount(t, m["amount_residual"]) + " " + m["payment_state"].(string); got != "0.00 paid" {
				t.Errorf("after all: %s", got)
			}
			recv, err = env.SearchRead(ctx, account.MoveLine, seed.Dom("move_id", "=", inv, "display_type", "=", "payment_term"), []string{"amount_residual", "reconciled", "full_reconcile_id"}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			if amount(t, recv[0]["amount_residual"]) != "0.00" || recv[0]["reconciled"] != true || recv[0]["full_reconcile_id"] == false {
				t.Errorf("receivable after payment: %v", recv[0])
			}
			// Received 2 × 76.67 = 153.34 USD for 143.75 booked: a gain of 9.59.
			groups, err := env.ReadGroup(ctx, account.MoveLine, seed.Dom("parent_state", "=", "posted"), []string{"balance:sum"}, []string{"account_id"}, orm.GroupOptions{})
			if err != nil {
				return err
			}
			got := map[string]string{}
			total := money.Zero()
			for _, g := range groups {
				got[g["account_id"].([]any)[1].(string)] = account.Dec(g["balance"]).Text('f')
				total = money.Add(total, account.Dec(g["balance"]))
			}
			if got["Foreign Exchange Gain"] != "-9.59" || got["Bank"] != "153.34" || got["Account Receivable"] != "0.00" || !total.IsZero() {
				t.Errorf("balances: %v (total %s)", got, total)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCreditNoteReversesInvoice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			inv, err := b.invoice(ctx, env, "80", 1, nil)
			if err != nil {
				return err
			}
			if err := account.Post(ctx, env, []int64{inv}); err != nil {
				return err
			}
			refund, err := account.Reverse(ctx, env, inv, account.ReverseOptions{Reason: "damaged", Reconcile: true})
			if err != nil {
				return err
			}
			r := readMove(t, ctx, env, refund, "name", "move_type", "amount_total", "reversed_entry_id", "ref", "state")
			if r["move_type"] != "out_refund" || amount(t, r["amount_total"]) != "92.00" || account.M2O(r["reversed_entry_id"]) != inv ||
				r["state"] != "posted" || r["ref"] == false || r["name"].(string)[:5] != "RINV/" {
				t.Errorf("credit note: %v", r)
			}
			m := readMove(t, ctx, env, inv, "payment_state", "amount_residual")
			if m["payment_state"] != "reversed" || amount(t, m["amount_residual"]) != "0.00" {
				t.Errorf("reversed invoice: %v", m)
			}
			// Paying a reversed invoice is refused.
			if _, err := account.RegisterPayment(ctx, env, inv, account.PaymentOptions{}); err == nil {
				t.Error("a reversed invoice was paid")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAgedReceivables(t *testing.T) {
	b := newBooks(t, storetest.Engines()[0])
	if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
		// Invoices dated so that on 2026-06-30 they are not due, 10, 45 and 100 days late.
		for _, c := range []struct{ date, price string }{{"2026-06-30", "10"}, {"2026-06-20", "20"}, {"2026-05-16", "30"}, {"2026-03-22", "40"}} {
			inv, err := b.invoice(ctx, env, c.price, 1, map[string]any{"invoice_date": c.date})
			if err != nil {
				return err
			}
			if err := account.Post(ctx, env, []int64{inv}); err != nil {
				return err
			}
		}
		rows, err := account.AgedReceivables(ctx, env, "2026-06-30")
		if err != nil {
			return err
		}
		if len(rows) != 1 {
			t.Fatalf("rows: %v", rows)
		}
		r := rows[0]
		got := ""
		for _, v := range r.Buckets {
			got += v.Text('f') + " "
		}
		got += r.Total.Text('f')
		// 10, 20, 30 and 40 plus 15% tax each.
		if got != "11.50 23.00 34.50 0 46.00 115.00" || r.PartnerName != "Deco Addict" {
			t.Errorf("aged receivables: %s %s", r.PartnerName, got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
