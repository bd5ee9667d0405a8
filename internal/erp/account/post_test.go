package account_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestParallelPostingNumbersWithoutGaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		const n = 20
		var ids []int64
		if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			for i := 0; i < n; i++ {
				id, err := b.invoice(ctx, env, "10", float64(i+1), nil)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
					return account.Post(ctx, env, []int64{id})
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("posting invoice %d: %v", ids[i], err)
			}
		}
		var names []string
		b.Sudo(func(ctx context.Context, env *orm.Env) error {
			recs, err := env.Read(ctx, account.Move, ids, []string{"name", "state"})
			for _, r := range recs {
				names = append(names, r["name"].(string))
			}
			return err
		})
		slices.Sort(names)
		year := time.Now().UTC().Year()
		for i, name := range names {
			if want := fmt.Sprintf("INV/%d/%05d", year, i+1); name != want {
				t.Fatalf("numbers %v: position %d is %s, want %s", names, i, name, want)
			}
		}
	})
}

func TestPostedEntriesAreImmutable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		var inv int64
		var lines []int64
		if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			var err error
			if inv, err = b.invoice(ctx, env, "200", 1, nil); err != nil {
				return err
			}
			if err := account.Post(ctx, env, []int64{inv}); err != nil {
				return err
			}
			lines = readMove(t, ctx, env, inv, "line_ids")["line_ids"].([]int64)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		attempts := []struct {
			name string
			fn   func(ctx context.Context, env *orm.Env) error
		}{
			{"write the partner", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, account.Move, []int64{inv}, map[string]any{"ref": "changed"})
			}},
			{"write a journal item", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, account.MoveLine, lines[:1], map[string]any{"debit": "1"})
			}},
			{"delete a journal item", func(ctx context.Context, env *orm.Env) error {
				return env.Unlink(ctx, account.MoveLine, lines[:1])
			}},
			{"add a journal item", func(ctx context.Context, env *orm.Env) error {
				_, err := env.Create(ctx, account.MoveLine, []map[string]any{{"move_id": inv, "name": "extra", "debit": "5"}})
				return err
			}},
			{"delete the invoice", func(ctx context.Context, env *orm.Env) error { return env.Unlink(ctx, account.Move, []int64{inv}) }},
			{"write the state", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, account.Move, []int64{inv}, map[string]any{"state": "draft"})
			}},
			{"write the number", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, account.Move, []int64{inv}, map[string]any{"name": "INV/1999/00001"})
			}},
			{"post again", func(ctx context.Context, env *orm.Env) error { return account.Post(ctx, env, []int64{inv}) }},
			{"cancel", func(ctx context.Context, env *orm.Env) error { return account.Cancel(ctx, env, []int64{inv}) }},
			{"write the history", func(ctx context.Context, env *orm.Env) error {
				_, err := env.Create(ctx, account.MoveLog, []map[string]any{{"move_id": inv, "state": "draft"}})
				return err
			}},
		}
		for _, a := range attempts {
			if err := b.Try(b.Admin, a.fn); err == nil {
				t.Errorf("%s on a posted invoice succeeded", a.name)
			}
		}
		b.Sudo(func(ctx context.Context, env *orm.Env) error {
			m := readMove(t, ctx, env, inv, "state", "ref", "amount_total", "line_ids")
			if m["state"] != "posted" || m["ref"] != false || amount(t, m["amount_total"]) != "230.00" || len(m["line_ids"].([]int64)) != 3 {
				t.Errorf("the posted invoice changed: %v", m)
			}
			return nil
		})
		// Reset to draft keeps the number, logs the reason, and re-posting keeps it too.
		if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			if err := account.ResetToDraft(ctx, env, []int64{inv}, "wrong price"); err != nil {
				return err
			}
			if err := env.Write(ctx, account.MoveLine, lines[:1], map[string]any{"price_unit": "250"}); err != nil {
				return err
			}
			if err := env.Unlink(ctx, account.Move, []int64{inv}); err == nil {
				return errors.New("a numbered draft was deleted")
			}
			if err := account.Post(ctx, env, []int64{inv}); err != nil {
				return err
			}
			m := readMove(t, ctx, env, inv, "name", "amount_total", "log_ids")
			if m["name"] != fmt.Sprintf("INV/%d/00001", time.Now().UTC().Year()) || amount(t, m["amount_total"]) != "287.50" || len(m["log_ids"].([]int64)) != 3 {
				t.Errorf("after reset and re-post: %v", m)
			}
			logs, err := env.Read(ctx, account.MoveLog, m["log_ids"].([]int64), []string{"state", "note"})
			if err != nil {
				return err
			}
			if logs[1]["note"] != "Reset to draft: wrong price" {
				t.Errorf("history: %v", logs)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// A company that locks posted entries refuses the reset.
		b.Sudo(func(ctx context.Context, env *orm.Env) error {
			return env.Write(ctx, "res.company", []int64{b.company}, map[string]any{"account_reset_policy": "locked"})
		})
		err := b.Try(b.Admin, func(ctx context.Context, env *orm.Env) error { return account.ResetToDraft(ctx, env, []int64{inv}, "") })
		var ue *orm.UserError
		if !errors.As(err, &ue) {
			t.Errorf("reset under a locked policy: %v", err)
		}
	})
}

