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

// adminOf returns the administrator created by Install.
func (tn *tenant) adminOf() int64 {
	var admin int64
	tn.sudo(func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.users", leaf("login", "=", "admin@example.com"), orm.SearchOptions{Limit: 1})
		if err != nil || len(ids) == 0 {
			return errors.Join(err, errors.New("no administrator"))
		}
		admin = ids[0]
		return nil
	})
	return admin
}

// A record rule whose domain does not parse, names an unknown field or name, tries
// code, or is too large is refused on create and on write through the ORM (so the
// API refuses it too), with the error on domain_force and nothing saved.
func TestRecordRuleDomainIsValidated(t *testing.T) {
	bad := []struct {
		name, domain, want string
	}{
		{"unparseable", "[('name', '=', ", ""},
		{"unknown field", "[('x', '=', 1)]", "x"},
		{"python code", "__import__('os')", ""},
		{"python call in a leaf", "[('name', '=', __import__('os').getcwd())]", ""},
		{"unknown name", "[('id', '=', user.password)]", "user.password"},
		{"field through a relation that does not exist", "[('country_id.nope', '=', 1)]", "nope"},
		{"one megabyte", "[" + strings.Repeat("('name', '=', 'a'), ", 1<<20/20) + "]", ""},
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := install(t, e)
		admin := tn.adminOf()
		var partnerModel, existing int64
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			partnerModel = modelIDOf(ctx, env, "res.partner")
			ids, err := env.Create(ctx, "ir.rule", []map[string]any{{"name": "kept", "model_id": partnerModel, "domain_force": "[('name', '!=', False)]"}})
			existing = ids[0]
			return err
		})
		countRules := func() int64 {
			var n int64
			tn.sudo(func(ctx context.Context, env *orm.Env) (err error) {
				n, err = env.SearchCount(ctx, "ir.rule", domain.Domain{}, orm.SearchOptions{IncludeArchived: true})
				return err
			})
			return n
		}
		before := countRules()
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				err := tn.as(admin, func(ctx context.Context, env *orm.Env) error {
					_, cerr := env.Create(ctx, "ir.rule", []map[string]any{{"name": "bad", "model_id": partnerModel, "domain_force": tt.domain}})
					checkDomainRefusal(t, "create", cerr, tt.want)
					werr := env.Write(ctx, "ir.rule", []int64{existing}, map[string]any{"domain_force": tt.domain})
					checkDomainRefusal(t, "write", werr, tt.want)
					recs, err := env.Read(ctx, "ir.rule", []int64{existing}, []string{"domain_force"})
					if err != nil {
						return err
					}
					if got := recs[0]["domain_force"]; got != "[('name', '!=', False)]" {
						t.Errorf("a refused write changed the rule to %.60q", got)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
		if after := countRules(); after != before {
			t.Fatalf("refused rules were saved: %d rules, want %d", after, before)
		}
		// A valid rule is accepted, and the multi-company rule with its names too.
		if err := tn.as(admin, func(ctx context.Context, env *orm.Env) error {
			_, err := env.Create(ctx, "ir.rule", []map[string]any{
				{"name": "ok", "model_id": partnerModel, "domain_force": "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]"},
				{"name": "ok too", "model_id": partnerModel, "domain_force": "[('country_id.code', '=', 'BE')]"}})
			return err
		}); err != nil {
			t.Fatalf("valid rules refused: %v", err)
		}
	})
}

func checkDomainRefusal(t *testing.T, op string, err error, want string) {
	t.Helper()
	var verr *orm.ValidationError
	if !errors.As(err, &verr) || verr.Model != "ir.rule" || verr.Field != "domain_force" {
		t.Fatalf("%s: %v, want a validation error on ir.rule.domain_force", op, err)
	}
	if !strings.Contains(verr.Message, want) {
		t.Errorf("%s: message %q does not name %q", op, verr.Message, want)
	}
}

