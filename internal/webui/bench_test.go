package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// benchFixture holds 80 partners and an order of 50 lines.
func benchFixture(b *testing.B) (*fixture, *client, string) {
	f := newFixture(b)
	var order int64
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		vals := make([]map[string]any, 80)
		for i := range vals {
			vals[i] = map[string]any{"name": fmt.Sprintf("Partner %03d", i), "email": fmt.Sprintf("p%d@example.com", i), "city": "Brussels", "phone": "+32 2 555 01 01"}
		}
		partners, err := env.Create(ctx, "res.partner", vals)
		if err != nil {
			return err
		}
		tmpl, err := env.Create(ctx, "product.template", []map[string]any{{"name": "Widget", "list_price": "9.90"}})
		if err != nil {
			return err
		}
		variants, err := env.Search(ctx, "product.product", seed.Leaf("product_tmpl_id", "=", tmpl[0]), orm.SearchOptions{})
		if err != nil {
			return err
		}
		companies, err := env.SearchRead(ctx, "res.company", seed.Leaf("name", "=", "My Company"), []string{"currency_id"}, orm.SearchOptions{})
		if err != nil {
			return err
		}
		lines := make([]any, 50)
		for i := range lines {
			lines[i] = []any{0, 0, map[string]any{"product_id": variants[0], "name": fmt.Sprintf("Widget batch %d", i), "product_uom_qty": i + 1, "price_unit": "9.90"}}
		}
		ids, err := env.Create(ctx, "sale.order", []map[string]any{{"partner_id": partners[0], "company_id": companies[0]["id"],
			"currency_id": companies[0]["currency_id"].([]any)[0], "order_line": lines}})
		if err != nil {
			return err
		}
		order = ids[0]
		return nil
	})
	return f, f.signIn("admin"), fmt.Sprintf("/odoo/sales/%d", order)
}

func benchmarkPage(b *testing.B, c *client, target string) {
	b.Helper()
	if w := c.get(target); w.Code != http.StatusOK {
		b.Fatalf("%s: %d", target, w.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if w := c.get(target); w.Code != http.StatusOK {
			b.Fatalf("%s: %d", target, w.Code)
		}
	}
}

// BenchmarkPartnerList80 is the server time of the contacts list showing 80 rows.
func BenchmarkPartnerList80(b *testing.B) {
	_, c, _ := benchFixture(b)
	benchmarkPage(b, c, "/odoo/contacts")
}

// BenchmarkOrderForm50Lines is the server time of an order form with 50 lines.
func BenchmarkOrderForm50Lines(b *testing.B) {
	_, c, order := benchFixture(b)
	benchmarkPage(b, c, order)
}

// BenchmarkConcurrentUsers8 renders both pages from 8 signed-in users at once and
// reports the p50 and p99 latencies.
func BenchmarkConcurrentUsers8(b *testing.B) {
	f, _, order := benchFixture(b)
	clients := make([]*client, 8)
	for i := range clients {
		clients[i] = f.signIn("admin")
	}
	var (
		mu     sync.Mutex
		times  []time.Duration
		worker int
	)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		c := clients[worker%len(clients)]
		worker++
		mu.Unlock()
		n := 0
		for pb.Next() {
			target := "/odoo/contacts"
			if n%2 == 1 {
				target = order
			}
			n++
			start := time.Now()
			w := c.get(target)
			d := time.Since(start)
			if w.Code != http.StatusOK {
				b.Errorf("%s: %d", target, w.Code)
				return
			}
			mu.Lock()
			times = append(times, d)
			mu.Unlock()
		}
	})
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if len(times) > 0 {
		b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
	}
}
