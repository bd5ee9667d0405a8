package base

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// world is an installed tenant with two companies and one user per role.
type world struct {
	*tenant
	companyA, companyB, companyC int64
	roles                        map[string]int64 // role → uid
	portalPartner, customer      int64
}

func (tn *tenant) groupIDs(ctx context.Context, env *orm.Env) map[string]int64 {
	out := map[string]int64{}
	for _, x := range []string{GroupPublic, GroupPortal, GroupUser, GroupAccessRights, GroupSystem} {
		id, err := groupID(ctx, env, x)
		if err != nil {
			tn.t.Fatal(err)
		}
		out[x] = id
	}
	return out
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	w := &world{tenant: install(t, e), roles: map[string]int64{}}
	w.sudo(func(ctx context.Context, env *orm.Env) error {
		groups := w.groupIDs(ctx, env)
		companies, err := env.Search(ctx, "res.company", domain.Domain{}, orm.SearchOptions{})
		if err != nil {
			return err
		}
		w.companyA = companies[0]
		admins, err := env.Search(ctx, "res.users", domain.Domain{}, orm.SearchOptions{})
		if err != nil {
			return err
		}
		w.roles["admin"] = admins[0]
		if w.companyB, err = create(ctx, env, "res.company", map[string]any{"name": "Company B"}); err != nil {
			return err
		}
		if w.companyC, err = create(ctx, env, "res.company", map[string]any{"name": "Company C"}); err != nil {
			return err
		}
		if err := env.Write(ctx, "res.users", []int64{w.roles["admin"]}, map[string]any{"company_ids": []any{[]any{4, w.companyC}}}); err != nil {
			return err
		}
		if w.customer, err = create(ctx, env, "res.partner", map[string]any{"name": "Customer Inc", "is_company": true, "company_id": w.companyA}); err != nil {
			return err
		}
		if w.portalPartner, err = create(ctx, env, "res.partner", map[string]any{"name": "Paula Portal", "parent_id": w.customer, "company_id": w.companyA}); err != nil {
			return err
		}
		mkUser := func(role, login string, partner, company int64, companies []any, group string) error {
			if partner == 0 {
				if partner, err = create(ctx, env, "res.partner", map[string]any{"name": role, "company_id": company}); err != nil {
					return err
				}
			}
			uid, err := create(ctx, env, "res.users", map[string]any{"name": role, "login": login, "partner_id": partner,
				"company_id": company, "company_ids": []any{[]any{6, 0, companies}}, "groups_id": []any{[]any{6, 0, []any{groups[group]}}}})
			w.roles[role] = uid
			return err
		}
		for _, u := range []struct {
			role, login string
			partner     int64
			company     int64
			companies   []any
			group       string
		}{
			{"userA", "a@example.com", 0, w.companyA, []any{w.companyA, w.companyC}, GroupUser},
			{"userB", "b@example.com", 0, w.companyB, []any{w.companyB}, GroupUser},
			{"portal", "p@example.com", w.portalPartner, w.companyA, []any{w.companyA}, GroupPortal},
			{"public", "public", 0, w.companyA, []any{w.companyA}, GroupPublic},
		} {
			if err := mkUser(u.role, u.login, u.partner, u.company, u.companies, u.group); err != nil {
				return err
			}
		}
		return nil
	})
	return w
}

// matrixCase describes one model: how to make a target record (as the system),
// what to write and create, and which operations each role may perform on it.
type matrixCase struct {
	model   string
	target  func(ctx context.Context, env *orm.Env, w *world) (int64, error)
	write   map[string]any
	create  func(w *world, role string) map[string]any
	allowed map[string]string // role → letters of r, w, c, u
}

func fixed(model string, dom []any) func(ctx context.Context, env *orm.Env, w *world) (int64, error) {
	return func(ctx context.Context, env *orm.Env, w *world) (int64, error) {
		d, err := domain.FromValue(dom, domain.Limits{})
		if err != nil {
			return 0, err
		}
		ids, err := env.Search(ctx, model, d, orm.SearchOptions{Limit: 1})
		if err != nil || len(ids) == 0 {
			return 0, fmt.Errorf("no %s target: %v", model, err)
		}
		return ids[0], nil
	}
}

