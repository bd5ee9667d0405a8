package orm

import (
	"context"
	"database/sql"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestMigrateIsAdditiveAndIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.Open(t)
		if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
			t.Fatal(err)
		}
		// The fixed tenant migration made ir_config_parameter; a row in it must survive.
		if _, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO ir_config_parameter (key, value) VALUES (?, ?)`), "database.uuid", "u-1"); err != nil {
			t.Fatal(err)
		}
		v1 := NewRegistry(Limits{})
		for _, m := range []*Model{
			{Name: "ir.config_parameter", RecName: "key", Fields: []*Field{{Name: "key", Type: Char, Required: true}, {Name: "value", Type: Text, Required: true}}},
			{Name: "shop.item", Fields: []*Field{{Name: "name", Type: Char, Required: true}}},
		} {
			if err := v1.Define(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := v1.Freeze(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := v1.Migrate(ctx, db); err != nil {
				t.Fatalf("migrate v1 (run %d): %v", i+1, err)
			}
		}
		run := func(reg *Registry, fn func(ctx context.Context, env *Env) error) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *sql.Tx) error {
				env, err := reg.NewEnv(tx, db.Engine, Identity{})
				if err != nil {
					return err
				}
				return fn(ctx, env.Sudo())
			}); err != nil {
				t.Fatal(err)
			}
		}
		run(v1, func(ctx context.Context, env *Env) error {
			_, err := env.Create(ctx, "shop.item", []map[string]any{{"name": "old"}})
			return err
		})

		// Version 2 adds a field, an index, a relation and a model.
		v2 := NewRegistry(Limits{})
		for _, m := range []*Model{
			{Name: "ir.config_parameter", RecName: "key", Fields: []*Field{{Name: "key", Type: Char, Required: true}, {Name: "value", Type: Text, Required: true}}},
			{Name: "shop.item", Fields: []*Field{
				{Name: "name", Type: Char, Required: true},
				{Name: "price", Type: Monetary, Index: true},
				{Name: "category_id", Type: Many2one, Comodel: "shop.category"},
				{Name: "tag_ids", Type: Many2many, Comodel: "shop.category"},
			}},
			{Name: "shop.category", Fields: []*Field{{Name: "name", Type: Char}}},
		} {
			if err := v2.Define(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := v2.Freeze(); err != nil {
			t.Fatal(err)
		}
		if err := v2.Migrate(ctx, db); err != nil {
			t.Fatalf("migrate v2: %v", err)
		}
		run(v2, func(ctx context.Context, env *Env) error {
			cat, err := env.Create(ctx, "shop.category", []map[string]any{{"name": "c"}})
			if err != nil {
				return err
			}
			ids, err := env.Create(ctx, "shop.item", []map[string]any{{"name": "new", "price": "9.99", "category_id": cat[0], "tag_ids": []any{cat[0]}}})
			if err != nil {
				return err
			}
			recs, err := env.Read(ctx, "shop.item", []int64{1, ids[0]}, []string{"name", "price", "category_id"})
			if err != nil {
				return err
			}
			if recs[0]["name"] != "old" || recs[1]["category_id"].([]any)[1] != "c" {
				t.Errorf("after upgrade: %v", recs)
			}
			params, err := env.SearchRead(ctx, "ir.config_parameter", mustDomain([]any{[]any{"key", "=", "database.uuid"}}), []string{"value"}, SearchOptions{})
			if err != nil || len(params) != 1 || params[0]["value"] != "u-1" {
				t.Errorf("adopted parameter table: %v %v", params, err)
			}
			return nil
		})
		// Migrating with the old registry again drops nothing.
		if err := v1.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM shop_category`).Scan(&n); err != nil || n != 1 {
			t.Errorf("shop_category after downgrade migrate: %d rows, %v", n, err)
		}
	})
}