func TestUnbalancedEntryCannotBePosted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		var entry int64
		if err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			misc, err := account.JournalByType(ctx, env, b.company, "general")
			if err != nil {
				return err
			}
			bank, err := account.AccountByType(ctx, env, b.company, "asset_cash")
			if err != nil {
				return err
			}
			income, err := account.AccountByType(ctx, env, b.company, "income")
			if err != nil {
				return err
			}
			cur, _ := account.CompanyCurrency(ctx, env, b.company)
			ids, err := env.Create(ctx, account.Move, []map[string]any{{"journal_id": misc, "currency_id": cur, "line_ids": []any{
				[]any{0, 0, map[string]any{"account_id": bank, "debit": "100.00"}},
				[]any{0, 0, map[string]any{"account_id": income, "credit": "99.99"}},
			}}})
			if err != nil {
				return err
			}
			entry = ids[0]
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		err := b.Try(b.Admin, func(ctx context.Context, env *orm.Env) error { return account.Post(ctx, env, []int64{entry}) })
		var ue *orm.UserError
		if !errors.As(err, &ue) {
			t.Fatalf("posting an unbalanced entry: %v", err)
		}
		b.Sudo(func(ctx context.Context, env *orm.Env) error {
			m := readMove(t, ctx, env, entry, "state", "name")
			if m["state"] != "draft" || m["name"] != "/" {
				t.Errorf("after the refused post: %v", m)
			}
			n, err := env.SearchCount(ctx, "account.journal.counter", seed.Dom(), orm.SearchOptions{})
			if err != nil || n != 0 {
				t.Errorf("a number was taken: %d counters (%v)", n, err)
			}
			return nil
		})
		// Bad amounts on journal items are refused outright.
		for name, vals := range map[string]map[string]any{
			"negative debit":      {"debit": "-5"},
			"debit and credit":    {"debit": "5", "credit": "5"},
			"sub-cent amount":     {"debit": "1.005"},
			"negative quantity":   {"quantity": -1.0},
			"discount over 100":   {"discount": 101.0},
			"price below a cent":  {"price_unit": "9.999"},
			"quantity too finely": {"quantity": 1.0001},
		} {
			err := b.Try(b.Admin, func(ctx context.Context, env *orm.Env) error {
				vals["move_id"] = entry
				_, err := env.Create(ctx, account.MoveLine, []map[string]any{vals})
				return err
			})
			var ve *orm.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: %v", name, err)
			}
		}
		_ = money.Zero
	})
}
