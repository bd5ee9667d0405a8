package orm

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func (d *testDB) group(xmlID string) int64 {
	return d.create("res.groups", map[string]any{"name": xmlID, "xml_id": xmlID})
}

func (d *testDB) modelID(model string) int64 {
	var id int64
	d.sudo(func(ctx context.Context, env *Env) error {
		ids, err := env.Search(ctx, "ir.model", mustDomain([]any{[]any{"model", "=", model}}), SearchOptions{})
		if err == nil && len(ids) == 1 {
			id = ids[0]
		}
		return err
	})
	if id == 0 {
		d.t.Fatalf("model %s not in ir_model", model)
	}
	return id
}

// acl grants perms ("r", "w", "c", "u" letters) on model to group (0: everyone).
func (d *testDB) acl(model string, group int64, perms string) {
	vals := map[string]any{"name": "access " + model, "model_id": d.modelID(model),
		"perm_read": contains(perms, 'r'), "perm_write": contains(perms, 'w'), "perm_create": contains(perms, 'c'), "perm_unlink": contains(perms, 'u')}
	if group != 0 {
		vals["group_id"] = group
	}
	d.create("ir.model.access", vals)
}

func contains(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// rule adds a record rule; no groups makes it global.
func (d *testDB) rule(model, dom string, groups ...int64) int64 {
	vals := map[string]any{"name": "rule " + model, "model_id": d.modelID(model), "domain_force": dom}
	if len(groups) > 0 {
		vals["groups"] = []any{[]any{6, 0, int64sToAny(groups)}}
	}
	return d.create("ir.rule", vals)
}

func isAccess(err error) bool {
	var ae *AccessError
	return errors.As(err, &ae)
}

func isMissing(err error) bool {
	var me *MissingError
	return errors.As(err, &me)
}

func TestModelAccessRights(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		readers, writers := d.group("test.readers"), d.group("test.writers")
		d.acl("test.partner", readers, "r")
		d.acl("test.partner", writers, "w")
		d.acl("test.tag", 0, "r")
		type op func(ctx context.Context, env *Env) error
		ops := map[string]op{
			"read": func(ctx context.Context, env *Env) error {
				_, err := env.Read(ctx, "test.partner", []int64{ids["alice"]}, []string{"name"})
				return err
			},
			"search": func(ctx context.Context, env *Env) error {
				_, err := env.Search(ctx, "test.partner", domain.Domain{}, SearchOptions{})
				return err
			},
			"write": func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{ids["alice"]}, map[string]any{"email": "new@x.org"})
			},
			"create": func(ctx context.Context, env *Env) error {
				_, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "Eve"}})
				return err
			},
			"unlink": func(ctx context.Context, env *Env) error {
				return env.Unlink(ctx, "test.partner", []int64{ids["carol"]})
			},
		}
		cases := []struct {
			name    string
			groups  []int64
			allowed []string
		}{
			{"no groups", nil, nil},
			{"readers", []int64{readers}, []string{"read", "search"}},
			{"writers only", []int64{writers}, []string{"write"}},
			{"grants add up", []int64{readers, writers}, []string{"read", "search", "write"}},
		}
		for _, c := range cases {
			for name, fn := range ops {
				err := d.run(Identity{UID: 0, GroupIDs: c.groups}, false, fn)
				want := slices.Contains(c.allowed, name)
				if want && err != nil {
					t.Errorf("%s/%s: %v", c.name, name, err)
				}
				if !want && !isAccess(err) {
					t.Errorf("%s/%s: got %v, want an AccessError", c.name, name, err)
				}
				if !want && err != nil && !strings.Contains(err.Error(), "test.partner") {
					t.Errorf("%s/%s: message %q does not name the model", c.name, name, err)
				}
			}
		}
		// Sudo is the only bypass.
		if err := d.run(Identity{}, true, ops["unlink"]); err != nil {
			t.Errorf("sudo unlink: %v", err)
		}
	})
}

func TestRecordRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		users, a, b := d.group("test.users"), d.group("test.a"), d.group("test.b")
		d.acl("test.partner", users, "rwcu")
		d.acl("test.company", users, "r")
		d.acl("test.tag", users, "r")
		// Global: only company records of the user's companies (or none).
		d.rule("test.partner", "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]")
		// Group rules: a sees score >= 2, b sees nothing through its rule.
		d.rule("test.partner", "[('score', '>=', 2)]", a)
		d.rule("test.partner", "[('name', '=', 'nobody')]", b)

		userCo1 := Identity{UID: 0, CompanyID: ids["co1"], CompanyIDs: []int64{ids["co1"]}, GroupIDs: []int64{users}}
		search := func(id Identity) []int64 {
			var got []int64
			if err := d.run(id, false, func(ctx context.Context, env *Env) error {
				var err error
				got, err = env.Search(ctx, "test.partner", domain.Domain{}, SearchOptions{Order: "id"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got, want := search(userCo1), []int64{ids["Acme"], ids["alice"], ids["carol"]}; !slices.Equal(got, want) {
			t.Errorf("global rule only: got %v, want %v", got, want)
		}
		withA := userCo1
		withA.GroupIDs = []int64{users, a}
		if got, want := search(withA), []int64{ids["Acme"]}; !slices.Equal(got, want) {
			t.Errorf("global AND group rule: got %v, want %v", got, want)
		}
		withAB := userCo1
		withAB.GroupIDs = []int64{users, a, b}
		if got, want := search(withAB), []int64{ids["Acme"]}; !slices.Equal(got, want) {
			t.Errorf("group rules OR-ed (one matches nothing): got %v, want %v", got, want)
		}
		withB := userCo1
		withB.GroupIDs = []int64{users, b}
		if got := search(withB); len(got) != 0 {
			t.Errorf("only an empty group rule: got %v, want none", got)
		}

		// A blocked record cannot be read by id, even right after a permitted read.
		err := d.run(userCo1, false, func(ctx context.Context, env *Env) error {
			if _, err := env.Read(ctx, "test.partner", []int64{ids["alice"]}, []string{"name"}); err != nil {
				t.Errorf("permitted read: %v", err)
			}
			_, err := env.Read(ctx, "test.partner", []int64{ids["Bob_b"]}, []string{"name"})
			return err
		})
		if !isAccess(err) {
			t.Errorf("blocked read: got %v, want AccessError", err)
		}
		err = d.run(userCo1, false, func(ctx context.Context, env *Env) error {
			_, err := env.Read(ctx, "test.partner", []int64{9999}, []string{"name"})
			return err
		})
		if !isMissing(err) {
			t.Errorf("missing read: got %v, want MissingError", err)
		}
	})
}

func TestInsecureDirectReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		users := d.group("test.users")
		d.acl("test.partner", users, "rwcu")
		d.acl("test.company", users, "r")
		d.acl("test.tag", users, "r")
		d.acl("test.order", users, "rwcu")
		d.rule("test.partner", "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]")
		d.rule("test.company", "[('id', 'in', company_ids)]")
		userA := Identity{CompanyID: ids["co1"], CompanyIDs: []int64{ids["co1"]}, GroupIDs: []int64{users}}
		foreign := ids["Bob_b"] // company two
		mine := ids["alice"]
		attempts := map[string]func(ctx context.Context, env *Env) error{
			"read": func(ctx context.Context, env *Env) error {
				_, err := env.Read(ctx, "test.partner", []int64{foreign}, nil)
				return err
			},
			"read mixed": func(ctx context.Context, env *Env) error {
				_, err := env.Read(ctx, "test.partner", []int64{mine, foreign}, []string{"name"})
				return err
			},
			"write": func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{foreign}, map[string]any{"name": "pwned"})
			},
			"write mixed": func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{mine, foreign}, map[string]any{"name": "pwned"})
			},
			"unlink mixed": func(ctx context.Context, env *Env) error {
				return env.Unlink(ctx, "test.partner", []int64{mine, foreign})
			},
			"copy": func(ctx context.Context, env *Env) error {
				_, err := env.Copy(ctx, "test.partner", foreign, nil)
				return err
			},
			"link foreign parent": func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{mine}, map[string]any{"parent_id": foreign})
			},
			"create pointing at foreign": func(ctx context.Context, env *Env) error {
				_, err := env.Create(ctx, "test.order", []map[string]any{{"name": "SO", "partner_id": foreign}})
				return err
			},
			"create into foreign company": func(ctx context.Context, env *Env) error {
				_, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "pwned", "company_id": ids["co2"]}})
				return err
			},
			"write into foreign company": func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{mine}, map[string]any{"company_id": ids["co2"]})
			},
			"adopt foreign child": func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{mine}, map[string]any{"child_ids": []any{[]any{4, foreign}}})
			},
			"update foreign through own": func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{mine}, map[string]any{"child_ids": []any{[]any{1, foreign, map[string]any{"name": "pwned"}}}})
			},
		}
		if err := d.run(userA, false, func(ctx context.Context, env *Env) error {
			got, err := env.Search(ctx, "test.partner", mustDomain([]any{[]any{"child_ids.name", "=", "Bob_b"}}), SearchOptions{})
			if len(got) > 0 {
				t.Errorf("a search through children revealed a foreign record: %v", got)
			}
			return err
		}); err != nil {
			t.Errorf("probe by path: %v", err)
		}
		for name, fn := range attempts {
			err := d.run(userA, false, fn)
			if err == nil {
				t.Errorf("%s: allowed", name)
				continue
			}
			var ve *ValidationError
			if !isAccess(err) && !errors.As(err, &ve) {
				t.Errorf("%s: got %v, want an access or validation error", name, err)
			}
		}
		// Nothing changed.
		d.sudo(func(ctx context.Context, env *Env) error {
			recs, err := env.Read(ctx, "test.partner", []int64{mine, foreign}, []string{"name", "company_id", "parent_id"})
			if err != nil {
				return err
			}
			if recs[0]["name"] != "alice" || recs[1]["name"] != "Bob_b" || recs[0]["company_id"].([]any)[0] != ids["co1"] {
				t.Errorf("records changed: %v", recs)
			}
			n, err := env.SearchCount(ctx, "test.partner", mustDomain([]any{[]any{"name", "=", "pwned"}}), SearchOptions{})
			if n != 0 {
				t.Errorf("%d pwned records", n)
			}
			n, err = env.SearchCount(ctx, "test.order", domain.Domain{}, SearchOptions{})
			if n != 0 {
				t.Errorf("%d orders created", n)
			}
			return err
		})
	})
}

func TestFieldGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		users, managers := d.group("test.group_user"), d.group("test.group_manager")
		d.acl("test.partner", users, "rwcu")
		user := Identity{GroupIDs: []int64{users}}
		manager := Identity{GroupIDs: []int64{users, managers}}
		alice := []int64{ids["alice"]}
		denied := map[string]func(ctx context.Context, env *Env) error{
			"read": func(ctx context.Context, env *Env) error {
				_, err := env.Read(ctx, "test.partner", alice, []string{"salary"})
				return err
			},
			"write": func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", alice, map[string]any{"salary": 1})
			},
			"create": func(ctx context.Context, env *Env) error {
				_, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "x", "salary": 1}})
				return err
			},
			"search": func(ctx context.Context, env *Env) error {
				_, err := env.Search(ctx, "test.partner", mustDomain([]any{[]any{"salary", ">", 100}}), SearchOptions{})
				return err
			},
			"order": func(ctx context.Context, env *Env) error {
				_, err := env.Search(ctx, "test.partner", domain.Domain{}, SearchOptions{Order: "salary"})
				return err
			},
		}
		for name, fn := range denied {
			if err := d.run(user, false, fn); !isAccess(err) {
				t.Errorf("user %s: got %v, want AccessError", name, err)
			}
			if err := d.run(manager, false, fn); err != nil {
				t.Errorf("manager %s: %v", name, err)
			}
		}
		if err := d.run(user, false, func(ctx context.Context, env *Env) error {
			recs, err := env.Read(ctx, "test.partner", alice, nil)
			if err != nil {
				return err
			}
			if _, leaked := recs[0]["salary"]; leaked {
				t.Error("read of all fields returned a restricted field")
			}
			desc, err := env.FieldsGet(ctx, "test.partner", nil, nil)
			if _, leaked := desc["salary"]; leaked {
				t.Error("fields_get shows a restricted field")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCreateRuleRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		users := d.group("test.users")
		d.acl("test.tag", users, "rc")
		d.rule("test.tag", "[('name', '!=', 'forbidden')]")
		err := d.run(Identity{GroupIDs: []int64{users}}, false, func(ctx context.Context, env *Env) error {
			if _, err := env.Create(ctx, "test.tag", []map[string]any{{"name": "fine"}, {"name": "forbidden"}}); !isAccess(err) {
				t.Errorf("create outside rules: got %v, want AccessError", err)
			}
			// The transaction is still usable and the refused create left nothing.
			n, err := env.SearchCount(ctx, "test.tag", domain.Domain{}, SearchOptions{})
			if n != 0 {
				t.Errorf("%d tags left after a refused create", n)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestExportedMethods(t *testing.T) {
	reg := newTestRegistry(t)
	m, _ := reg.Model("test.order")
	for _, name := range []string{"_private", "__init__", "", "_action_confirm"} {
		if _, err := m.Method(name); !isAccess(err) {
			t.Errorf("method %q: got %v, want AccessError", name, err)
		}
	}
	if _, err := m.Method("unknown"); err == nil {
		t.Error("unknown method accepted")
	}
	if _, err := m.Method("action_confirm"); err != nil {
		t.Errorf("exported method: %v", err)
	}
	bad := NewRegistry(Limits{})
	err := bad.Define(&Model{Name: "x.y", Methods: map[string]Method{"_secret": func(context.Context, *Env, []int64, []any, map[string]any) (any, error) { return nil, nil }}})
	if err == nil {
		err = bad.Freeze()
	}
	if err == nil {
		t.Error("a private method was exported")
	}
}