func fresh(model string, vals func(w *world) map[string]any) func(ctx context.Context, env *orm.Env, w *world) (int64, error) {
	return func(ctx context.Context, env *orm.Env, w *world) (int64, error) {
		return create(ctx, env, model, vals(w))
	}
}

func modelIDOf(ctx context.Context, env *orm.Env, model string) int64 {
	ids, _ := env.Sudo().Search(ctx, "ir.model", leaf("model", "=", model), orm.SearchOptions{})
	return ids[0]
}

func matrix() []matrixCase {
	return []matrixCase{
		{
			model:  "res.partner",
			target: fresh("res.partner", func(w *world) map[string]any { return map[string]any{"name": "Target", "company_id": w.companyA} }),
			write:  map[string]any{"email": "t@example.com"},
			create: func(w *world, role string) map[string]any {
				return map[string]any{"name": "New " + role, "company_id": w.companyA}
			},
			allowed: map[string]string{"admin": "rwcu", "userA": "rwcu"},
		},
		{
			model:  PartnerCategory,
			target: fresh(PartnerCategory, func(w *world) map[string]any { return map[string]any{"name": "Target tag"} }),
			write:  map[string]any{"color": int64(3)},
			create: func(w *world, role string) map[string]any {
				return map[string]any{"name": "New tag " + role}
			},
			allowed: map[string]string{"admin": "rwcu", "userA": "rwcu", "userB": "rwcu"},
		},
		{
			model:   "res.company",
			target:  func(ctx context.Context, env *orm.Env, w *world) (int64, error) { return w.companyC, nil },
			write:   map[string]any{"email": "c@example.com"},
			create:  func(w *world, role string) map[string]any { return map[string]any{"name": "Company of " + role} },
			allowed: map[string]string{"admin": "rwcu", "userA": "r"},
		},
		{
			model: "res.users",
			target: func(ctx context.Context, env *orm.Env, w *world) (int64, error) {
				p, err := create(ctx, env, "res.partner", map[string]any{"name": "Target User", "company_id": w.companyA})
				if err != nil {
					return 0, err
				}
				return create(ctx, env, "res.users", map[string]any{"name": "Target User", "login": "target@example.com", "partner_id": p,
					"company_id": w.companyA, "company_ids": []any{w.companyA}})
			},
			write: map[string]any{"email": "t@example.com"},
			create: func(w *world, role string) map[string]any {
				return map[string]any{"name": "New", "login": "new-" + role, "partner_id": w.customer, "company_id": w.companyA, "company_ids": []any{w.companyA}}
			},
			allowed: map[string]string{"admin": "rwcu", "userA": "r", "userB": "r"},
		},
		{
			model:   "res.groups",
			target:  fresh("res.groups", func(w *world) map[string]any { return map[string]any{"name": "Target Group"} }),
			write:   map[string]any{"comment": "x"},
			create:  func(w *world, role string) map[string]any { return map[string]any{"name": "Group of " + role} },
			allowed: map[string]string{"admin": "rwcu", "userA": "r", "userB": "r"},
		},
		{
			model:   "ir.model",
			target:  fixed("ir.model", []any{[]any{"model", "=", "res.country"}}),
			write:   map[string]any{"name": "x"},
			create:  func(w *world, role string) map[string]any { return map[string]any{"name": "x", "model": "x.y"} },
			allowed: map[string]string{"admin": "r", "userA": "r", "userB": "r"},
		},
		{
			model:  "ir.model.fields",
			target: fixed("ir.model.fields", []any{[]any{"model", "=", "res.country"}}),
			write:  map[string]any{"field_description": "x"},
			create: func(w *world, role string) map[string]any {
				return map[string]any{"name": "x_" + role, "model": "res.country", "ttype": "char"}
			},
			allowed: map[string]string{"admin": "r", "userA": "r", "userB": "r"},
		},
		{
			model: "ir.model.access",
			target: func(ctx context.Context, env *orm.Env, w *world) (int64, error) {
				return create(ctx, env, "ir.model.access", map[string]any{"name": "inert", "model_id": modelIDOf(ctx, env, "ir.model")})
			},
			write:   map[string]any{"name": "x"},
			create:  nil, // needs a model id: filled in by the test
			allowed: map[string]string{"admin": "rwcu", "userA": "r", "userB": "r"},
		},
		{
			model: "ir.rule",
			target: func(ctx context.Context, env *orm.Env, w *world) (int64, error) {
				return create(ctx, env, "ir.rule", map[string]any{"name": "inert", "model_id": modelIDOf(ctx, env, "res.country"), "domain_force": "[(1, '=', 1)]"})
			},
			write:   map[string]any{"name": "x"},
			create:  nil,
			allowed: map[string]string{"admin": "rwcu"},
		},
		{
			model:   "ir.config_parameter",
			target:  fresh("ir.config_parameter", func(w *world) map[string]any { return map[string]any{"key": "target", "value": "v"} }),
			write:   map[string]any{"value": "x"},
			create:  func(w *world, role string) map[string]any { return map[string]any{"key": "k." + role, "value": "v"} },
			allowed: map[string]string{"admin": "rwcu"},
		},
		{
			model: "ir.sequence",
			target: fresh("ir.sequence", func(w *world) map[string]any {
				return map[string]any{"name": "Target", "code": "t", "company_id": w.companyA}
			}),
			write: map[string]any{"prefix": "X"},
			create: func(w *world, role string) map[string]any {
				return map[string]any{"name": "S " + role, "company_id": w.companyA}
			},
			allowed: map[string]string{"admin": "rwcu", "userA": "r"},
		},
		{
			model:   "res.currency",
			target:  fresh("res.currency", func(w *world) map[string]any { return map[string]any{"name": "ZZZ"} }),
			write:   map[string]any{"full_name": "x"},
			create:  func(w *world, role string) map[string]any { return map[string]any{"name": strings.ToUpper(role[:3])} },
			allowed: map[string]string{"admin": "rwcu", "userA": "r", "userB": "r", "portal": "r", "public": "r"},
		},
		{
			// A file follows its record: here a partner of company A.
			model: "ir.attachment",
			target: func(ctx context.Context, env *orm.Env, w *world) (int64, error) {
				p, err := create(ctx, env, "res.partner", map[string]any{"name": "Attached To", "company_id": w.companyA})
				if err != nil {
					return 0, err
				}
				return create(ctx, env, "ir.attachment", map[string]any{"name": "contract.pdf", "res_model": "res.partner", "res_id": p})
			},
			write: map[string]any{"description": "signed"},
			create: func(w *world, role string) map[string]any {
				return map[string]any{"name": role + ".txt", "res_model": "res.partner", "res_id": w.customer}
			},
			allowed: map[string]string{"admin": "rwcu", "userA": "rwcu"},
		},
		{
			model:  "res.country",
			target: fresh("res.country", func(w *world) map[string]any { return map[string]any{"name": "Zedland", "code": "ZQ"} }),
			write:  map[string]any{"name": "x"},
			create: func(w *world, role string) map[string]any {
				return map[string]any{"name": "Land " + role, "code": "X" + strings.ToUpper(role[:1])}
			},
			allowed: map[string]string{"admin": "rwcu", "userA": "r", "userB": "r", "portal": "r", "public": "r"},
		},
	}
}

