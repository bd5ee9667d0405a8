package orm

import (
	"context"
	"errors"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// CheckAccess must answer exactly as the operation itself would: a screen
// trusts it to show a form read-only or leave a button out.
func TestCheckAccessAgreesWithTheOperation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		readers, editors := d.group("test.readers"), d.group("test.editors")
		d.acl("test.partner", readers, "r")
		d.acl("test.partner", editors, "rwu")
		// Editors may change and delete only partners scored 2 or more; the rule
		// does not restrict reading.
		rule := d.rule("test.partner", "[('score', '>=', 2)]", editors)
		d.sudo(func(ctx context.Context, env *Env) error {
			return env.Write(ctx, "ir.rule", []int64{rule}, map[string]any{"perm_read": false, "perm_create": false})
		})
		reader, editor := Identity{GroupIDs: []int64{readers}}, Identity{GroupIDs: []int64{editors}}

		attempt := map[string]func(ctx context.Context, env *Env, id int64) error{
			opRead: func(ctx context.Context, env *Env, id int64) error {
				_, err := env.Read(ctx, "test.partner", []int64{id}, []string{"name"})
				return err
			},
			opWrite: func(ctx context.Context, env *Env, id int64) error {
				return env.Write(ctx, "test.partner", []int64{id}, map[string]any{"email": "new@x.org"})
			},
			opUnlink: func(ctx context.Context, env *Env, id int64) error {
				return env.Unlink(ctx, "test.partner", []int64{id})
			},
		}
		cases := []struct {
			name    string
			who     Identity
			partner string
			op      string
			allowed bool
		}{
			{"reader reads", reader, "alice", opRead, true},
			{"reader writes", reader, "alice", opWrite, false},
			{"reader deletes", reader, "alice", opUnlink, false},
			{"editor reads a low score", editor, "alice", opRead, true},
			{"editor writes a low score", editor, "alice", opWrite, false},
			{"editor deletes a low score", editor, "alice", opUnlink, false},
			{"editor writes a high score", editor, "Acme", opWrite, true},
			{"editor deletes a high score", editor, "Bob_b", opUnlink, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := ids[c.partner]
				checked := d.run(c.who, false, func(ctx context.Context, env *Env) error {
					return env.CheckAccess(ctx, "test.partner", []int64{id}, c.op)
				})
				done := d.run(c.who, false, func(ctx context.Context, env *Env) error {
					return attempt[c.op](ctx, env, id)
				})
				if (checked == nil) != c.allowed || (done == nil) != c.allowed {
					t.Fatalf("CheckAccess: %v, the operation: %v; want allowed=%v", checked, done, c.allowed)
				}
				if !c.allowed && !isAccess(checked) {
					t.Errorf("CheckAccess refused with %v, want an AccessError", checked)
				}
			})
		}

		// Without ids only the rights count; a missing record is told apart;
		// an unknown operation is an error, not a panic.
		checks := []struct {
			name string
			who  Identity
			ids  []int64
			op   string
			ok   func(error) bool
		}{
			{"rights only: editor may write", editor, nil, opWrite, func(err error) bool { return err == nil }},
			{"rights only: reader may not create", reader, nil, opCreate, isAccess},
			{"missing record", editor, []int64{99999}, opWrite, isMissing},
			{"unknown operation", editor, nil, "drop", func(err error) bool { return err != nil && !isAccess(err) }},
			{"sudo", Identity{}, []int64{ids["alice"]}, opUnlink, func(err error) bool { return err == nil }},
		}
		for _, c := range checks {
			su := c.name == "sudo"
			err := d.run(c.who, su, func(ctx context.Context, env *Env) error {
				return env.CheckAccess(ctx, "test.partner", c.ids, c.op)
			})
			if !c.ok(err) {
				t.Errorf("%s: got %v", c.name, err)
			}
		}
	})
}

// A deletion the model's unlink checks refuse is refused by CheckAccess too,
// with their error, except under Sudo, which they do not bind.
func TestCheckAccessRunsUnlinkChecks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		locked := &Model{Name: "test.locked", Fields: []*Field{{Name: "name", Type: Char}, {Name: "locked", Type: Boolean}},
			UnlinkChecks: []Check{{Name: "not locked", Func: func(ctx context.Context, env *Env, ids []int64) error {
				n, err := env.SearchCount(ctx, "test.locked", mustDomain([]any{[]any{"id", "in", int64sToAny(ids)}, []any{"locked", "=", true}}), SearchOptions{})
				if err == nil && n > 0 {
					err = &UserError{Message: "locked records cannot be deleted"}
				}
				return err
			}}}}
		d := openTestDBWith(t, e, DefaultLimits(), locked)
		users := d.group("test.users")
		d.acl("test.locked", users, "rwcu")
		open, shut := d.create("test.locked", map[string]any{"name": "open"}), d.create("test.locked", map[string]any{"name": "shut", "locked": true})
		user := Identity{GroupIDs: []int64{users}}
		check := func(su bool, id int64) error {
			return d.run(user, su, func(ctx context.Context, env *Env) error {
				return env.CheckAccess(ctx, "test.locked", []int64{id}, opUnlink)
			})
		}
		if err := check(false, open); err != nil {
			t.Errorf("an open record: %v", err)
		}
		var refusal *UserError
		if err := check(false, shut); !errors.As(err, &refusal) {
			t.Errorf("a locked record: %v, want the check's refusal", err)
		}
		if err := check(true, shut); err != nil {
			t.Errorf("a locked record under Sudo: %v", err)
		}
		// And the deletion itself agrees.
		if err := d.run(user, false, func(ctx context.Context, env *Env) error { return env.Unlink(ctx, "test.locked", []int64{shut}) }); !errors.As(err, &refusal) {
			t.Errorf("deleting a locked record: %v", err)
		}
	})
}
