package orm

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// testModels declares small models exercising every field type.
func testModels() []*Model {
	return []*Model{
		{Name: "test.company", Fields: []*Field{{Name: "name", Type: Char, Required: true}}},
		{Name: "test.currency", Fields: []*Field{{Name: "name", Type: Char}, {Name: "decimal_places", Type: Integer}}},
		{Name: "res.users", Fields: []*Field{
			{Name: "name", Type: Char},
			{Name: "login", Type: Char, Required: true},
		}, SQLConstraints: []SQLConstraint{{Name: "login_key", Fields: []string{"login"}, CaseInsensitive: true, Message: "the login is taken"}}},
		{Name: "test.tag", Order: "name", Fields: []*Field{
			{Name: "name", Type: Char, Required: true},
			{Name: "company_id", Type: Many2one, Comodel: "test.company"},
		}},
		{Name: "test.partner", Order: "name", Fields: []*Field{
			{Name: "name", Type: Char, Required: true, Size: 200},
			{Name: "email", Type: Char},
			{Name: "active", Type: Boolean, Default: true},
			{Name: "is_company", Type: Boolean},
			{Name: "parent_id", Type: Many2one, Comodel: "test.partner", OnDelete: Cascade},
			{Name: "child_ids", Type: One2many, Comodel: "test.partner", InverseName: "parent_id"},
			{Name: "company_id", Type: Many2one, Comodel: "test.company", Index: true},
			{Name: "tag_ids", Type: Many2many, Comodel: "test.tag"},
			{Name: "score", Type: Integer},
			{Name: "ratio", Type: Float},
			{Name: "credit", Type: Monetary},
			{Name: "birthday", Type: Date},
			{Name: "seen_at", Type: Datetime},
			{Name: "kind", Type: Selection, Selection: []SelectionOption{{"person", "Person"}, {"shop", "Shop"}}, Default: "person"},
			{Name: "notes", Type: HTML},
			{Name: "salary", Type: Integer, Groups: []string{"test.group_manager"}},
			{Name: "company_name", Type: Char, Related: "company_id.name"},
			{Name: "upper_name", Type: Char, Compute: func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
				recs, err := env.Sudo().Read(ctx, "test.partner", ids, []string{"name"})
				if err != nil {
					return nil, err
				}
				out := map[int64]any{}
				for _, r := range recs {
					out[r["id"].(int64)] = fmt.Sprintf("<%s>", r["name"])
				}
				return out, nil
			}},
		}},
		{Name: "test.order", Fields: []*Field{
			{Name: "name", Type: Char, Required: true},
			{Name: "partner_id", Type: Many2one, Comodel: "test.partner", Required: true},
			{Name: "line_ids", Type: One2many, Comodel: "test.order.line", InverseName: "order_id"},
			{Name: "total", Type: Monetary, Compute: orderTotal, Store: true, Depends: []string{"line_ids.amount"}},
			{Name: "partner_email", Type: Char, Compute: partnerEmail, Store: true, Depends: []string{"partner_id.email"}},
		}, Methods: map[string]Method{
			"action_confirm": func(ctx context.Context, env *Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				return true, nil
			},
		}},
		{Name: "test.order.line", Fields: []*Field{
			{Name: "order_id", Type: Many2one, Comodel: "test.order", Required: true, OnDelete: Cascade},
			{Name: "name", Type: Char},
			{Name: "amount", Type: Monetary},
			{Name: "currency_id", Type: Many2one, Comodel: "test.currency"},
			{Name: "price", Type: Monetary, CurrencyField: "currency_id"},
		}, Checks: []Check{{Name: "amount_positive", Fields: []string{"amount"}, Func: func(ctx context.Context, env *Env, ids []int64) error {
			recs, err := env.Read(ctx, "test.order.line", ids, []string{"amount"})
			if err != nil {
				return err
			}
			for _, r := range recs {
				if r["amount"].(*apd.Decimal).Negative {
					return &ValidationError{Model: "test.order.line", Field: "amount", Message: "an amount cannot be negative"}
				}
			}
			return nil
		}}}},
	}
}

func orderTotal(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
	out := map[int64]any{}
	for _, id := range ids {
		out[id] = apd.New(0, 0)
	}
	lines, err := env.SearchRead(ctx, "test.order.line", mustDomain([]any{[]any{"order_id", "in", int64sToAny(ids)}}), []string{"order_id", "amount"}, SearchOptions{})
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		oid := l["order_id"].([]any)[0].(int64)
		sum := out[oid].(*apd.Decimal)
		if _, err := apd.BaseContext.Add(sum, sum, l["amount"].(*apd.Decimal)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func partnerEmail(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
	recs, err := env.Read(ctx, "test.order", ids, []string{"partner_id"})
	if err != nil {
		return nil, err
	}
	out := map[int64]any{}
	for _, r := range recs {
		pid := r["partner_id"].([]any)[0].(int64)
		p, err := env.Read(ctx, "test.partner", []int64{pid}, []string{"email"})
		if err != nil {
			return nil, err
		}
		out[r["id"].(int64)] = p[0]["email"]
	}
	return out, nil
}

func int64sToAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func mustDomain(v []any) domain.Domain {
	d, err := domain.FromValue(v, domain.Limits{})
	if err != nil {
		panic(err)
	}
	return d
}

func newTestRegistry(t testing.TB) *Registry {
	t.Helper()
	r := NewRegistry(Limits{})
	for _, m := range testModels() {
		if err := r.Define(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	return r
}

// testDB is a migrated database with the test models.
type testDB struct {
	t   testing.TB
	db  *store.DB
	reg *Registry
}

func openTestDB(t testing.TB, e storetest.Engine) *testDB {
	t.Helper()
	return migratedTestDB(t, e, newTestRegistry(t))
}

// migratedTestDB opens a database of engine e with the models of reg.
func migratedTestDB(t testing.TB, e storetest.Engine, reg *Registry) *testDB {
	t.Helper()
	db := e.Open(t)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	if err := reg.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return &testDB{t: t, db: db, reg: reg}
}

// run executes fn in a transaction as id (Sudo when su), committing when fn returns nil.
func (d *testDB) run(id Identity, su bool, fn func(ctx context.Context, env *Env) error) error {
	ctx := context.Background()
	return d.db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := d.reg.NewEnv(tx, d.db.Engine, id)
		if err != nil {
			return err
		}
		if su {
			env = env.Sudo()
		}
		return fn(ctx, env)
	})
}

// sudo runs fn as the system and fails the test on error.
func (d *testDB) sudo(fn func(ctx context.Context, env *Env) error) {
	d.t.Helper()
	if err := d.run(Identity{}, true, fn); err != nil {
		d.t.Fatal(err)
	}
}

func (d *testDB) create(model string, vals map[string]any) int64 {
	d.t.Helper()
	var id int64
	d.sudo(func(ctx context.Context, env *Env) error {
		ids, err := env.Create(ctx, model, []map[string]any{vals})
		if err == nil {
			id = ids[0]
		}
		return err
	})
	return id
}
