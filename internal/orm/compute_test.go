package orm

import (
	"context"
	"errors"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func decimalText(v any) string { return v.(*apd.Decimal).Text('f') }

func TestStoredComputeAndCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		partner := d.create("test.partner", map[string]any{"name": "P", "email": "p@x.org"})
		d.sudo(func(ctx context.Context, env *Env) error {
			ids, err := env.Create(ctx, "test.order", []map[string]any{{"name": "SO1", "partner_id": partner,
				"line_ids": []any{[]any{0, 0, map[string]any{"name": "a", "amount": "0.1"}}, []any{0, 0, map[string]any{"name": "b", "amount": "0.2"}}}}})
			if err != nil {
				return err
			}
			so := ids[0]
			read := func() map[string]any {
				recs, err := env.Read(ctx, "test.order", []int64{so}, []string{"total", "partner_email", "line_ids"})
				if err != nil {
					t.Fatal(err)
				}
				return recs[0]
			}
			r := read()
			if decimalText(r["total"]) != "0.3" || r["partner_email"] != "p@x.org" {
				t.Errorf("after create: total %s, email %v", decimalText(r["total"]), r["partner_email"])
			}
			lines := r["line_ids"].([]int64)
			// (1, id, vals) updates a line; the total follows.
			if err := env.Write(ctx, "test.order", []int64{so}, map[string]any{"line_ids": []any{[]any{1, lines[0], map[string]any{"amount": "10"}}}}); err != nil {
				return err
			}
			if got := decimalText(read()["total"]); got != "10.2" {
				t.Errorf("after line update: %s", got)
			}
			// Writing the line directly also recomputes; so does the partner's email.
			if err := env.Write(ctx, "test.order.line", []int64{lines[1]}, map[string]any{"amount": "1.25"}); err != nil {
				return err
			}
			if err := env.Write(ctx, "test.partner", []int64{partner}, map[string]any{"email": "new@x.org"}); err != nil {
				return err
			}
			r = read()
			if decimalText(r["total"]) != "11.25" || r["partner_email"] != "new@x.org" {
				t.Errorf("after direct writes: total %s, email %v", decimalText(r["total"]), r["partner_email"])
			}
			// (2, id) deletes a line; (6, 0, ids) on a one2many with a required inverse deletes the others.
			if err := env.Write(ctx, "test.order", []int64{so}, map[string]any{"line_ids": []any{[]any{2, lines[0]}}}); err != nil {
				return err
			}
			if got := decimalText(read()["total"]); got != "1.25" {
				t.Errorf("after delete: %s", got)
			}
			if err := env.Write(ctx, "test.order", []int64{so}, map[string]any{"line_ids": []any{[]any{5}}}); err != nil {
				return err
			}
			if r := read(); decimalText(r["total"]) != "0" || len(r["line_ids"].([]int64)) != 0 {
				t.Errorf("after clear: %v", r)
			}
			// A Go constraint refuses a negative amount and leaves nothing behind.
			err = env.Write(ctx, "test.order", []int64{so}, map[string]any{"line_ids": []any{[]any{0, 0, map[string]any{"amount": "-1"}}}})
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "amount" {
				t.Errorf("negative amount: %v", err)
			}
			if n := len(read()["line_ids"].([]int64)); n != 0 {
				t.Errorf("%d lines after a refused command", n)
			}
			// Deleting the partner is restricted while an order refers to it.
			err = env.Unlink(ctx, "test.partner", []int64{partner})
			var ue *UserError
			if !errors.As(err, &ue) {
				t.Errorf("unlink referenced partner: %v", err)
			}
			return nil
		})
	})
}

func TestMany2manyCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		a := d.create("test.tag", map[string]any{"name": "a"})
		b := d.create("test.tag", map[string]any{"name": "b"})
		p := d.create("test.partner", map[string]any{"name": "P"})
		d.sudo(func(ctx context.Context, env *Env) error {
			tags := func() []int64 {
				recs, err := env.Read(ctx, "test.partner", []int64{p}, []string{"tag_ids"})
				if err != nil {
					t.Fatal(err)
				}
				return recs[0]["tag_ids"].([]int64)
			}
			steps := []struct {
				cmd  []any
				want int
			}{
				{[]any{[]any{4, a}, []any{4, b}, []any{4, a}}, 2},
				{[]any{[]any{3, a}}, 1},
				{[]any{[]any{0, 0, map[string]any{"name": "c"}}}, 2},
				{[]any{[]any{6, 0, []any{a}}}, 1},
				{[]any{a, b}, 2},
				{[]any{[]any{5}}, 0},
			}
			for i, s := range steps {
				if err := env.Write(ctx, "test.partner", []int64{p}, map[string]any{"tag_ids": s.cmd}); err != nil {
					return err
				}
				if got := len(tags()); got != s.want {
					t.Errorf("step %d: %d tags, want %d", i, got, s.want)
				}
			}
			for _, bad := range []any{"x", []any{[]any{9, 0}}, []any{[]any{4}}, []any{[]any{0, 0, "vals"}}, []any{[]any{6, 0, "ids"}}, map[string]any{}} {
				if err := env.Write(ctx, "test.partner", []int64{p}, map[string]any{"tag_ids": bad}); err == nil {
					t.Errorf("command %v accepted", bad)
				}
			}
			return nil
		})
	})
}

