package orm

import (
	"context"
	"fmt"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// calcRegistry has records whose stored computed fields of every column type
// take a value of their own per record (none for n = 0).
func calcRegistry(t *testing.T) *Registry {
	t.Helper()
	calc := func(typ FieldType, fn func(n int64) any) *Field {
		return &Field{Name: "c_" + string(typ), Type: typ, Store: true, Depends: []string{"n"},
			Compute: func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
				recs, err := env.ReadValues(ctx, "test.calc", ids, []string{"n"})
				if err != nil {
					return nil, err
				}
				out := map[int64]any{}
				for _, r := range recs {
					n := r["n"].(int64)
					if n == 0 {
						out[r["id"].(int64)] = nil
					} else {
						out[r["id"].(int64)] = fn(n)
					}
				}
				return out, nil
			}}
	}
	r := NewRegistry(Limits{})
	m := &Model{Name: "test.calc", Fields: []*Field{
		{Name: "n", Type: Integer},
		{Name: "other_id", Type: Many2one, Comodel: "test.calc"},
		calc(Integer, func(n int64) any { return n * 10 }),
		calc(Float, func(n int64) any { return float64(n) + 0.25 }),
		calc(Monetary, func(n int64) any { return fmt.Sprintf("%d.05", n) }),
		calc(Boolean, func(n int64) any { return n%2 == 1 }),
		calc(Char, func(n int64) any { return fmt.Sprintf("n%d", n) }),
		calc(Date, func(n int64) any { return fmt.Sprintf("2024-01-%02d", n) }),
		calc(Datetime, func(n int64) any { return fmt.Sprintf("2024-01-01 10:00:%02d", n) }),
	}}
	if err := r.Define(m); err != nil {
		t.Fatal(err)
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStoredComputedValuesOfEachRecordInOneStatement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		reg := calcRegistry(t)
		d := migratedTestDB(t, e, reg)
		d.sudo(func(ctx context.Context, env *Env) error {
			ids, err := env.Create(ctx, "test.calc", []map[string]any{{"n": 1}, {"n": 2}, {"n": 0}, {"n": 3}})
			if err != nil {
				return err
			}
			fields := []string{"c_integer", "c_float", "c_monetary", "c_boolean", "c_char", "c_date", "c_datetime"}
			recs, err := env.ReadValues(ctx, "test.calc", ids, fields)
			if err != nil {
				return err
			}
			want := []map[string]any{
				{"c_integer": int64(10), "c_float": 1.25, "c_monetary": "1.05", "c_boolean": true, "c_char": "n1", "c_date": "2024-01-01", "c_datetime": "2024-01-01 10:00:01"},
				{"c_integer": int64(20), "c_float": 2.25, "c_monetary": "2.05", "c_boolean": false, "c_char": "n2", "c_date": "2024-01-02", "c_datetime": "2024-01-01 10:00:02"},
				{"c_integer": int64(0), "c_float": 0.0, "c_monetary": "0", "c_boolean": false, "c_char": false, "c_date": false, "c_datetime": false},
				{"c_integer": int64(30), "c_float": 3.25, "c_monetary": "3.05", "c_boolean": true, "c_char": "n3", "c_date": "2024-01-03", "c_datetime": "2024-01-01 10:00:03"},
			}
			for i, w := range want {
				for k, v := range w {
					got := recs[i][k]
					if d, ok := got.(*apd.Decimal); ok {
						got = d.Text('f')
					}
					if got != v {
						t.Errorf("record %d %s = %#v, want %#v", i, k, got, v)
					}
				}
			}
			// Rewriting n stores each field in one statement for all records.
			start := env.Statements()
			if err := env.WriteEach(ctx, "test.calc", ids, []map[string]any{{"n": 4}, {"n": 5}, {"n": 6}, {"n": 7}}); err != nil {
				return err
			}
			recs, err = env.ReadValues(ctx, "test.calc", ids, []string{"c_integer"})
			if err != nil {
				return err
			}
			for i, r := range recs {
				if r["c_integer"] != int64(40+10*i) {
					t.Errorf("after the write, record %d c_integer = %v", i, r["c_integer"])
				}
			}
			// Savepoint and release, the rule check, one UPDATE of n, the lookup
			// of the records to recompute, per field one read and one UPDATE,
			// and the read above: 20. One UPDATE per record and field would be 44.
			if n := env.Statements() - start; n > 20 {
				t.Errorf("writing 4 records with 7 computed fields took %d statements, want at most 20", n)
			}
			return nil
		})
	})
}
