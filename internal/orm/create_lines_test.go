package orm

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// billRegistry has bills with lines. A line's subtotal is qty × price and its
// share is its subtotal in percent of its bill's total; a bill's total and line
// count come from its lines, its label from its own name. calls counts the
// computations of each field.
func billRegistry(t *testing.T, calls map[string]int) *Registry {
	t.Helper()
	counted := func(name string, fn func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error)) ComputeFunc {
		return func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
			calls[name]++
			return fn(ctx, env, ids)
		}
	}
	perRecord := func(model string, fields []string, fn func(r map[string]any) any) func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
		return func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
			recs, err := env.ReadValues(ctx, model, ids, fields)
			if err != nil {
				return nil, err
			}
			out := map[int64]any{}
			for _, r := range recs {
				out[r["id"].(int64)] = fn(r)
			}
			return out, nil
		}
	}
	fromLines := func(pick func(sum, count int64) int64) func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
		return func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
			lines, err := env.SearchReadValues(ctx, "test.bill.line", mustDomain([]any{[]any{"bill_id", "in", int64sToAny(ids)}}), []string{"bill_id", "subtotal"}, SearchOptions{})
			if err != nil {
				return nil, err
			}
			sums, counts := map[int64]int64{}, map[int64]int64{}
			for _, l := range lines {
				b := l["bill_id"].(int64)
				sums[b] += asInt(l["subtotal"])
				counts[b]++
			}
			out := map[int64]any{}
			for _, id := range ids {
				out[id] = pick(sums[id], counts[id])
			}
			return out, nil
		}
	}
	share := func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
		lines, err := env.ReadValues(ctx, "test.bill.line", ids, []string{"bill_id", "subtotal"})
		if err != nil {
			return nil, err
		}
		out := map[int64]any{}
		for _, l := range lines {
			bill, err := env.ReadValues(ctx, "test.bill", []int64{l["bill_id"].(int64)}, []string{"total"})
			if err != nil {
				return nil, err
			}
			share := int64(0)
			if total := asInt(bill[0]["total"]); total != 0 {
				share = asInt(l["subtotal"]) * 100 / total
			}
			out[l["id"].(int64)] = share
		}
		return out, nil
	}
	r := NewRegistry(Limits{})
	for _, m := range []*Model{
		{Name: "test.bill", Fields: []*Field{
			{Name: "name", Type: Char},
			{Name: "line_ids", Type: One2many, Comodel: "test.bill.line", InverseName: "bill_id"},
			{Name: "total", Type: Integer, Store: true, Depends: []string{"line_ids.subtotal"},
				Compute: counted("total", fromLines(func(sum, _ int64) int64 { return sum }))},
			{Name: "count", Type: Integer, Store: true, Depends: []string{"line_ids"},
				Compute: counted("count", fromLines(func(_, count int64) int64 { return count }))},
			{Name: "label", Type: Char, Store: true, Depends: []string{"name"},
				Compute: counted("label", perRecord("test.bill", []string{"name"}, func(r map[string]any) any { return fmt.Sprintf("Bill %v", r["name"]) }))},
		}},
		{Name: "test.bill.line", Fields: []*Field{
			{Name: "bill_id", Type: Many2one, Comodel: "test.bill", Required: true, OnDelete: Cascade},
			{Name: "qty", Type: Integer},
			{Name: "price", Type: Integer},
			{Name: "subtotal", Type: Integer, Store: true, Depends: []string{"qty", "price"},
				Compute: counted("subtotal", perRecord("test.bill.line", []string{"qty", "price"}, func(r map[string]any) any { return asInt(r["qty"]) * asInt(r["price"]) }))},
			{Name: "share", Type: Integer, Store: true, Depends: []string{"subtotal", "bill_id.total"},
				Compute: counted("share", share)},
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

// asInt reads an integer column, 0 when empty.
func asInt(v any) int64 {
	n, _ := v.(int64)
	return n
}

func billLine(qty, price int) []any {
	return []any{0, 0, map[string]any{"qty": qty, "price": price}}
}

// billState is what the test checks of one bill after an operation.
type billState struct {
	total, count int64
	label        string
	shares       []int64 // of its lines, by id
}

func readBill(ctx context.Context, env *Env, bill int64) (billState, error) {
	recs, err := env.ReadValues(ctx, "test.bill", []int64{bill}, []string{"total", "count", "label"})
	if err != nil {
		return billState{}, err
	}
	label, _ := recs[0]["label"].(string)
	s := billState{total: asInt(recs[0]["total"]), count: asInt(recs[0]["count"]), label: label}
	lines, err := env.SearchReadValues(ctx, "test.bill.line", mustDomain([]any{[]any{"bill_id", "=", bill}}), []string{"share"}, SearchOptions{Order: "id"})
	if err != nil {
		return billState{}, err
	}
	for _, l := range lines {
		s.shares = append(s.shares, asInt(l["share"]))
	}
	return s, nil
}

// A record created with one2many lines computes each of its stored computed
// fields once, after its lines exist; a field reading another field pending in
// the same recomputation waits for it instead of being computed before and
// again after.
func TestCreateWithLinesComputesEachFieldOnce(t *testing.T) {
	type step func(ctx context.Context, env *Env, bill int64) (int64, error)
	create := func(vals map[string]any) step {
		return func(ctx context.Context, env *Env, _ int64) (int64, error) {
			ids, err := env.Create(ctx, "test.bill", []map[string]any{vals})
			if err != nil {
				return 0, err
			}
			return ids[0], nil
		}
	}
	write := func(model string, vals map[string]any, lines ...int) step {
		return func(ctx context.Context, env *Env, bill int64) (int64, error) {
			ids := []int64{bill}
			if model == "test.bill.line" {
				all, err := env.Search(ctx, model, mustDomain([]any{[]any{"bill_id", "=", bill}}), SearchOptions{Order: "id"})
				if err != nil {
					return 0, err
				}
				ids = ids[:0]
				for _, i := range lines {
					ids = append(ids, all[i])
				}
			}
			return bill, env.Write(ctx, model, ids, vals)
		}
	}
	threeLines := create(map[string]any{"name": "A", "line_ids": []any{billLine(1, 10), billLine(2, 20), billLine(5, 10)}})
	cases := []struct {
		name  string
		setup step // nil: none
		op    step
		calls map[string]int
		want  billState
	}{{
		// The share of a line reads its bill's total: computed with the lines,
		// then again once the bill's total is known.
		name:  "create with lines",
		op:    threeLines,
		calls: map[string]int{"total": 1, "count": 1, "label": 1, "subtotal": 1, "share": 2},
		want:  billState{total: 100, count: 3, label: "Bill A", shares: []int64{10, 40, 50}},
	}, {
		name:  "create without lines",
		op:    create(map[string]any{"name": "B"}),
		calls: map[string]int{"total": 1, "count": 1, "label": 1},
		want:  billState{label: "Bill B"},
	}, {
		name:  "add lines to a bill",
		setup: threeLines,
		op:    write("test.bill", map[string]any{"line_ids": []any{billLine(10, 10)}}),
		calls: map[string]int{"total": 1, "count": 1, "subtotal": 1, "share": 2},
		want:  billState{total: 200, count: 4, label: "Bill A", shares: []int64{5, 20, 25, 50}},
	}, {
		// The subtotal, then the total, then the shares: each once.
		name:  "write a line's quantity",
		setup: threeLines,
		op:    write("test.bill.line", map[string]any{"qty": 6}, 2),
		calls: map[string]int{"total": 1, "subtotal": 1, "share": 1},
		want:  billState{total: 110, count: 3, label: "Bill A", shares: []int64{9, 36, 54}},
	}, {
		// Both bills and their lines: every field computed once for all.
		name: "create two bills with lines at once",
		op: func(ctx context.Context, env *Env, _ int64) (int64, error) {
			ids, err := env.Create(ctx, "test.bill", []map[string]any{
				{"name": "C", "line_ids": []any{billLine(1, 1)}},
				{"name": "D", "line_ids": []any{billLine(1, 30), billLine(1, 10)}},
			})
			if err != nil {
				return 0, err
			}
			return ids[1], nil
		},
		calls: map[string]int{"total": 1, "count": 1, "label": 1, "subtotal": 2, "share": 3},
		want:  billState{total: 40, count: 2, label: "Bill D", shares: []int64{75, 25}},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, e storetest.Engine) {
				calls := map[string]int{}
				d := migratedTestDB(t, e, billRegistry(t, calls))
				var bill int64
				if c.setup != nil {
					d.sudo(func(ctx context.Context, env *Env) (err error) {
						bill, err = c.setup(ctx, env, 0)
						return err
					})
				}
				clear(calls)
				d.sudo(func(ctx context.Context, env *Env) (err error) {
					bill, err = c.op(ctx, env, bill)
					return err
				})
				if c.calls != nil && !maps.Equal(calls, c.calls) {
					t.Errorf("computations %v, want %v", calls, c.calls)
				}
				d.sudo(func(ctx context.Context, env *Env) error {
					got, err := readBill(ctx, env, bill)
					if err != nil {
						return err
					}
					if fmt.Sprint(got) != fmt.Sprint(c.want) {
						t.Errorf("bill %+v, want %+v", got, c.want)
					}
					return nil
				})
			})
		})
	}
}
