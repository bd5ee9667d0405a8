package sale_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/product"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// shop is a tenant with a customer, two taxed products and the 15% tax.
type shop struct {
	*erptest.Tenant
	company, customer, tax15 int64
	desk, chair              int64 // product.product ids
}

func newShop(t *testing.T, e storetest.Engine) *shop {
	s := &shop{Tenant: erptest.Install(t, e)}
	s.company = s.MainCompany()
	s.Sudo(func(ctx context.Context, env *orm.Env) error {
		var err error
		taxes, err := env.Search(ctx, account.Tax, seed.Dom("name", "=", "15%", "company_id", "=", s.company), orm.SearchOptions{})
		if err != nil || len(taxes) != 1 {
			return fmt.Errorf("tax 15%%: %v %v", taxes, err)
		}
		s.tax15 = taxes[0]
		if s.customer, err = erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Azure Interior", "is_company": true,
			"email": "azure@example.com", "company_id": s.company}); err != nil {
			return err
		}
		mk := func(name, code, price string) (int64, error) {
			tmpl, err := erptest.Create(ctx, env, "product.template", map[string]any{"name": name, "default_code": code, "list_price": price,
				"taxes_id": []any{[]any{6, 0, []any{s.tax15}}}, "company_id": s.company})
			if err != nil {
				return 0, err
			}
			return product.VariantOf(ctx, env, tmpl)
		}
		if s.desk, err = mk("Office Desk", "DESK", "100"); err != nil {
			return err
		}
		s.chair, err = mk("Office Chair", "CHAIR", "45.50")
		return err
	})
	return s
}

func (s *shop) order(ctx context.Context, env *orm.Env, lines ...map[string]any) (int64, error) {
	cmds := make([]any, len(lines))
	for i, l := range lines {
		l["tax_id"] = []any{[]any{6, 0, []any{s.tax15}}}
		cmds[i] = []any{0, 0, l}
	}
	return erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": s.customer, "order_line": cmds})
}

func dec(t testing.TB, v any) string {
	t.Helper()
	d, err := money.From(v)
	if err != nil {
		t.Fatalf("amount %v: %v", v, err)
	}
	return money.Format(d, 2)
}

