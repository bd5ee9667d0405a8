package seed

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// Step is one numbered seed of a module: step n of a module is Steps[n-1] of its
// Module. Run gets the system's (Sudo) Env of the step's transaction and must be
// idempotent in effect: on a tenant that already has what it seeds (an older
// tenant whose level was never recorded) it adds only what is missing and changes
// nothing an administrator may have edited.
type Step struct {
	Name string
	Run  func(ctx context.Context, env *orm.Env) error
}

// Module is what a business module seeds, in order. Steps are only ever appended:
// a tenant records the number of the last step it ran (ir_module_module's
// latest_version), so renumbering or removing a step would skip or repeat one.
type Module struct {
	Name  string
	Steps []Step
}

// StepError is a seed step that failed: its transaction was rolled back and the
// module stays at the level before it.
type StepError struct {
	Module string
	Step   int
	Name   string
	Err    error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("module %s, seed step %d (%s): %v", e.Module, e.Step, e.Name, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Levels returns the recorded level of every module of the tenant.
func Levels(ctx context.Context, q orm.Querier) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, "SELECT name, latest_version FROM ir_module_module")
	if err != nil {
		return nil, fmt.Errorf("read module levels: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var v int
		if err := rows.Scan(&name, &v); err != nil {
			return nil, fmt.Errorf("read module levels: %w", err)
		}
		out[name] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read module levels: %w", err)
	}
	return out, nil
}

// Pending returns how many steps of mods the levels lack.
func Pending(mods []Module, levels map[string]int) int {
	n := 0
	for _, m := range mods {
		if d := len(m.Steps) - levels[m.Name]; d > 0 {
			n += d
		}
	}
	return n
}

// Apply runs, in env's transaction, every step of mods the tenant has not
// recorded, in order, and records each. A new tenant's install calls it once;
// any failure fails the whole transaction.
func Apply(ctx context.Context, env *orm.Env, mods []Module) error {
	su := env.Sudo()
	levels, err := Levels(ctx, su.Tx())
	if err != nil {
		return err
	}
	for _, m := range mods {
		for n := levels[m.Name] + 1; n <= len(m.Steps); n++ {
			if err := runStep(ctx, su, m, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// upgradeLockKey serialises seed steps of one PostgreSQL database across nodes
// opening the same tenant at once; on SQLite the single writer does.
const upgradeLockKey = 7314159266

// Upgrade runs every step of mods the tenant lacks, each in its own transaction,
// in order, and returns how many ran. It stops at the first failure, returned as
// a *StepError: that step is rolled back, the steps before it stay applied and
// recorded, and the next Upgrade starts again from the failed step.
func Upgrade(ctx context.Context, db *store.DB, reg *orm.Registry, mods []Module) (int, error) {
	levels, err := Levels(ctx, db.Read)
	if err != nil || Pending(mods, levels) == 0 {
		return 0, err
	}
	ran := 0
	for _, m := range mods {
		for n := levels[m.Name] + 1; n <= len(m.Steps); n++ {
			done := false
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				if db.Engine == store.Postgres {
					if _, err := tx.ExecContext(ctx, db.Rebind("SELECT pg_advisory_xact_lock(?)"), int64(upgradeLockKey)); err != nil {
						return fmt.Errorf("lock seed steps: %w", err)
					}
				}
				// Another node may have run it since the levels were read.
				now, err := Levels(ctx, tx)
				if err != nil {
					return err
				}
				if now[m.Name] >= n {
					done = true
					return nil
				}
				env, err := reg.NewEnv(tx, db.Engine, orm.Identity{})
				if err != nil {
					return err
				}
				return runStep(ctx, env.Sudo(), m, n)
			})
			if err != nil {
				return ran, err
			}
			if !done {
				ran++
			}
		}
	}
	return ran, nil
}

// runStep runs step n of m and records the module at level n, in env's
// transaction.
func runStep(ctx context.Context, env *orm.Env, m Module, n int) error {
	step := m.Steps[n-1]
	if err := step.Run(ctx, env); err != nil {
		return &StepError{Module: m.Name, Step: n, Name: step.Name, Err: err}
	}
	if err := recordLevel(ctx, env, m.Name, n); err != nil {
		return &StepError{Module: m.Name, Step: n, Name: step.Name, Err: err}
	}
	return nil
}

func recordLevel(ctx context.Context, env *orm.Env, module string, n int) error {
	rb := &store.DB{Engine: env.Engine()}
	res, err := env.Tx().ExecContext(ctx, rb.Rebind(
		"UPDATE ir_module_module SET latest_version = ?, state = 'installed', write_date = CURRENT_TIMESTAMP WHERE name = ?"), n, module)
	if err != nil {
		return fmt.Errorf("record module level: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil || k > 0 {
		return err
	}
	if _, err := env.Tx().ExecContext(ctx, rb.Rebind(
		"INSERT INTO ir_module_module (name, state, latest_version, create_date, write_date) VALUES (?, 'installed', ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
		module, n); err != nil {
		return fmt.Errorf("record module level: %w", err)
	}
	return nil
}
