package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/sandbox"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func defaultsModel() *Model {
	return &Model{Name: "test.defaults", Fields: []*Field{
		{Name: "name", Type: Char, DefaultExpr: `"Draft by " + string(uid)`},
		{Name: "day", Type: Date, DefaultExpr: "today()"},
		{Name: "stamp", Type: Datetime, DefaultExpr: "now() + duration('1h')"},
		{Name: "company_id", Type: Many2one, Comodel: "test.company", DefaultExpr: "company_id"},
		{Name: "multi", Type: Boolean, DefaultExpr: "size(company_ids) > 1"},
		{Name: "ratio", Type: Float, DefaultExpr: "0.5"},
		{Name: "credit", Type: Monetary, DefaultExpr: `"10.05"`},
		{Name: "kind", Type: Selection, Selection: []SelectionOption{{"a", "A"}, {"b", "B"}}, DefaultExpr: `uid > 1000000 ? "b" : "a"`},
		// Costly only for users with many companies: the budget stops it then.
		{Name: "spread", Type: Integer, DefaultExpr: "size(company_ids.map(x, company_ids.map(y, company_ids.map(z, x + y + z))))"},
	}}
}

func TestDefaultExpressions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDBWith(t, e, Limits{}, defaultsModel())
		co := d.create("test.company", map[string]any{"name": "C"})
		co2 := d.create("test.company", map[string]any{"name": "D"})
		uid := d.create("res.users", map[string]any{"name": "U", "login": "u"})
		// 23:30 UTC is already the next day in Tokyo.
		clock := func() time.Time { return time.Date(2024, 3, 9, 23, 30, 0, 0, time.UTC) }
		run := func(id Identity, fn func(ctx context.Context, env *Env) error) {
			t.Helper()
			ctx := context.Background()
			if err := d.db.InTx(ctx, func(tx *sql.Tx) error {
				env, err := d.reg.NewEnv(tx, d.db.Engine, id, WithClock(clock))
				if err != nil {
					return err
				}
				return fn(ctx, env.Sudo())
			}); err != nil {
				t.Fatal(err)
			}
		}
		run(Identity{UID: uid, CompanyID: co, CompanyIDs: []int64{co, co2}, TZ: "Asia/Tokyo"}, func(ctx context.Context, env *Env) error {
			ids, err := env.Create(ctx, "test.defaults", []map[string]any{{}, {"name": "given"}})
			if err != nil {
				return err
			}
			recs, err := env.Read(ctx, "test.defaults", ids, []string{"name", "day", "stamp", "company_id", "multi", "ratio", "credit", "kind", "create_date"})
			if err != nil {
				return err
			}
			r := recs[0]
			want := map[string]any{"name": fmt.Sprintf("Draft by %d", uid), "day": "2024-03-10", "stamp": "2024-03-10 00:30:00", "multi": true,
				"ratio": 0.5, "kind": "a", "create_date": "2024-03-09 23:30:00"}
			for k, v := range want {
				if r[k] != v {
					t.Errorf("%s = %#v, want %#v", k, r[k], v)
				}
			}
			if c := r["company_id"].([]any); c[0] != co {
				t.Errorf("company_id = %v", c)
			}
			if decimalText(r["credit"]) != "10.05" {
				t.Errorf("credit = %v", r["credit"])
			}
			if recs[1]["name"] != "given" {
				t.Errorf("a given value lost to its default: %v", recs[1]["name"])
			}
			got, err := env.DefaultGet(ctx, "test.defaults", []string{"name", "day"})
			if err != nil {
				return err
			}
			if got["name"] != fmt.Sprintf("Draft by %d", uid) || got["day"] != "2024-03-10" {
				t.Errorf("default_get = %v", got)
			}
			return nil
		})
		// The system (uid 0, no company): a many2one default of 0 means none.
		run(Identity{}, func(ctx context.Context, env *Env) error {
			ids, err := env.Create(ctx, "test.defaults", []map[string]any{{}})
			if err != nil {
				return err
			}
			recs, err := env.Read(ctx, "test.defaults", ids, []string{"company_id", "day", "multi"})
			if err != nil {
				return err
			}
			if recs[0]["company_id"] != false || recs[0]["day"] != "2024-03-09" || recs[0]["multi"] != false {
				t.Errorf("system defaults: %v", recs[0])
			}
			return nil
		})
		// A default past its budget refuses the create and leaves nothing.
		many := make([]int64, 60)
		for i := range many {
			many[i] = int64(i + 1)
		}
		run(Identity{UID: uid, CompanyIDs: many}, func(ctx context.Context, env *Env) error {
			before, _ := env.SearchCount(ctx, "test.defaults", mustDomain([]any{}), SearchOptions{})
			_, err := env.Create(ctx, "test.defaults", []map[string]any{{"company_id": co}})
			if !isValidation(err) || !strings.Contains(err.Error(), "budget") {
				t.Errorf("costly default: got %v, want a validation error naming the budget", err)
			}
			after, _ := env.SearchCount(ctx, "test.defaults", mustDomain([]any{}), SearchOptions{})
			if after != before {
				t.Errorf("a refused default created %d records", after-before)
			}
			return nil
		})
	})
}

func TestDefaultExpressionsRefusedAtFreeze(t *testing.T) {
	long := strings.Repeat("1 + ", 300) + "1"
	tests := []struct {
		name string
		typ  FieldType
		expr string
		kind error // the sandbox's kind of refusal, nil for a declaration error
	}{
		{"syntax", Char, `"unterminated`, sandbox.ErrSyntax},
		{"unknown variable", Char, `user.password`, sandbox.ErrType},
		{"environment variable", Char, `env`, sandbox.ErrType},
		{"unknown function", Char, `exec("rm -rf /")`, sandbox.ErrType},
		{"reflection", Char, `type(uid)`, sandbox.ErrType},
		{"dyn escape", Integer, `dyn(uid)`, sandbox.ErrType},
		{"wrong type for a date", Date, `"2024-01-01"`, sandbox.ErrType},
		{"wrong type for a boolean", Boolean, `1`, sandbox.ErrType},
		{"wrong type for a many2one", Many2one, `"1"`, sandbox.ErrType},
		{"text too long", Char, long, sandbox.ErrBudget},
		{"too deep", Integer, strings.Repeat("(", 40) + "1" + strings.Repeat(")", 40), sandbox.ErrBudget},
		{"nested comprehensions", Integer, `size([1].map(a, [1].map(b, [1].map(c, [1].map(d, a)))))`, sandbox.ErrBudget},
		{"control character", Char, "\"a\x00\"", sandbox.ErrSyntax},
		{"on a one2many", One2many, `[]`, nil},
		{"with a static default too", Char, `"a"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &Field{Name: "x", Type: tt.typ, DefaultExpr: tt.expr}
			switch tt.typ {
			case Many2one:
				f.Comodel = "a.b"
			case One2many:
				f.Comodel, f.InverseName = "a.b", "parent_id"
			}
			if tt.name == "with a static default too" {
				f.Default = "b"
			}
			r := NewRegistry(Limits{})
			err := r.Define(&Model{Name: "a.b", Fields: []*Field{f, {Name: "parent_id", Type: Many2one, Comodel: "a.b"}}})
			if err == nil {
				err = r.Freeze()
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("got %v, want %v", err, tt.kind)
			}
			if r.Frozen() {
				t.Error("the registry froze with a bad default")
			}
		})
	}
}