// An access right naming a model that is not installed, or no model at all, is
// refused on create and write; rights on installed models are accepted.
func TestAccessRightModelMustBeInstalled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := install(t, e)
		admin := tn.adminOf()
		var ghost, partnerModel, right int64
		tn.sudo(func(ctx context.Context, env *orm.Env) error {
			// A catalogue row left by a module that is not installed.
			ids, err := env.Create(ctx, "ir.model", []map[string]any{{"name": "Ghost", "model": "x.ghost"}})
			if err != nil {
				return err
			}
			ghost, partnerModel = ids[0], modelIDOf(ctx, env, "res.partner")
			ids, err = env.Create(ctx, "ir.model.access", []map[string]any{{"name": "kept", "model_id": partnerModel, "perm_read": true}})
			right = ids[0]
			return err
		})
		for name, modelID := range map[string]int64{"not installed": ghost, "no such row": 987654} {
			t.Run(name, func(t *testing.T) {
				err := tn.as(admin, func(ctx context.Context, env *orm.Env) error {
					_, cerr := env.Create(ctx, "ir.model.access", []map[string]any{{"name": "bad", "model_id": modelID, "perm_read": true}})
					werr := env.Write(ctx, "ir.model.access", []int64{right}, map[string]any{"model_id": modelID})
					for op, err := range map[string]error{"create": cerr, "write": werr} {
						var (
							verr *orm.ValidationError
							merr *orm.MissingError
						)
						if !(errors.As(err, &verr) && verr.Field == "model_id") && !(name == "no such row" && errors.As(err, &merr)) {
							t.Errorf("%s: %v, want a refusal of model_id", op, err)
						}
					}
					n, err := env.SearchCount(ctx, "ir.model.access", leaf("name", "=", "bad"), orm.SearchOptions{IncludeArchived: true})
					if err != nil {
						return err
					}
					if n != 0 {
						t.Errorf("%d refused rights saved", n)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
		if err := tn.as(admin, func(ctx context.Context, env *orm.Env) error {
			_, err := env.Create(ctx, "ir.model.access", []map[string]any{{"name": "fine", "model_id": partnerModel, "perm_read": true}})
			return err
		}); err != nil {
			t.Fatalf("a right on an installed model was refused: %v", err)
		}
	})
}

// A rule is global exactly when it names no group.
func TestRecordRuleGlobal(t *testing.T) {
	tn := install(t, storetest.Engines()[0])
	tn.sudo(func(ctx context.Context, env *orm.Env) error {
		m := modelIDOf(ctx, env, "res.partner")
		user, err := groupID(ctx, env, GroupUser)
		if err != nil {
			return err
		}
		ids, err := env.Create(ctx, "ir.rule", []map[string]any{
			{"name": "everyone", "model_id": m, "domain_force": "[]"},
			{"name": "users", "model_id": m, "domain_force": "[]", "groups": []any{user}}})
		if err != nil {
			return err
		}
		recs, err := env.Read(ctx, "ir.rule", ids, []string{"global"})
		if err != nil {
			return err
		}
		if recs[0]["global"] != true || recs[1]["global"] != false {
			t.Errorf("global = %v, %v; want true, false", recs[0]["global"], recs[1]["global"])
		}
		return nil
	})
}

// Whatever text an administrator saves as a rule's domain, the ORM either keeps a
// domain that parses with the rule names, or refuses it with a validation error on
// domain_force: never another error (a failure page) and never a panic.
func FuzzRecordRuleDomain(f *testing.F) {
	for _, seed := range []string{
		"[]", "[('name', '=', 'x')]", "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]",
		"[('x', '=', 1)]", "__import__('os')", "[('country_id.code', 'child_of', 1)]", "[('id', 'in', user.company_ids)]",
		"[('name', '=like', today)]", "[(1, '=', 1)]", "[('parent_id', 'parent_of', [1, 2])]", "[('create_date', '>', now)]",
		"['!', ('user_ids.login', 'ilike', '%')]", "[('name', '=', '\x00')]",
	} {
		f.Add(seed)
	}
	tn := install(f, storetest.Engines()[0])
	admin := tn.adminOf()
	var model int64
	tn.sudo(func(ctx context.Context, env *orm.Env) error {
		model = modelIDOf(ctx, env, "res.partner")
		return nil
	})
	f.Fuzz(func(t *testing.T, src string) {
		// The verdict is given after the transaction ends: failing inside it would
		// leave SQLite's one writer connection taken.
		var problem string
		err := tn.as(admin, func(ctx context.Context, env *orm.Env) error {
			_, err := env.Create(ctx, "ir.rule", []map[string]any{{"name": "fuzz", "model_id": model, "domain_force": src}})
			if err == nil {
				if _, perr := domain.Parse(src, ruleNameSample, domain.Limits{}); perr != nil && strings.TrimSpace(src) != "" {
					problem = fmt.Sprintf("saved a domain that does not parse: %q: %v", src, perr)
				}
				return nil
			}
			var verr *orm.ValidationError
			if !errors.As(err, &verr) || verr.Field != "domain_force" {
				problem = fmt.Sprintf("%q: %v, want a validation error on domain_force", src, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if problem != "" {
			t.Fatal(problem)
		}
	})
}

// ruleNameSample gives each name a rule may use a value of its shape.
func ruleNameSample(name string) (domain.Value, bool) {
	switch name {
	case "user.id", "user.company_id", "user.partner_id", "company_id":
		return domain.Int(1), true
	case "user.company_ids", "company_ids":
		return domain.List{domain.Int(1)}, true
	case "today", "now":
		return domain.String("2000-01-01"), true
	}
	return nil, false
}
