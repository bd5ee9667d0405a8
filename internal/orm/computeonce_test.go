package orm

import (
	"context"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// sheetRegistry has sheets whose stored total and line count come from one
// pass over their lines (ComputeOnce); passes counts those passes.
func sheetRegistry(t *testing.T, passes *int) *Registry {
	t.Helper()
	sums := func(ctx context.Context, env *Env, ids []int64) (map[int64][2]int64, error) {
		*passes++
		lines, err := env.SearchReadValues(ctx, "test.sheet.line", mustDomain([]any{[]any{"sheet_id", "in", int64sToAny(ids)}}), []string{"sheet_id", "qty"}, SearchOptions{})
		if err != nil {
			return nil, err
		}
		out := map[int64][2]int64{}
		for _, l := range lines {
			s := l["sheet_id"].(int64)
			out[s] = [2]int64{out[s][0] + l["qty"].(int64), out[s][1] + 1}
		}
		return out, nil
	}
	field := func(name string, pick int) *Field {
		return &Field{Name: name, Type: Integer, Store: true, Depends: []string{"line_ids.qty"},
			Compute: func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
				res, err := ComputeOnce(ctx, "sheet sums", ids, func() (map[int64][2]int64, error) { return sums(ctx, env, ids) })
				if err != nil {
					return nil, err
				}
				out := map[int64]any{}
				for _, id := range ids {
					out[id] = res[id][pick]
				}
				return out, nil
			}}
	}
	r := NewRegistry(Limits{})
	for _, m := range []*Model{
		{Name: "test.sheet", Fields: []*Field{
			{Name: "name", Type: Char},
			{Name: "line_ids", Type: One2many, Comodel: "test.sheet.line", InverseName: "sheet_id"},
			field("total", 0), field("lines", 1),
		}},
		{Name: "test.sheet.line", Fields: []*Field{
			{Name: "sheet_id", Type: Many2one, Comodel: "test.sheet", Required: true, OnDelete: Cascade},
			{Name: "qty", Type: Integer},
		}},
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

func TestComputeOnceSharesOnePassPerRound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		passes := 0
		reg := sheetRegistry(t, &passes)
		d := migratedTestDB(t, e, reg)
		check := func(step string, sheet int64, total, lines int64, wantPasses int) {
			t.Helper()
			d.sudo(func(ctx context.Context, env *Env) error {
				recs, err := env.ReadValues(ctx, "test.sheet", []int64{sheet}, []string{"total", "lines"})
				if err != nil {
					return err
				}
				if recs[0]["total"] != total || recs[0]["lines"] != lines {
					t.Errorf("%s: total %v, lines %v; want %d, %d", step, recs[0]["total"], recs[0]["lines"], total, lines)
				}
				return nil
			})
			if passes != wantPasses {
				t.Errorf("%s: %d passes over the lines, want %d", step, passes, wantPasses)
			}
			passes = 0
		}
		var sheet int64
		d.sudo(func(ctx context.Context, env *Env) error {
			ids, err := env.Create(ctx, "test.sheet", []map[string]any{{"name": "A", "line_ids": []any{
				[]any{0, 0, map[string]any{"qty": 2}}, []any{0, 0, map[string]any{"qty": 3}}, []any{0, 0, map[string]any{"qty": 5}},
			}}})
			if err == nil {
				sheet = ids[0]
			}
			return err
		})
		// Once for the sheet and its three lines: the lines' create leaves the
		// sheet's totals to the sheet's create, which computes them after.
		check("create", sheet, 10, 3, 1)
		var lines []int64
		d.sudo(func(ctx context.Context, env *Env) error {
			var err error
			lines, err = env.Search(ctx, "test.sheet.line", mustDomain([]any{[]any{"sheet_id", "=", sheet}}), SearchOptions{Order: "id"})
			if err != nil {
				return err
			}
			return env.Write(ctx, "test.sheet.line", lines[:1], map[string]any{"qty": 7})
		})
		check("write a line", sheet, 15, 3, 1)
		d.sudo(func(ctx context.Context, env *Env) error {
			if err := env.Write(ctx, "test.sheet.line", lines[1:2], map[string]any{"qty": 1}); err != nil {
				return err
			}
			return env.Unlink(ctx, "test.sheet.line", lines[2:])
		})
		check("write and delete in one transaction", sheet, 8, 2, 2)
	})
}

func TestComputeOnceOutsideRecomputationCallsThrough(t *testing.T) {
	calls := 0
	for i := 0; i < 2; i++ {
		v, err := ComputeOnce(context.Background(), "k", []int64{1}, func() (*apd.Decimal, error) { calls++; return apd.New(int64(i), 0), nil })
		if err != nil || v.Text('f') != string(rune('0'+i)) {
			t.Fatalf("call %d: %v %v", i, v, err)
		}
	}
	if calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
}
