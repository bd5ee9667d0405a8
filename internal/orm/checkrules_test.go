package orm

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestCheckRulesTellsMissingFromForbiddenInOneQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		users := d.group("test.users")
		d.acl("test.partner", users, "rw")
		d.rule("test.partner", "[('score', '>=', 2)]", users)
		as := Identity{UID: 0, GroupIDs: []int64{users}}
		allowed, forbidden, missing := ids["Acme"], ids["alice"], int64(999999)
		cases := []struct {
			name      string
			ids       []int64
			wantIDs   []int64
			wantError func(error) bool
		}{
			{"allowed", []int64{allowed}, nil, func(err error) bool { return err == nil }},
			{"forbidden", []int64{allowed, forbidden}, []int64{forbidden}, isAccess},
			{"missing before forbidden", []int64{allowed, forbidden, missing}, []int64{missing}, isMissing},
		}
		for _, c := range cases {
			err := d.run(as, false, func(ctx context.Context, env *Env) error {
				m := env.reg.models["test.partner"]
				// Load the rules first: the check itself is then one query.
				if _, err := env.ruleDomain(ctx, m, opWrite); err != nil {
					return err
				}
				start := env.Statements()
				err := env.checkRules(ctx, m, c.ids, opWrite)
				if n := env.Statements() - start; n != 1 {
					t.Errorf("%s: %d statements, want 1", c.name, n)
				}
				return err
			})
			if !c.wantError(err) {
				t.Errorf("%s: got %v", c.name, err)
				continue
			}
			var ae *AccessError
			var me *MissingError
			switch {
			case errors.As(err, &ae) && !slices.Equal(ae.IDs, c.wantIDs):
				t.Errorf("%s: forbidden ids %v, want %v", c.name, ae.IDs, c.wantIDs)
			case errors.As(err, &me) && !slices.Equal(me.IDs, c.wantIDs):
				t.Errorf("%s: missing ids %v, want %v", c.name, me.IDs, c.wantIDs)
			}
		}
	})
}
