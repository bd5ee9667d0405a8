package account_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Integrators create and edit invoices through invoice_line_ids, as Odoo's
// documentation shows: the lines it creates are product lines, posting adds the
// tax and receivable items, and those items stay out of its reach.
func TestInvoiceLinesAsOdooClientsWriteThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			cur, err := account.CompanyCurrency(ctx, env, b.company)
			if err != nil {
				return err
			}
			inv, err := env.Create(ctx, account.Move, []map[string]any{{
				"move_type": account.TypeInvoice, "partner_id": b.customer, "journal_id": b.sales, "currency_id": cur,
				"invoice_line_ids": []any{
					[]any{0, 0, map[string]any{"name": "Consulting", "quantity": 2.0, "price_unit": "100", "tax_ids": []any{[]any{6, 0, []any{b.tax15}}}}},
					[]any{0, 0, map[string]any{"name": "Travel", "quantity": 1.0, "price_unit": "50"}},
				}}})
			if err != nil {
				return err
			}
			id := inv[0]
			m := readMove(t, ctx, env, id, "invoice_line_ids", "amount_untaxed", "amount_tax", "amount_total")
			lines := m["invoice_line_ids"].([]int64)
			if len(lines) != 2 || amount(t, m["amount_untaxed"]) != "250.00" || amount(t, m["amount_tax"]) != "30.00" || amount(t, m["amount_total"]) != "280.00" {
				t.Errorf("draft invoice: %v", m)
			}
			if err := env.Write(ctx, account.Move, []int64{id}, map[string]any{"invoice_line_ids": []any{
				[]any{1, lines[1], map[string]any{"price_unit": "70"}}}}); err != nil {
				return err
			}
			if err := account.Post(ctx, env, []int64{id}); err != nil {
				return err
			}
			m = readMove(t, ctx, env, id, "invoice_line_ids", "line_ids", "amount_total")
			if got := m["invoice_line_ids"].([]int64); !slices.Equal(sorted(got), sorted(lines)) {
				t.Errorf("invoice lines after posting: %v, want %v", got, lines)
			}
			if n := len(m["line_ids"].([]int64)); n <= 2 {
				t.Errorf("posted invoice has %d journal items, want the tax and receivable ones too", n)
			}
			if amount(t, m["amount_total"]) != "300.00" {
				t.Errorf("total after the edit: %v", m["amount_total"])
			}

			// A draft with its tax and receivable items written out, to try the
			// refusals on: nothing may reach those items through invoice_line_ids,
			// nor create one through it.
			draft, err := env.Create(ctx, account.Move, []map[string]any{{
				"move_type": account.TypeInvoice, "partner_id": b.customer, "journal_id": b.sales, "currency_id": cur,
				"invoice_line_ids": []any{[]any{0, 0, map[string]any{"name": "Support", "quantity": 1.0, "price_unit": "10",
					"tax_ids": []any{[]any{6, 0, []any{b.tax15}}}}}}}})
			if err != nil {
				return err
			}
			if err := account.SyncInvoice(ctx, env, draft[0]); err != nil {
				return err
			}
			before := readMove(t, ctx, env, draft[0], "line_ids", "invoice_line_ids")
			var others []int64
			for _, l := range before["line_ids"].([]int64) {
				if !slices.Contains(before["invoice_line_ids"].([]int64), l) {
					others = append(others, l)
				}
			}
			if len(before["invoice_line_ids"].([]int64)) != 1 || len(others) < 2 {
				t.Fatalf("synchronised draft: %v", before)
			}
			for name, cmds := range map[string][]any{
				"create a tax item":       {[]any{0, 0, map[string]any{"name": "Tax", "display_type": account.LineTax}}},
				"update another's item":   {[]any{1, others[0], map[string]any{"name": "mine"}}},
				"delete another's item":   {[]any{2, others[0]}},
				"link a receivable item":  {[]any{4, others[0]}},
				"replace with tax items":  {[]any{6, 0, others}},
				"display type not a text": {[]any{0, 0, map[string]any{"name": "x", "display_type": 7}}},
			} {
				err := env.Write(ctx, account.Move, draft, map[string]any{"invoice_line_ids": cmds})
				var ve *orm.ValidationError
				if !errors.As(err, &ve) {
					t.Errorf("%s: %v, want a validation error", name, err)
				}
			}
			if after := readMove(t, ctx, env, draft[0], "line_ids", "invoice_line_ids"); !slices.Equal(after["line_ids"].([]int64), before["line_ids"].([]int64)) ||
				!slices.Equal(after["invoice_line_ids"].([]int64), before["invoice_line_ids"].([]int64)) {
				t.Errorf("refused writes changed the draft: %v -> %v", before, after)
			}
			// A domain through the field sees only invoice lines.
			found, err := env.Search(ctx, account.Move, seed.Dom("invoice_line_ids.display_type", "=", account.LineTax), orm.SearchOptions{})
			if err != nil || len(found) != 0 {
				t.Errorf("invoices with a tax item among their invoice lines: %v %v", found, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func sorted(ids []int64) []int64 { return slices.Sorted(slices.Values(ids)) }

// A customer invoice or credit note created with only a type, a customer and its
// lines gets its company's sales journal and currency, as Odoo clients expect; an
// entry of another type must still name its journal, and a company id that does
// not exist is refused, not defaulted round.
func TestInvoiceJournalAndCurrencyDefaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			cur, err := account.CompanyCurrency(ctx, env, b.company)
			if err != nil {
				return err
			}
			line := []any{[]any{0, 0, map[string]any{"name": "Consulting", "quantity": 1.0, "price_unit": "10"}}}
			for _, typ := range []string{account.TypeInvoice, account.TypeRefund} {
				ids, err := env.Create(ctx, account.Move, []map[string]any{{"move_type": typ, "partner_id": b.customer, "invoice_line_ids": line}})
				if err != nil {
					t.Errorf("%s without a journal: %v", typ, err)
					continue
				}
				m := readMove(t, ctx, env, ids[0], "journal_id", "currency_id")
				if account.M2O(m["journal_id"]) != b.sales || account.M2O(m["currency_id"]) != cur {
					t.Errorf("%s defaults: %v, want journal %d and currency %d", typ, m, b.sales, cur)
				}
			}
			for name, vals := range map[string]map[string]any{
				"entry without a journal": {"move_type": account.TypeEntry},
				"unknown company":         {"move_type": account.TypeInvoice, "partner_id": b.customer, "company_id": int64(999999)},
				"company not an id":       {"move_type": account.TypeInvoice, "partner_id": b.customer, "company_id": "main"},
			} {
				_, err := env.Create(ctx, account.Move, []map[string]any{vals})
				var ve *orm.ValidationError
				var ae *orm.AccessError
				var me *orm.MissingError
				if !errors.As(err, &ve) && !errors.As(err, &ae) && !errors.As(err, &me) {
					t.Errorf("%s: %v, want a refusal naming the values", name, err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