// TestAccessMatrixCoversEveryModel keeps the matrix complete as models are added.
func TestAccessMatrixCoversEveryModel(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range matrix() {
		covered[c.model] = true
	}
	for _, m := range newRegistry(t).Models() {
		if !covered[m.Name] {
			t.Errorf("the access matrix has no row for %s", m.Name)
		}
	}
}

// TestAccessMatrix checks every role against every base model and operation.
func TestAccessMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		roles := []string{"admin", "userA", "userB", "portal", "public"}
		for _, c := range matrix() {
			var target int64
			var modelForACL int64
			w.sudo(func(ctx context.Context, env *orm.Env) error {
				var err error
				target, err = c.target(ctx, env, w)
				modelForACL = modelIDOf(ctx, env, "ir.model")
				return err
			})
			for _, role := range roles {
				uid := w.roles[role]
				createVals := map[string]any{}
				switch {
				case c.create != nil:
					createVals = c.create(w, role)
				case c.model == "ir.model.access":
					createVals = map[string]any{"name": "new " + role, "model_id": modelForACL}
				case c.model == "ir.rule":
					createVals = map[string]any{"name": "new " + role, "model_id": modelForACL, "domain_force": "[]"}
				}
				ops := map[string]func(ctx context.Context, env *orm.Env) error{
					"r": func(ctx context.Context, env *orm.Env) error {
						_, err := env.Read(ctx, c.model, []int64{target}, nil)
						return err
					},
					"w": func(ctx context.Context, env *orm.Env) error {
						return env.Write(ctx, c.model, []int64{target}, c.write)
					},
					"c": func(ctx context.Context, env *orm.Env) error {
						_, err := env.Create(ctx, c.model, []map[string]any{createVals})
						return err
					},
					"u": func(ctx context.Context, env *orm.Env) error { return env.Unlink(ctx, c.model, []int64{target}) },
				}
				for _, letter := range []string{"r", "w", "c", "u"} {
					err := w.as(uid, ops[letter])
					want := strings.Contains(c.allowed[role], letter)
					var ae *orm.AccessError
					switch {
					case want && err != nil:
						t.Errorf("%s %s %s: refused: %v", role, letter, c.model, err)
					case !want && !errors.As(err, &ae):
						t.Errorf("%s %s %s: got %v, want an AccessError", role, letter, c.model, err)
					}
				}
			}
		}
	})
}

