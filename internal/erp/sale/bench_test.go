package sale_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/product"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// benchShop installs a tenant with 10 taxed products and 50 customers.
func benchShop(b testing.TB, e storetest.Engine) (*erptest.Tenant, []int64, []int64, int64) {
	tn := erptest.Install(b, e)
	company := tn.MainCompany()
	var products, customers []int64
	var tax int64
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		taxes, err := env.Search(ctx, account.Tax, seed.Dom("name", "=", "15%", "company_id", "=", company), orm.SearchOptions{})
		if err != nil {
			return err
		}
		tax = taxes[0]
		for i := 0; i < 10; i++ {
			tmpl, err := erptest.Create(ctx, env, "product.template", map[string]any{"name": fmt.Sprintf("Product %d", i), "list_price": fmt.Sprintf("%d.%02d", 10+i, i*7),
				"company_id": company, "taxes_id": []any{[]any{6, 0, []any{tax}}}})
			if err != nil {
				return err
			}
			v, err := product.VariantOf(ctx, env, tmpl)
			if err != nil {
				return err
			}
			products = append(products, v)
		}
		for i := 0; i < 50; i++ {
			p, err := erptest.Create(ctx, env, "res.partner", map[string]any{"name": fmt.Sprintf("Customer %02d", i), "is_company": true, "company_id": company})
			if err != nil {
				return err
			}
			customers = append(customers, p)
		}
		return nil
	})
	return tn, products, customers, tax
}

func orderLines(products []int64, tax int64, n int) []any {
	lines := make([]any, n)
	for j := range lines {
		lines[j] = []any{0, 0, map[string]any{"product_id": products[j%len(products)], "product_uom_qty": float64(1 + j%5),
			"price_unit": fmt.Sprintf("%d.%02d", 10+j, j*7%100), "tax_id": []any{[]any{6, 0, []any{tax}}}}}
	}
	return lines
}

// orderToCash takes one sales order of lines for customer through its whole
// life, each step its own transaction as a user would do it: create, confirm,
// invoice, post, register the payment. It returns the statements the steps sent.
func orderToCash(tn *erptest.Tenant, customer int64, lines []any) (int, error) {
	var order, invoice int64
	steps := []func(ctx context.Context, env *orm.Env) error{
		func(ctx context.Context, env *orm.Env) error {
			var err error
			order, err = erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": customer, "order_line": lines})
			return err
		},
		func(ctx context.Context, env *orm.Env) error { return sale.Confirm(ctx, env, []int64{order}) },
		func(ctx context.Context, env *orm.Env) error {
			ids, err := sale.CreateInvoices(ctx, env, []int64{order}, nil)
			if err == nil {
				invoice = ids[0]
			}
			return err
		},
		func(ctx context.Context, env *orm.Env) error { return account.Post(ctx, env, []int64{invoice}) },
		func(ctx context.Context, env *orm.Env) error {
			_, err := account.RegisterPayment(ctx, env, invoice, account.PaymentOptions{})
			return err
		},
	}
	statements := 0
	for _, step := range steps {
		if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
			err := step(ctx, env)
			statements += env.Statements()
			return err
		}); err != nil {
			return statements, err
		}
	}
	return statements, nil
}

// BenchmarkOrderToCash measures one sales order of 10 lines through its whole
// life (orderToCash). ns/op is the cost per document, queries/op the SQL
// statements it sends.
func BenchmarkOrderToCash(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			tn, products, customers, tax := benchShop(b, e)
			lines := orderLines(products, tax, 10)
			statements := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n, err := orderToCash(tn, customers[i%len(customers)], lines)
				if err != nil {
					b.Fatal(err)
				}
				statements += n
			}
			b.ReportMetric(float64(statements)/float64(b.N), "queries/op")
		})
	}
}

// BenchmarkReadGroupSalesByMonthAndCustomer groups 100,000 order lines (set
// INSTANTERP_BENCH_LINES to change) by month and customer, summing the subtotal.
func BenchmarkReadGroupSalesByMonthAndCustomer(b *testing.B) {
	total := 100000
	if s := os.Getenv("INSTANTERP_BENCH_LINES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 50 {
			b.Fatalf("INSTANTERP_BENCH_LINES=%q", s)
		}
		total = n
	}
	const perOrder = 50
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			tn, products, customers, tax := benchShop(b, e)
			lines := orderLines(products, tax, perOrder)
			company := tn.MainCompany()
			// Orders first, then their lines in large batches: one create computes
			// a whole batch of lines and their orders at once.
			for done := 0; done < total; {
				tn.Sudo(func(ctx context.Context, env *orm.Env) error {
					ctx = account.WithLookups(ctx)
					currency, err := account.CompanyCurrency(ctx, env, company)
					if err != nil {
						return err
					}
					var orders []map[string]any
					for k := 0; k < 40 && done+k*perOrder < total; k++ {
						n := done/perOrder + k
						orders = append(orders, map[string]any{"partner_id": customers[n%len(customers)], "user_id": tn.Admin,
							"company_id": company, "currency_id": currency,
							"date_order": fmt.Sprintf("%d-%02d-%02d 10:00:00", 2025+n%2, 1+n%12, 1+n%28)})
					}
					ids, err := env.Create(ctx, sale.Order, orders)
					if err != nil {
						return err
					}
					var batch []map[string]any
					for _, id := range ids {
						for _, l := range lines {
							vals := map[string]any{"order_id": id}
							for k, v := range l.([]any)[2].(map[string]any) {
								vals[k] = v
							}
							batch = append(batch, vals)
						}
					}
					_, err = env.Create(ctx, sale.OrderLine, batch)
					done += len(batch)
					return err
				})
			}
			var groups int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
					res, err := env.ReadGroup(ctx, sale.OrderLine, seed.Dom(), []string{"price_subtotal:sum", "product_uom_qty:sum"},
						[]string{"date_order:month", "order_partner_id"}, orm.GroupOptions{})
					groups = len(res)
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total), "lines")
			b.ReportMetric(float64(groups), "groups")
		})
	}
}
