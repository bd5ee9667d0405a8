package base

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Users, the administrator included, cannot delete a group a module seeded, alone
// or among other groups, and nothing is deleted; a group without an external id
// can be deleted, and module code (Sudo) is not held back.
func TestModuleGroupsCannotBeDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := install(t, e)
		admin := tn.adminOf()
		groups := map[string]int64{}
		var custom int64
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			for _, x := range []string{GroupUser, GroupSystem, GroupPortal, GroupAccessRights} {
				ids, err := env.Search(ctx, "res.groups", leaf("xml_id", "=", x), orm.SearchOptions{Limit: 1})
				if err != nil || len(ids) != 1 {
					return errors.Join(err, errors.New("no group "+x))
				}
				groups[x] = ids[0]
			}
			ids, err := env.Create(ctx, "res.groups", []map[string]any{{"name": "Temporary"}})
			custom = ids[0]
			return err
		})
		for xmlID, id := range groups {
			for _, ids := range [][]int64{{id}, {custom, id}} {
				err := tn.as(admin, func(ctx context.Context, env *orm.Env) error {
					uerr := env.Unlink(ctx, "res.groups", ids)
					var ue *orm.UserError
					if !errors.As(uerr, &ue) || !strings.Contains(ue.Message, xmlID) || !strings.Contains(ue.Message, "cannot be deleted") {
						t.Errorf("delete %s %v: %v, want a user error naming it", xmlID, ids, uerr)
					}
					n, err := env.Sudo().SearchCount(ctx, "res.groups", leaf("id", "in", []any{id, custom}), orm.SearchOptions{})
					if err != nil {
						return err
					}
					if n != 2 {
						t.Errorf("delete %s %v: %d of the two groups left", xmlID, ids, n)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tn.as(admin, func(ctx context.Context, env *orm.Env) error {
			return env.Unlink(ctx, "res.groups", []int64{custom})
		}); err != nil {
			t.Fatalf("delete a group without an external id: %v", err)
		}
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			return env.Unlink(ctx, "res.groups", []int64{groups[GroupAccessRights]})
		})
	})
}

// An external id cannot be cleared or changed by a user, the administrator
// included, so the guard above cannot be talked round by renaming the group first;
// nor can a user give a new group a module's external id.
func TestGroupExternalIDsAreReadOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := install(t, e)
		admin := tn.adminOf()
		var system int64
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			ids, err := env.Search(ctx, "res.groups", leaf("xml_id", "=", GroupSystem), orm.SearchOptions{Limit: 1})
			if err != nil || len(ids) != 1 {
				return errors.Join(err, errors.New("no settings group"))
			}
			system = ids[0]
			return nil
		})
		for name, op := range map[string]func(ctx context.Context, env *orm.Env) error{
			"clear": func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, "res.groups", []int64{system}, map[string]any{"xml_id": false})
			},
			"change": func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, "res.groups", []int64{system}, map[string]any{"xml_id": "custom.group"})
			},
			"create with a module's id": func(ctx context.Context, env *orm.Env) error {
				_, err := env.Create(ctx, "res.groups", []map[string]any{{"name": "Impostor", "xml_id": GroupSystem}})
				return err
			},
		} {
			err := tn.as(admin, op)
			var ve *orm.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), "read-only") {
				t.Errorf("%s: %v, want a read-only refusal", name, err)
			}
		}
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			n, err := env.SearchCount(ctx, "res.groups", leaf("xml_id", "=", GroupSystem), orm.SearchOptions{})
			if err != nil || n != 1 {
				t.Errorf("groups with the settings group's id: %d %v", n, err)
			}
			return nil
		})
	})
}