// assertBalanced checks that the whole journal balances: every entry, draft or
// posted, and the trial balance of posted entries sums to zero.
func assertBalanced(t *testing.T, ctx context.Context, env *orm.Env, step string) {
	t.Helper()
	su := env.Sudo()
	moves, err := su.Search(ctx, account.Move, seed.Dom(), orm.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range moves {
		lines, err := su.SearchRead(ctx, account.MoveLine, seed.Dom("move_id", "=", m), []string{"debit", "credit", "balance"}, orm.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d, c, b := money.Zero(), money.Zero(), money.Zero()
		for _, l := range lines {
			d, c, b = money.Add(d, account.Dec(l["debit"])), money.Add(c, account.Dec(l["credit"])), money.Add(b, account.Dec(l["balance"]))
		}
		if d.Cmp(c) != 0 || !b.IsZero() {
			t.Errorf("%s: entry %d unbalanced: debit %s credit %s balance %s", step, m, d, c, b)
		}
	}
	groups, err := su.ReadGroup(ctx, account.MoveLine, seed.Dom("parent_state", "=", "posted"), []string{"balance:sum"}, []string{"account_id"}, orm.GroupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	total := money.Zero()
	for _, g := range groups {
		total = money.Add(total, account.Dec(g["balance"]))
	}
	if !total.IsZero() {
		t.Errorf("%s: trial balance sums to %s", step, total)
	}
}

func read(t *testing.T, ctx context.Context, env *orm.Env, model string, id int64, fields ...string) map[string]any {
	t.Helper()
	recs, err := env.Read(ctx, model, []int64{id}, fields)
	if err != nil {
		t.Fatal(err)
	}
	return recs[0]
}

func TestFullFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newShop(t, e)
		year := time.Now().UTC().Year()
		var order, inv1, inv2, deskLine, chairLine int64
		step := func(name string, fn func(ctx context.Context, env *orm.Env) error) {
			t.Helper()
			if err := s.As(s.Admin, func(ctx context.Context, env *orm.Env) error {
				if err := fn(ctx, env); err != nil {
					return err
				}
				assertBalanced(t, ctx, env, name)
				return nil
			}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		step("quotation", func(ctx context.Context, env *orm.Env) error {
			var err error
			// 3 × 100 − 10% = 270.00 + 40.50 tax; 4 × 45.50 = 182.00 + 27.30 tax.
			order, err = s.order(ctx, env,
				map[string]any{"product_id": s.desk, "product_uom_qty": 3.0, "price_unit": "100", "discount": 10.0},
				map[string]any{"product_id": s.chair, "product_uom_qty": 4.0, "price_unit": "45.50"})
			if err != nil {
				return err
			}
			o := read(t, ctx, env, sale.Order, order, "name", "state", "amount_untaxed", "amount_tax", "amount_total", "order_line")
			got := fmt.Sprint(o["name"], " ", o["state"], " ", dec(t, o["amount_untaxed"]), " ", dec(t, o["amount_tax"]), " ", dec(t, o["amount_total"]))
			if got != "S00001 draft 452.00 67.80 519.80" {
				t.Errorf("quotation: %s", got)
			}
			lines := account.IDs(o["order_line"])
			deskLine, chairLine = lines[0], lines[1]
			return nil
		})
		step("confirm", func(ctx context.Context, env *orm.Env) error {
			if err := sale.Confirm(ctx, env, []int64{order}); err != nil {
				return err
			}
			o := read(t, ctx, env, sale.Order, order, "state", "invoice_status")
			if o["state"] != "sale" || o["invoice_status"] != "to invoice" {
				t.Errorf("confirmed order: %v", o)
			}
			return nil
		})
		step("partial invoice", func(ctx context.Context, env *orm.Env) error {
			ids, err := sale.CreateInvoices(ctx, env, []int64{order}, map[int64]*apd.Decimal{deskLine: money.Int(1), chairLine: money.Int(2)})
			if err != nil {
				return err
			}
			inv1 = ids[0]
			// 1 desk: 90.00 + 13.50; 2 chairs: 91.00 + 13.65.
			m := read(t, ctx, env, account.Move, inv1, "state", "amount_untaxed", "amount_tax", "amount_total", "name")
			if got := fmt.Sprint(m["state"], " ", m["name"], " ", dec(t, m["amount_untaxed"]), " ", dec(t, m["amount_tax"]), " ", dec(t, m["amount_total"])); got != "draft / 181.00 27.15 208.15" {
				t.Errorf("first invoice: %s", got)
			}
			l := read(t, ctx, env, sale.OrderLine, deskLine, "qty_invoiced", "qty_to_invoice")
			if l["qty_invoiced"] != 1.0 || l["qty_to_invoice"] != 2.0 {
				t.Errorf("desk line after partial invoice: %v", l)
			}
			return nil
		})
		step("post first", func(ctx context.Context, env *orm.Env) error {
			if err := account.Post(ctx, env, []int64{inv1}); err != nil {
				return err
			}
			m := read(t, ctx, env, account.Move, inv1, "state", "name", "amount_residual", "payment_state")
			if got := fmt.Sprint(m["state"], " ", m["name"], " ", dec(t, m["amount_residual"]), " ", m["payment_state"]); got != fmt.Sprintf("posted INV/%d/00001 208.15 not_paid", year) {
				t.Errorf("posted invoice: %s", got)
			}
			return nil
		})
		step("invoice the rest", func(ctx context.Context, env *orm.Env) error {
			ids, err := sale.CreateInvoices(ctx, env, []int64{order}, nil)
			if err != nil {
				return err
			}
			inv2 = ids[0]
			if err := account.Post(ctx, env, ids); err != nil {
				return err
			}
			// 2 desks: 180.00 + 27.00; 2 chairs: 91.00 + 13.65.
			m := read(t, ctx, env, account.Move, inv2, "name", "amount_total", "amount_tax")
			if got := fmt.Sprint(m["name"], " ", dec(t, m["amount_tax"]), " ", dec(t, m["amount_total"])); got != fmt.Sprintf("INV/%d/00002 40.65 311.65", year) {
				t.Errorf("second invoice: %s", got)
			}
			o := read(t, ctx, env, sale.Order, order, "invoice_status", "invoice_count", "invoice_ids")
			if o["invoice_status"] != "invoiced" || o["invoice_count"] != int64(2) || fmt.Sprint(o["invoice_ids"]) != fmt.Sprint([]int64{inv1, inv2}) {
				t.Errorf("order after invoicing: %v", o)
			}
			// And back: each invoice names the order it comes from.
			for _, inv := range []int64{inv1, inv2} {
				if m := read(t, ctx, env, account.Move, inv, "sale_order_ids"); fmt.Sprint(m["sale_order_ids"]) != fmt.Sprint([]int64{order}) {
					t.Errorf("invoice %d comes from %v, want [%d]", inv, m["sale_order_ids"], order)
				}
			}
			return nil
		})
		refused := func(name string, fn func(ctx context.Context, env *orm.Env) error) {
			t.Helper()
			err := s.As(s.Admin, fn)
			var ue *orm.UserError
			var ve *orm.ValidationError
			if !errors.As(err, &ue) && !errors.As(err, &ve) {
				t.Errorf("%s: want a user error, got %v", name, err)
			}
		}
		refused("invoice again", func(ctx context.Context, env *orm.Env) error {
			_, err := sale.CreateInvoices(ctx, env, []int64{order}, nil)
			return err
		})
		step("partial payment", func(ctx context.Context, env *orm.Env) error {
			if _, err := account.RegisterPayment(ctx, env, inv1, account.PaymentOptions{Amount: money.MustParse("100")}); err != nil {
				return err
			}
			m := read(t, ctx, env, account.Move, inv1, "amount_residual", "payment_state")
			if got := dec(t, m["amount_residual"]) + " " + fmt.Sprint(m["payment_state"]); got != "108.15 partial" {
				t.Errorf("after partial payment: %s", got)
			}
			return nil
		})
		refused("overpay", func(ctx context.Context, env *orm.Env) error {
			_, err := account.RegisterPayment(ctx, env, inv1, account.PaymentOptions{Amount: money.MustParse("108.16")})
			return err
		})
		refused("sub-cent payment", func(ctx context.Context, env *orm.Env) error {
			_, err := account.RegisterPayment(ctx, env, inv1, account.PaymentOptions{Amount: money.MustParse("1.001")})
			return err
		})
		step("pay the rest", func(ctx context.Context, env *orm.Env) error {
			if _, err := account.RegisterPayment(ctx, env, inv1, account.PaymentOptions{Amount: money.MustParse("108.15")}); err != nil {
				return err
			}
			if _, err := account.RegisterPayment(ctx, env, inv2, account.PaymentOptions{}); err != nil {
				return err
			}
			for _, id := range []int64{inv1, inv2} {
				m := read(t, ctx, env, account.Move, id, "amount_residual", "payment_state")
				if got := dec(t, m["amount_residual"]) + " " + fmt.Sprint(m["payment_state"]); got != "0.00 paid" {
					t.Errorf("invoice %d after payment: %s", id, got)
				}
			}
			return nil
		})
		step("accounts", func(ctx context.Context, env *orm.Env) error {
			groups, err := env.ReadGroup(ctx, account.MoveLine, seed.Dom("parent_state", "=", "posted"), []string{"balance:sum"}, []string{"account_id"}, orm.GroupOptions{})
			if err != nil {
				return err
			}
			got := map[string]string{}
			for _, g := range groups {
				got[fmt.Sprint(g["account_id"].([]any)[1])] = dec(t, g["balance"])
			}
			want := map[string]string{"Bank": "519.80", "Account Receivable": "0.00", "Tax Received": "-67.80", "Product Sales": "-452.00"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("balance of %s = %q, want %s (all: %v)", k, got[k], v, got)
				}
			}
			return nil
		})
	})
}