func TestCopyNameSearchFieldsGet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		d.sudo(func(ctx context.Context, env *Env) error {
			cp, err := env.Copy(ctx, "test.partner", ids["Bob_b"], map[string]any{"name": "Bob copy"})
			if err != nil {
				return err
			}
			recs, err := env.Read(ctx, "test.partner", []int64{cp}, []string{"name", "tag_ids", "parent_id", "child_ids", "score"})
			if err != nil {
				return err
			}
			r := recs[0]
			if r["name"] != "Bob copy" || len(r["tag_ids"].([]int64)) != 2 || r["parent_id"].([]any)[0] != ids["Acme"] || r["score"] != int64(2) {
				t.Errorf("copy: %v", r)
			}
			found, err := env.NameSearch(ctx, "test.partner", "bob", mustDomain([]any{}), "", 10)
			if err != nil {
				return err
			}
			if len(found) != 2 {
				t.Errorf("name_search: %v", found)
			}
			desc, err := env.FieldsGet(ctx, "test.partner", nil, []string{"type", "relation"})
			if err != nil {
				return err
			}
			if desc["parent_id"]["type"] != "many2one" || desc["parent_id"]["relation"] != "test.partner" || len(desc["name"]) != 1 {
				t.Errorf("fields_get: %v %v", desc["parent_id"], desc["name"])
			}
			defaults, err := env.DefaultGet(ctx, "test.partner", []string{"kind", "active"})
			if err != nil || defaults["kind"] != "person" || defaults["active"] != true {
				t.Errorf("default_get: %v %v", defaults, err)
			}
			return nil
		})
	})
}

func TestMonetaryIsExact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		d.sudo(func(ctx context.Context, env *Env) error {
			for _, in := range []any{"12345678901234567.89", "0.1", 0.1, int64(7), "-3.14159"} {
				ids, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "m", "credit": in}})
				if err != nil {
					return err
				}
				recs, err := env.Read(ctx, "test.partner", ids, []string{"credit"})
				if err != nil {
					return err
				}
				want, _ := toDecimal(in)
				if got := recs[0]["credit"].(*apd.Decimal); got.Cmp(want) != 0 {
					t.Errorf("%v read back as %s", in, got.Text('f'))
				}
			}
			for _, bad := range []any{"abc", "1e400", "NaN", "Infinity", true, []any{1}} {
				if _, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "m", "credit": bad}}); err == nil {
					t.Errorf("amount %v accepted", bad)
				}
			}
			return nil
		})
	})
}

func TestMonetaryRoundedPerCurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		jpy := d.create("test.currency", map[string]any{"name": "JPY", "decimal_places": 0})
		kwd := d.create("test.currency", map[string]any{"name": "KWD", "decimal_places": 3})
		p := d.create("test.partner", map[string]any{"name": "P"})
		so := d.create("test.order", map[string]any{"name": "SO", "partner_id": p})
		d.sudo(func(ctx context.Context, env *Env) error {
			ids, err := env.Create(ctx, "test.order.line", []map[string]any{
				{"order_id": so, "currency_id": jpy, "price": "1234.5"},
				{"order_id": so, "currency_id": kwd, "price": "1.23456"},
				{"order_id": so, "price": "1.23456"},
			})
			if err != nil {
				return err
			}
			read := func() []string {
				recs, err := env.Read(ctx, "test.order.line", ids, []string{"price"})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, r := range recs {
					out = append(out, decimalText(r["price"]))
				}
				return out
			}
			if got := read(); got[0] != "1235" || got[1] != "1.235" || got[2] != "1.23456" {
				t.Errorf("after create: %v", got)
			}
			if err := env.Write(ctx, "test.order.line", ids[2:], map[string]any{"currency_id": jpy}); err != nil {
				return err
			}
			if got := read(); got[2] != "1" {
				t.Errorf("after currency change: %v", got)
			}
			return nil
		})
	})
}
