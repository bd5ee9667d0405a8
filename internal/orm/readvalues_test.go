package orm

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestReadValuesGivesPlainIDsWithoutNameQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		co := d.create("test.company", map[string]any{"name": "Acme"})
		parent := d.create("test.partner", map[string]any{"name": "Parent", "company_id": co})
		child := d.create("test.partner", map[string]any{"name": "Child", "parent_id": parent, "company_id": co})
		fields := []string{"name", "parent_id", "company_id", "company_name", "child_ids"}
		d.sudo(func(ctx context.Context, env *Env) error {
			start := env.Statements()
			named, err := env.Read(ctx, "test.partner", []int64{child, parent}, fields)
			if err != nil {
				return err
			}
			readCost := env.Statements() - start
			start = env.Statements()
			plain, err := env.ReadValues(ctx, "test.partner", []int64{child, parent}, fields)
			if err != nil {
				return err
			}
			// Read names parent_id and company_id: one query each.
			if got := env.Statements() - start; got != readCost-2 {
				t.Errorf("ReadValues sent %d statements, Read %d; want 2 fewer", got, readCost)
			}
			if pair, ok := named[0]["parent_id"].([]any); !ok || pair[0] != parent || pair[1] != "Parent" {
				t.Errorf("Read parent_id = %#v", named[0]["parent_id"])
			}
			cases := []struct {
				rec   int
				field string
				want  any
			}{
				{0, "parent_id", parent},
				{0, "company_id", co},
				{0, "company_name", "Acme"},
				{0, "name", "Child"},
				{1, "parent_id", false},
			}
			for _, c := range cases {
				if got := plain[c.rec][c.field]; got != c.want {
					t.Errorf("record %d %s = %#v, want %#v", c.rec, c.field, got, c.want)
				}
			}
			if kids := plain[1]["child_ids"].([]int64); len(kids) != 1 || kids[0] != child {
				t.Errorf("child_ids = %v", kids)
			}
			rows, err := env.SearchReadValues(ctx, "test.partner", mustDomain([]any{[]any{"id", "=", child}}), []string{"parent_id"}, SearchOptions{})
			if err != nil {
				return err
			}
			if len(rows) != 1 || rows[0]["parent_id"] != parent {
				t.Errorf("SearchReadValues = %v", rows)
			}
			return nil
		})
	})
}

func TestReadValuesKeepsAccessRulesAndFieldGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		users := d.group("test.users")
		d.acl("test.partner", users, "r")
		d.rule("test.partner", "[('name', '!=', 'carol')]", users)
		as := Identity{UID: 0, GroupIDs: []int64{users}}
		cases := []struct {
			name   string
			id     int64
			fields []string
			ok     bool
		}{
			{"visible record", ids["alice"], []string{"name", "company_id"}, true},
			{"record outside the rule", ids["carol"], []string{"name"}, false},
			{"field of another group", ids["alice"], []string{"salary"}, false},
		}
		for _, c := range cases {
			err := d.run(as, false, func(ctx context.Context, env *Env) error {
				_, err := env.ReadValues(ctx, "test.partner", []int64{c.id}, c.fields)
				return err
			})
			if c.ok && err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			if !c.ok && !isAccess(err) {
				t.Errorf("%s: got %v, want an AccessError", c.name, err)
			}
		}
	})
}

func TestRelatedFieldsReadWithOneJoin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		co := d.create("test.company", map[string]any{"name": "Acme"})
		with := d.create("test.partner", map[string]any{"name": "With", "company_id": co})
		without := d.create("test.partner", map[string]any{"name": "Without"})
		d.sudo(func(ctx context.Context, env *Env) error {
			start := env.Statements()
			recs, err := env.ReadValues(ctx, "test.partner", []int64{with, without}, []string{"company_name"})
			if err != nil {
				return err
			}
			// The partners' row, then one query for the related field.
			if n := env.Statements() - start; n != 2 {
				t.Errorf("%d statements, want 2", n)
			}
			if recs[0]["company_name"] != "Acme" || recs[1]["company_name"] != false {
				t.Errorf("company_name = %#v, %#v; want \"Acme\", false", recs[0]["company_name"], recs[1]["company_name"])
			}
			return nil
		})
	})
}
