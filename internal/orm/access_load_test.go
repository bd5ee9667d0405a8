package orm

import (
	"context"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestAccessRightsAndRulesLoadOncePerOperationKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		users := d.group("test.users")
		d.acl("test.partner", users, "r")
		d.acl("test.company", users, "r")
		d.acl("test.tag", users, "r")
		d.rule("test.partner", "[('score', '>=', 2)]", users)
		d.rule("test.tag", "[('name', '=', 'vip')]", users)
		as := Identity{UID: 0, GroupIDs: []int64{users}}
		err := d.run(as, false, func(ctx context.Context, env *Env) error {
			// The first read loads the rights and the rules of every model.
			if _, err := env.Read(ctx, "test.company", []int64{ids["co1"]}, []string{"name"}); err != nil {
				return err
			}
			reads := []struct {
				model string
				ids   []int64
			}{
				{"test.partner", []int64{ids["Acme"]}},
				{"test.tag", []int64{ids["vip"]}},
				{"test.company", []int64{ids["co2"]}},
			}
			for _, r := range reads {
				start := env.Statements()
				if _, err := env.Read(ctx, r.model, r.ids, []string{"name"}); err != nil {
					return err
				}
				if n := env.Statements() - start; n != 1 {
					t.Errorf("read of %s: %d statements, want 1 (rights and rules already loaded)", r.model, n)
				}
			}
			for _, c := range []struct {
				model string
				want  []int64
			}{
				{"test.partner", []int64{ids["Acme"], ids["Bob_b"], ids["Dave%"]}},
				{"test.tag", []int64{ids["vip"]}},
			} {
				got, err := env.Search(ctx, c.model, domain.Domain{}, SearchOptions{Order: "id"})
				if err != nil {
					return err
				}
				slices.Sort(c.want)
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: got %v, want %v", c.model, got, c.want)
				}
			}
			if _, err := env.Read(ctx, "test.partner", []int64{ids["alice"]}, []string{"name"}); !isAccess(err) {
				t.Errorf("a record outside the rule: got %v, want an AccessError", err)
			}
			if err := env.Write(ctx, "test.partner", []int64{ids["Acme"]}, map[string]any{"name": "x"}); !isAccess(err) {
				t.Errorf("a write without the right: got %v, want an AccessError", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestChangedRulesApplyWithinTheSameEnv(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		users := d.group("test.users")
		d.acl("test.partner", users, "r")
		as := Identity{UID: 0, GroupIDs: []int64{users}}
		err := d.run(as, false, func(ctx context.Context, env *Env) error {
			before, err := env.Search(ctx, "test.partner", domain.Domain{}, SearchOptions{})
			if err != nil {
				return err
			}
			// The system adds a rule in the same transaction; the user's next
			// search must obey it.
			su := env.Sudo()
			model, err := su.Search(ctx, "ir.model", mustDomain([]any{[]any{"model", "=", "test.partner"}}), SearchOptions{})
			if err != nil {
				return err
			}
			if _, err := su.Create(ctx, "ir.rule", []map[string]any{{"name": "only Acme", "model_id": model[0], "domain_force": "[('name', '=', 'Acme')]"}}); err != nil {
				return err
			}
			after, err := env.Search(ctx, "test.partner", domain.Domain{}, SearchOptions{})
			if err != nil {
				return err
			}
			if len(before) < 2 || !slices.Equal(after, []int64{ids["Acme"]}) {
				t.Errorf("before the rule %v, after %v; want only Acme after", before, after)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