func TestPortalSeesOwnPartnerAndCommercialEntity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		var sibling int64
		w.sudo(func(ctx context.Context, env *orm.Env) error {
			var err error
			sibling, err = create(ctx, env, "res.partner", map[string]any{"name": "Other contact", "parent_id": w.customer, "company_id": w.companyA})
			return err
		})
		if err := w.as(w.roles["portal"], func(ctx context.Context, env *orm.Env) error {
			ids, err := env.Search(ctx, "res.partner", domain.Domain{}, orm.SearchOptions{Order: "id"})
			if err != nil {
				return err
			}
			if fmt.Sprint(ids) != fmt.Sprint([]int64{w.customer, w.portalPartner}) {
				t.Errorf("portal sees %v, want its partner %d and commercial entity %d", ids, w.portalPartner, w.customer)
			}
			recs, err := env.Read(ctx, "res.partner", []int64{w.portalPartner}, []string{"commercial_partner_id"})
			if err != nil {
				return err
			}
			if recs[0]["commercial_partner_id"].([]any)[0] != w.customer {
				t.Errorf("commercial partner: %v", recs[0]["commercial_partner_id"])
			}
			_, err = env.Read(ctx, "res.partner", []int64{sibling}, []string{"name"})
			var ae *orm.AccessError
			if !errors.As(err, &ae) {
				t.Errorf("portal read a sibling contact: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPortalReadsFilesOfItsOwnPartnerOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		var own, other int64
		w.sudo(func(ctx context.Context, env *orm.Env) error {
			var err error
			if own, err = create(ctx, env, "ir.attachment", map[string]any{"name": "mine.pdf", "res_model": "res.partner", "res_id": w.portalPartner}); err != nil {
				return err
			}
			stranger, err := create(ctx, env, "res.partner", map[string]any{"name": "Stranger", "company_id": w.companyA})
			if err != nil {
				return err
			}
			other, err = create(ctx, env, "ir.attachment", map[string]any{"name": "theirs.pdf", "res_model": "res.partner", "res_id": stranger})
			return err
		})
		if err := w.as(w.roles["portal"], func(ctx context.Context, env *orm.Env) error {
			ids, err := env.Search(ctx, "ir.attachment", domain.Domain{}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			if fmt.Sprint(ids) != fmt.Sprint([]int64{own}) {
				t.Errorf("portal lists %v, want only %d", ids, own)
			}
			_, err = env.Read(ctx, "ir.attachment", []int64{other}, []string{"name"})
			var ae *orm.AccessError
			if !errors.As(err, &ae) {
				t.Errorf("portal read another partner's file: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
