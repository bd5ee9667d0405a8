package demo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/demo"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// fingerprint summarises the demo documents so that two loads can be compared.
func fingerprint(t *testing.T, tn *erptest.Tenant) string {
	var b strings.Builder
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		orders, err := env.SearchRead(ctx, sale.Order, seed.Dom(), []string{"name", "state", "partner_id", "amount_total", "invoice_status"}, orm.SearchOptions{Order: "name"})
		if err != nil {
			return err
		}
		for _, o := range orders {
			fmt.Fprintf(&b, "%s %s %v %s %s\n", o["name"], o["state"], o["partner_id"].([]any)[1], account.Dec(o["amount_total"]).Text('f'), o["invoice_status"])
		}
		moves, err := env.SearchRead(ctx, account.Move, seed.Dom("move_type", "=", "out_invoice"), []string{"amount_total", "amount_residual", "payment_state", "invoice_origin"}, orm.SearchOptions{Order: "invoice_origin"})
		if err != nil {
			return err
		}
		for _, m := range moves {
			fmt.Fprintf(&b, "%s %s %s %s\n", m["invoice_origin"], account.Dec(m["amount_total"]).Text('f'), account.Dec(m["amount_residual"]).Text('f'), m["payment_state"])
		}
		return nil
	})
	return b.String()
}

func TestLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		sum, err := demo.Load(demoContext(), tn.DB, tn.Reg)
		if err != nil {
			t.Fatal(err)
		}
		if sum != (demo.Summary{Partners: 50, Products: 30, Orders: 20, Invoices: 10, Paid: 6}) {
			t.Errorf("summary %+v", sum)
		}
		tn.Sudo(func(ctx context.Context, env *orm.Env) error {
			states := map[string]int{}
			orders, err := env.SearchRead(ctx, sale.Order, seed.Dom(), []string{"state"}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			for _, o := range orders {
				states[o["state"].(string)]++
			}
			if fmt.Sprint(states) != "map[cancel:2 draft:4 sale:11 sent:3]" {
				t.Errorf("order states %v", states)
			}
			pay := map[string]int{}
			moves, err := env.SearchRead(ctx, account.Move, seed.Dom("move_type", "=", "out_invoice"), []string{"payment_state", "state"}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			for _, m := range moves {
				pay[m["payment_state"].(string)]++
			}
			if fmt.Sprint(pay) != "map[not_paid:4 paid:4 partial:2]" {
				t.Errorf("invoice payment states %v", pay)
			}
			// The orders span three months, and what is still due falls in
			// several periods of the aged receivables.
			dated, err := env.SearchRead(ctx, sale.Order, seed.Dom(), []string{"date_order"}, orm.SearchOptions{Order: "date_order"})
			if err != nil {
				return err
			}
			first, _ := time.Parse(orm.DatetimeLayout, dated[0]["date_order"].(string))
			last, _ := time.Parse(orm.DatetimeLayout, dated[len(dated)-1]["date_order"].(string))
			if span := last.Sub(first); span < 60*24*time.Hour || last.After(time.Now()) {
				t.Errorf("orders dated from %s to %s", first, last)
			}
			aged, err := account.AgedReceivables(ctx, env, time.Now().UTC().Format(orm.DateLayout))
			if err != nil {
				return err
			}
			periods := map[string]bool{}
			for _, row := range aged {
				for i, amount := range row.Buckets {
					if amount != nil && !amount.IsZero() {
						periods[account.AgedBuckets[i]] = true
					}
				}
			}
			if len(periods) < 3 {
				t.Errorf("what is due falls in the periods %v, want at least three", periods)
			}
			// The books balance.
			lines, err := env.SearchRead(ctx, account.MoveLine, seed.Dom("parent_state", "=", "posted"), []string{"balance"}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			total := money.Zero()
			for _, l := range lines {
				total = money.Add(total, account.Dec(l["balance"]))
			}
			if !total.IsZero() || len(lines) == 0 {
				t.Errorf("trial balance %s over %d items", total, len(lines))
			}
			return nil
		})
		if _, err := demo.Load(demoContext(), tn.DB, tn.Reg); !errors.Is(err, demo.ErrLoaded) {
			t.Errorf("loading twice: %v", err)
		}
	})
}

func TestLoadIsDeterministic(t *testing.T) {
	e := storetest.Engines()[0]
	var prints []string
	for i := 0; i < 2; i++ {
		tn := erptest.Install(t, e)
		if _, err := demo.Load(demoContext(), tn.DB, tn.Reg); err != nil {
			t.Fatal(err)
		}
		prints = append(prints, fingerprint(t, tn))
	}
	if prints[0] != prints[1] {
		t.Errorf("two loads differ:\n%s\n---\n%s", prints[0], prints[1])
	}
	if strings.Count(prints[0], "\n") != 30 {
		t.Errorf("fingerprint has %d lines, want 20 orders and 10 invoices", strings.Count(prints[0], "\n"))
	}
}

// demoContext carries the address the demo tenant is served at, which the
// quotations it sends link to.
func demoContext() context.Context {
	return orm.WithBaseURL(context.Background(), "https://demo.localhost:8443")
}
