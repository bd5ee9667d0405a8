package account_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

type books struct {
	*erptest.Tenant
	company, customer, tax15, sales, bank int64
}

func newBooks(t *testing.T, e storetest.Engine) *books {
	b := &books{Tenant: erptest.Install(t, e)}
	b.company = b.MainCompany()
	b.Sudo(func(ctx context.Context, env *orm.Env) error {
		var err error
		taxes, err := env.Search(ctx, account.Tax, seed.Dom("name", "=", "15%", "company_id", "=", b.company), orm.SearchOptions{})
		if err != nil || len(taxes) != 1 {
			return fmt.Errorf("tax: %v %v", taxes, err)
		}
		b.tax15 = taxes[0]
		if b.sales, err = account.JournalByType(ctx, env, b.company, "sale"); err != nil {
			return err
		}
		if b.bank, err = account.JournalByType(ctx, env, b.company, "bank"); err != nil {
			return err
		}
		b.customer, err = erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Deco Addict", "is_company": true, "company_id": b.company})
		return err
	})
	return b
}

// invoice creates a draft invoice of one line, taxed at 15% unless noTax.
func (b *books) invoice(ctx context.Context, env *orm.Env, price string, qty float64, extra map[string]any) (int64, error) {
	cur, err := account.CompanyCurrency(ctx, env, b.company)
	if err != nil {
		return 0, err
	}
	vals := map[string]any{"move_type": account.TypeInvoice, "partner_id": b.customer, "journal_id": b.sales, "company_id": b.company,
		"currency_id": cur, "line_ids": []any{[]any{0, 0, map[string]any{"name": "Consulting", "quantity": qty, "price_unit": price,
			"tax_ids": []any{[]any{6, 0, []any{b.tax15}}}}}}}
	for k, v := range extra {
		vals[k] = v
	}
	return erptest.Create(ctx, env, account.Move, vals)
}

func amount(t testing.TB, v any) string {
	t.Helper()
	d, err := money.From(v)
	if err != nil {
		t.Fatal(err)
	}
	return d.Text('f')
}

func readMove(t testing.TB, ctx context.Context, env *orm.Env, id int64, fields ...string) map[string]any {
	t.Helper()
	recs, err := env.Read(ctx, account.Move, []int64{id}, fields)
	if err != nil {
		t.Fatal(err)
	}
	return recs[0]
}
