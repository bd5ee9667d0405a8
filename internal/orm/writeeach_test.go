package orm

import (
	"context"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestWriteEachWritesEachRecordAndRecomputesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		passes := 0
		reg := sheetRegistry(t, &passes)
		d := migratedTestDB(t, e, reg)
		sheet := d.create("test.sheet", map[string]any{"name": "A", "line_ids": []any{
			[]any{0, 0, map[string]any{"qty": 1}}, []any{0, 0, map[string]any{"qty": 1}}, []any{0, 0, map[string]any{"qty": 1}},
		}})
		d.sudo(func(ctx context.Context, env *Env) error {
			lines, err := env.Search(ctx, "test.sheet.line", mustDomain([]any{[]any{"sheet_id", "=", sheet}}), SearchOptions{Order: "id"})
			if err != nil {
				return err
			}
			passes = 0
			if err := env.WriteEach(ctx, "test.sheet.line", lines, []map[string]any{{"qty": 2}, {"qty": 4}, {"qty": 8}}); err != nil {
				return err
			}
			if passes != 1 {
				t.Errorf("%d passes over the lines for one WriteEach, want 1", passes)
			}
			recs, err := env.ReadValues(ctx, "test.sheet.line", lines, []string{"qty"})
			if err != nil {
				return err
			}
			for i, want := range []int64{2, 4, 8} {
				if recs[i]["qty"] != want {
					t.Errorf("line %d: qty %v, want %d", i, recs[i]["qty"], want)
				}
			}
			s, err := env.ReadValues(ctx, "test.sheet", []int64{sheet}, []string{"total"})
			if err != nil {
				return err
			}
			if s[0]["total"] != int64(14) {
				t.Errorf("total %v, want 14", s[0]["total"])
			}
			return nil
		})
	})
}

func TestWriteEachRefusesAsWriteDoes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		users := d.group("test.users")
		d.acl("test.partner", users, "rw")
		d.rule("test.partner", "[('name', '!=', 'carol')]", users)
		as := Identity{UID: 0, GroupIDs: []int64{users}}
		alice, carol := ids["alice"], ids["carol"]
		cases := []struct {
			name string
			ids  []int64
			vals []map[string]any
			want func(error) bool
		}{
			{"fewer values than records", []int64{alice, carol}, []map[string]any{{"score": 5}}, isValidation},
			{"a record twice", []int64{alice, alice}, []map[string]any{{"score": 5}, {"score": 6}}, isValidation},
			{"a record outside the rules", []int64{alice, carol}, []map[string]any{{"score": 5}, {"score": 6}}, isAccess},
			{"a missing record", []int64{alice, 999999}, []map[string]any{{"score": 5}, {"score": 6}}, isMissing},
			{"a field of another group", []int64{alice}, []map[string]any{{"salary": 5}}, isAccess},
		}
		for _, c := range cases {
			err := d.run(as, false, func(ctx context.Context, env *Env) error {
				return env.WriteEach(ctx, "test.partner", c.ids, c.vals)
			})
			if !c.want(err) {
				t.Errorf("%s: got %v", c.name, err)
			}
		}
		d.sudo(func(ctx context.Context, env *Env) error {
			recs, err := env.ReadValues(ctx, "test.partner", []int64{alice}, []string{"score"})
			if err != nil {
				return err
			}
			if recs[0]["score"] != int64(1) {
				t.Errorf("alice's score is %v after refused writes, want 1", recs[0]["score"])
			}
			return nil
		})
	})
}

func TestWriteEachChecksConstraintsOnTheWholeChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		p := d.create("test.partner", map[string]any{"name": "P"})
		o := d.create("test.order", map[string]any{"name": "O", "partner_id": p, "line_ids": []any{
			[]any{0, 0, map[string]any{"amount": "1"}}, []any{0, 0, map[string]any{"amount": "2"}},
		}})
		err := d.run(Identity{}, true, func(ctx context.Context, env *Env) error {
			lines, err := env.Search(ctx, "test.order.line", mustDomain([]any{[]any{"order_id", "=", o}}), SearchOptions{Order: "id"})
			if err != nil {
				return err
			}
			return env.WriteEach(ctx, "test.order.line", lines, []map[string]any{{"amount": "5"}, {"amount": "-1"}})
		})
		if !isValidation(err) {
			t.Fatalf("a negative amount: got %v, want a ValidationError", err)
		}
		d.sudo(func(ctx context.Context, env *Env) error {
			recs, err := env.ReadValues(ctx, "test.order", []int64{o}, []string{"total"})
			if err != nil {
				return err
			}
			if got, ok := recs[0]["total"].(*apd.Decimal); !ok || got.Cmp(apd.New(3, 0)) != 0 {
				t.Errorf("total %v after the refused change, want 3", got)
			}
			return nil
		})
	})
}

func TestWriteEachSetsEveryColumnTypeRecordByRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		co := d.create("test.company", map[string]any{"name": "Acme"})
		a := d.create("test.partner", map[string]any{"name": "A"})
		b := d.create("test.partner", map[string]any{"name": "B", "company_id": co, "email": "b@x.org"})
		fields := []string{"name", "email", "is_company", "company_id", "score", "ratio", "credit", "birthday", "seen_at", "kind"}
		vals := []map[string]any{
			{"name": "A2", "email": "a@x.org", "is_company": true, "company_id": co, "score": 3, "ratio": 0.5, "credit": "1.25",
				"birthday": "2001-02-03", "seen_at": "2024-05-06 07:08:09", "kind": "shop"},
			{"name": "B2", "email": false, "is_company": false, "company_id": false, "score": -4, "ratio": 2.0, "credit": "0",
				"birthday": false, "seen_at": false, "kind": "person"},
		}
		d.sudo(func(ctx context.Context, env *Env) error {
			start := env.Statements()
			if err := env.WriteEach(ctx, "test.partner", []int64{a, b}, vals); err != nil {
				return err
			}
			recs, err := env.ReadValues(ctx, "test.partner", []int64{a, b}, fields)
			if err != nil {
				return err
			}
			for i, want := range vals {
				for k, v := range want {
					got := recs[i][k]
					if dec, ok := got.(*apd.Decimal); ok {
						got = dec.Text('f')
					}
					switch w := v.(type) {
					case int:
						v = int64(w)
					case string:
						if k == "credit" {
							if wd, _, err := apd.NewFromString(w); err == nil {
								v = wd.Text('f')
							}
						}
					}
					if got != v {
						t.Errorf("record %d %s = %#v, want %#v", i, k, got, v)
					}
				}
			}
			// Both records are set by one UPDATE: 8 statements with the read,
			// where an UPDATE per record made 9.
			if n := env.Statements() - start; n > 8 {
				t.Errorf("WriteEach of 2 records took %d statements", n)
			}
			return nil
		})
	})
}
