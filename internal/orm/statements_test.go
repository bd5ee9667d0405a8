package orm

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestStatementsCountsEveryStatementOfTheTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		co := d.create("test.company", map[string]any{"name": "Acme"})
		d.sudo(func(ctx context.Context, env *Env) error {
			if n := env.Statements(); n != 0 {
				t.Errorf("a new Env counts %d statements", n)
			}
			// One SELECT: a Sudo read of a stored field costs no access check.
			if _, err := env.Read(ctx, "test.company", []int64{co}, []string{"name"}); err != nil {
				return err
			}
			if n := env.Statements(); n != 1 {
				t.Errorf("after one read: %d statements, want 1", n)
			}
			su := env.Sudo()
			if _, err := su.Tx().ExecContext(ctx, `UPDATE "test_company" SET "name" = 'Acme' WHERE "id" = 0`); err != nil {
				return err
			}
			if n := env.Statements(); n != 2 {
				t.Errorf("after a statement through a Sudo copy's Tx: %d statements, want 2", n)
			}
			return nil
		})
	})
}
