package account_test

import (
	"context"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Posting an invoice whose journal items are already in sync keeps them; one
// changed since is rebuilt with its new amounts.
func TestPostRebuildsOnlyChangedJournalItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		cases := []struct {
			name         string
			newPrice     string // written on the product line between sync and post
			wantKept     bool
			wantReceived string
		}{
			{"unchanged", "", true, "115.00"},
			{"price changed", "200", false, "230.00"},
		}
		for _, c := range cases {
			var move int64
			var before []int64
			generated := func(ctx context.Context, env *orm.Env) ([]int64, error) {
				return env.Search(ctx, account.MoveLine, seed.Dom("move_id", "=", move, "display_type", "in", []any{account.LineTax, account.LinePaymentTerm}),
					orm.SearchOptions{Order: "id"})
			}
			if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
				var err error
				if move, err = b.invoice(ctx, env, "100", 1, nil); err != nil {
					return err
				}
				if err := account.SyncInvoice(ctx, env, move); err != nil {
					return err
				}
				before, err = generated(ctx, env)
				return err
			}); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
				if c.newPrice != "" {
					lines, err := env.Search(ctx, account.MoveLine, seed.Dom("move_id", "=", move, "display_type", "=", account.LineProduct), orm.SearchOptions{})
					if err != nil {
						return err
					}
					if err := env.Write(ctx, account.MoveLine, lines, map[string]any{"price_unit": c.newPrice}); err != nil {
						return err
					}
				}
				if err := account.Post(ctx, env, []int64{move}); err != nil {
					return err
				}
				after, err := generated(ctx, env)
				if err != nil {
					return err
				}
				if kept := slices.Equal(before, after); kept != c.wantKept {
					t.Errorf("%s: tax and receivable lines %v before posting, %v after; kept %v, want %v", c.name, before, after, kept, c.wantKept)
				}
				recv, err := env.SearchReadValues(ctx, account.MoveLine, seed.Dom("move_id", "=", move, "display_type", "=", account.LinePaymentTerm),
					[]string{"debit"}, orm.SearchOptions{})
				if err != nil {
					return err
				}
				if len(recv) != 1 || amount(t, recv[0]["debit"]) != c.wantReceived {
					t.Errorf("%s: receivable %v, want a debit of %s", c.name, recv, c.wantReceived)
				}
				return nil
			}); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
	})
}
