package account_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/product"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// An invoice line created with only a product and a quantity, as an
// integrator's client does through the API, takes the product's description,
// price (in the invoice's currency), unit and sales taxes, as in Odoo; what
// the line gives is kept; a foreign currency without a rate is refused.
func TestInvoiceLineTakesItsProductsDefaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		var desk, units, purchaseTax, eur int64
		b.Sudo(func(ctx context.Context, env *orm.Env) error {
			var err error
			if purchaseTax, err = erptest.Create(ctx, env, account.Tax, map[string]any{"name": "Purchase 10%", "amount": 10.0,
				"type_tax_use": "purchase", "company_id": b.company}); err != nil {
				return err
			}
			if units, err = product.UnitID(ctx, env, "Units"); err != nil {
				return err
			}
			tmpl, err := erptest.Create(ctx, env, "product.template", map[string]any{"name": "Desk", "default_code": "D-1", "list_price": "50.00",
				"description_sale": "Oak, 160 cm", "uom_id": units, "company_id": b.company, "taxes_id": []any{[]any{6, 0, []any{b.tax15, purchaseTax}}}})
			if err != nil {
				return err
			}
			if desk, err = product.VariantOf(ctx, env, tmpl); err != nil {
				return err
			}
			ids, err := env.Search(ctx, "res.currency", seed.Dom("name", "=", "EUR"), orm.SearchOptions{})
			if err != nil {
				return err
			}
			eur = ids[0]
			_, err = env.Create(ctx, account.Rate, []map[string]any{{"name": "2026-03-01", "rate": 0.8, "currency_id": eur, "company_id": b.company}})
			return err
		})

		type line struct {
			name, price, total string
			uom                int64
			taxes              []int64
		}
		create := func(ctx context.Context, env *orm.Env, move, lineVals map[string]any) (line, error) {
			vals := map[string]any{"move_type": account.TypeInvoice, "partner_id": b.customer, "company_id": b.company,
				"line_ids": []any{[]any{0, 0, lineVals}}}
			for k, v := range move {
				vals[k] = v
			}
			id, err := erptest.Create(ctx, env, account.Move, vals)
			if err != nil {
				return line{}, err
			}
			ls, err := env.SearchReadValues(ctx, account.MoveLine, seed.Dom("move_id", "=", id, "display_type", "=", "product"),
				[]string{"name", "price_unit", "product_uom_id", "tax_ids"}, orm.SearchOptions{})
			if err != nil || len(ls) != 1 {
				return line{}, fmt.Errorf("lines %v: %v", ls, err)
			}
			m := readMove(t, ctx, env, id, "amount_total")
			return line{name: account.Str(ls[0]["name"]), price: amount(t, ls[0]["price_unit"]), total: amount(t, m["amount_total"]),
				uom: account.M2O(ls[0]["product_uom_id"]), taxes: account.IDs(ls[0]["tax_ids"])}, nil
		}
		cases := []struct {
			name       string
			move, line map[string]any
			want       line
		}{
			{"only a product", nil, map[string]any{"product_id": desk, "quantity": 2.0},
				line{name: "[D-1] Desk\nOak, 160 cm", price: "50.00", total: "115.00", uom: units, taxes: []int64{b.tax15}}},
			{"what the line gives is kept", nil, map[string]any{"product_id": desk, "quantity": 1.0, "name": "Desk, special", "price_unit": "42.00",
				"tax_ids": []any{[]any{6, 0, []any{}}}},
				line{name: "Desk, special", price: "42.00", total: "42.00", uom: units, taxes: nil}},
			{"in euros at the invoice date's rate", map[string]any{"currency_id": eur, "invoice_date": "2026-03-15"}, map[string]any{"product_id": desk, "quantity": 1.0},
				line{name: "[D-1] Desk\nOak, 160 cm", price: "40.00", total: "46.00", uom: units, taxes: []int64{b.tax15}}},
			{"no product, no defaults", nil, map[string]any{"name": "Consulting", "quantity": 1.0, "price_unit": "10.00"},
				line{name: "Consulting", price: "10.00", total: "10.00"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var got line
				err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) (err error) {
					got, err = create(ctx, env, c.move, c.line)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if got.name != c.want.name || got.price != c.want.price || got.total != c.want.total || got.uom != c.want.uom || !slices.Equal(got.taxes, c.want.taxes) {
					t.Errorf("got %+v, want %+v", got, c.want)
				}
			})
		}

		// Before the first rate, the price cannot be converted: refused, with
		// what to do, and nothing created.
		err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			_, err := create(ctx, env, map[string]any{"currency_id": eur, "invoice_date": "2026-02-01"}, map[string]any{"product_id": desk})
			return err
		})
		var refusal *orm.UserError
		if !errors.As(err, &refusal) {
			t.Errorf("an invoice in euros before any rate: %v, want a refusal naming the missing rate", err)
		}
	})
}
