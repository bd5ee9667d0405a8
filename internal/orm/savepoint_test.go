package orm

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// boxRegistry has boxes of items; an item's code is unique (in the database)
// and its quantity cannot be negative (in Go).
func boxRegistry(t *testing.T) *Registry {
	t.Helper()
	r := NewRegistry(Limits{})
	for _, m := range []*Model{
		{Name: "test.box", Fields: []*Field{
			{Name: "name", Type: Char},
			{Name: "item_ids", Type: One2many, Comodel: "test.box.item", InverseName: "box_id"},
		}},
		{Name: "test.box.item", Fields: []*Field{
			{Name: "box_id", Type: Many2one, Comodel: "test.box", Required: true, OnDelete: Cascade},
			{Name: "code", Type: Char},
			{Name: "qty", Type: Integer},
		}, SQLConstraints: []SQLConstraint{{Name: "code_key", Fields: []string{"code"}, Message: "the code is taken"}},
			Checks: []Check{{Name: "qty_positive", Fields: []string{"qty"}, Func: func(ctx context.Context, env *Env, ids []int64) error {
				recs, err := env.ReadValues(ctx, "test.box.item", ids, []string{"qty"})
				if err != nil {
					return err
				}
				for _, r := range recs {
					if asInt(r["qty"]) < 0 {
						return validationf("test.box.item", "qty", "a quantity cannot be negative")
					}
				}
				return nil
			}}}},
	} {
		if err := r.Define(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	return r
}

// savepointCounter passes statements to a transaction and counts the
// savepoints taken.
type savepointCounter struct {
	Querier
	savepoints int
}

func (c *savepointCounter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if strings.HasPrefix(query, "SAVEPOINT ") {
		c.savepoints++
	}
	return c.Querier.ExecContext(ctx, query, args...)
}

func boxItem(code string, qty int) []any {
	return []any{0, 0, map[string]any{"code": code, "qty": qty}}
}

// Records created or changed through x2many commands share the savepoint of
// the operation holding the commands: a failure among them still undoes that
// whole operation and nothing else, and the transaction goes on, on both
// engines (PostgreSQL refuses every statement after an error until a rollback).
func TestNestedOperationsShareTheSavepointOfTheirOperation(t *testing.T) {
	type op func(ctx context.Context, env *Env, kept int64) error
	createBox := func(items ...any) op {
		return func(ctx context.Context, env *Env, _ int64) error {
			_, err := env.Create(ctx, "test.box", []map[string]any{{"name": "new", "item_ids": items}})
			return err
		}
	}
	writeKept := func(items ...any) op {
		return func(ctx context.Context, env *Env, kept int64) error {
			return env.Write(ctx, "test.box", []int64{kept}, map[string]any{"name": "renamed", "item_ids": items})
		}
	}
	cases := []struct {
		name       string
		op         op
		fails      bool
		savepoints int // taken by op
		wantItems  []string
	}{
		{"create with items", createBox(boxItem("b", 1), boxItem("c", 2)), false, 1, []string{"a", "b", "c", "z"}},
		{"create with an item refused by a check", createBox(boxItem("b", 1), boxItem("c", -1)), true, 1, []string{"a", "z"}},
		{"create with items refused by the database", createBox(boxItem("b", 1), boxItem("b", 2)), true, 1, []string{"a", "z"}},
		{"write adding an item refused by the database", writeKept(boxItem("b", 1), boxItem("a", 2)), true, 1, []string{"a", "z"}},
		{"write adding and updating items", writeKept(boxItem("b", 1)), false, 1, []string{"a", "b", "z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, e storetest.Engine) {
				d := migratedTestDB(t, e, boxRegistry(t))
				ctx := context.Background()
				err := d.db.InTx(ctx, func(tx *sql.Tx) error {
					counter := &savepointCounter{Querier: tx}
					env, err := d.reg.NewEnv(counter, d.db.Engine, Identity{})
					if err != nil {
						return err
					}
					env = env.Sudo()
					kept, err := env.Create(ctx, "test.box", []map[string]any{{"name": "kept", "item_ids": []any{boxItem("a", 1)}}})
					if err != nil {
						return err
					}
					counter.savepoints = 0
					err = c.op(ctx, env, kept[0])
					var ve *ValidationError
					if c.fails && !errors.As(err, &ve) {
						t.Errorf("got %v, want a validation error", err)
					}
					if !c.fails && err != nil {
						t.Errorf("got %v", err)
					}
					if counter.savepoints != c.savepoints {
						t.Errorf("%d savepoints, want %d", counter.savepoints, c.savepoints)
					}
					// The transaction goes on after a failure.
					_, err = env.Create(ctx, "test.box", []map[string]any{{"name": "after", "item_ids": []any{boxItem("z", 1)}}})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				d.sudo(func(ctx context.Context, env *Env) error {
					items, err := env.SearchReadValues(ctx, "test.box.item", mustDomain([]any{}), []string{"code"}, SearchOptions{Order: "code"})
					if err != nil {
						return err
					}
					var codes []string
					for _, it := range items {
						codes = append(codes, it["code"].(string))
					}
					if !slices.Equal(codes, c.wantItems) {
						t.Errorf("items %v, want %v", codes, c.wantItems)
					}
					boxes, err := env.SearchReadValues(ctx, "test.box", mustDomain([]any{}), []string{"name"}, SearchOptions{Order: "id"})
					if err != nil {
						return err
					}
					if c.fails && (len(boxes) != 2 || boxes[0]["name"] != "kept") {
						t.Errorf("boxes %v after a refused operation, want kept and after", boxes)
					}
					return nil
				})
			})
		})
	}
}