func TestRegistryRefusesBadDeclarations(t *testing.T) {
	tests := []struct {
		name   string
		models []*Model
	}{
		{"bad model name", []*Model{{Name: "Res.Partner"}}},
		{"model name with quote", []*Model{{Name: `x"y`}}},
		{"bad field name", []*Model{{Name: "a.b", Fields: []*Field{{Name: "Name", Type: Char}}}}},
		{"field name with space", []*Model{{Name: "a.b", Fields: []*Field{{Name: "na me", Type: Char}}}}},
		{"unknown type", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x", Type: "blob"}}}}},
		{"duplicate field", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x", Type: Char}, {Name: "x", Type: Char}}}}},
		{"automatic field declared", []*Model{{Name: "a.b", Fields: []*Field{{Name: "create_uid", Type: Integer}}}}},
		{"missing comodel", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x_id", Type: Many2one, Comodel: "c.d"}}}}},
		{"one2many without inverse", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x_ids", Type: One2many, Comodel: "a.b"}}}}},
		{"one2many wrong inverse", []*Model{{Name: "a.b", Fields: []*Field{{Name: "name", Type: Char}, {Name: "x_ids", Type: One2many, Comodel: "a.b", InverseName: "name"}}}}},
		{"only on a many2many", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x_ids", Type: Many2many, Comodel: "c.d", Only: map[string][]string{"k": {"v"}}}}}, {Name: "c.d"}}},
		{"only on an unknown field", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x_ids", Type: One2many, Comodel: "c.d", InverseName: "b_id", Only: map[string][]string{"kind": {"v"}}}}},
			{Name: "c.d", Fields: []*Field{{Name: "b_id", Type: Many2one, Comodel: "a.b"}}}}},
		{"only without values", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x_ids", Type: One2many, Comodel: "c.d", InverseName: "b_id", Only: map[string][]string{"kind": nil}}}},
			{Name: "c.d", Fields: []*Field{{Name: "b_id", Type: Many2one, Comodel: "a.b"}, {Name: "kind", Type: Char}}}}},
		{"self many2many without relation", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x_ids", Type: Many2many, Comodel: "a.b"}}}}},
		{"required set null", []*Model{{Name: "a.b", Fields: []*Field{{Name: "x_id", Type: Many2one, Comodel: "a.b", Required: true, OnDelete: SetNull}}}}},
		{"selection without options", []*Model{{Name: "a.b", Fields: []*Field{{Name: "s", Type: Selection}}}}},
		{"default not an option", []*Model{{Name: "a.b", Fields: []*Field{{Name: "s", Type: Selection, Selection: []SelectionOption{{"a", "A"}}, Default: "b"}}}}},
		{"related not through many2one", []*Model{{Name: "a.b", Fields: []*Field{{Name: "n", Type: Char}, {Name: "r", Related: "n.x"}}}}},
		{"bad default order", []*Model{{Name: "a.b", Order: "nope"}}},
		{"constraint on unknown field", []*Model{{Name: "a.b", SQLConstraints: []SQLConstraint{{Name: "u", Fields: []string{"nope"}}}}}},
		{"depends on unknown field", []*Model{{Name: "a.b", Fields: []*Field{{Name: "c", Type: Integer, Store: true, Depends: []string{"nope"},
			Compute: func(context.Context, *Env, []int64) (map[int64]any, error) { return nil, nil }}}}}},
		{"replaces a standard method", []*Model{{Name: "a.b", Methods: map[string]Method{"unlink": func(context.Context, *Env, []int64, []any, map[string]any) (any, error) { return nil, nil }}}}},
		{"defined twice", []*Model{{Name: "a.b"}, {Name: "a.b"}}},
		{"table clash", []*Model{{Name: "a.b"}, {Name: "a_b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRegistry(Limits{})
			var err error
			for _, m := range tt.models {
				if err = r.Define(m); err != nil {
					break
				}
			}
			if err == nil {
				err = r.Freeze()
			}
			if err == nil {
				t.Error("accepted")
			}
		})
	}
}
