package orm

import (
	"context"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// sqlPayloads are classic injection strings.
func sqlPayloads() []string {
	return []string{
		"name'; DROP TABLE test_partner;--",
		`name"; DROP TABLE test_partner;--`,
		"1=1",
		"name OR 1=1",
		"name/**/",
		"name--",
		"x') OR ('1'='1",
		"name\x00",
		"id) UNION SELECT password FROM res_users --",
		strings.Repeat("A", 1<<20),
	}
}

func TestInjectionIsRefusedOrLiteral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		seedPartners(t, d)
		intact := func(stage string) {
			t.Helper()
			d.sudo(func(ctx context.Context, env *Env) error {
				n, err := env.SearchCount(ctx, "test.partner", domain.Domain{}, SearchOptions{IncludeArchived: true})
				if err != nil || n < 6 {
					t.Fatalf("%s: table damaged: %d rows, %v", stage, n, err)
				}
				return nil
			})
		}
		for _, p := range sqlPayloads() {
			short := clip(p)
			// As a field name in a domain, a read, a write, a create, an order, a group-by.
			attempts := map[string]func(ctx context.Context, env *Env) error{
				"domain field": func(ctx context.Context, env *Env) error {
					dom, err := domain.FromValue([]any{[]any{p, "=", 1}}, domain.Limits{})
					if err != nil {
						return err
					}
					_, err = env.Search(ctx, "test.partner", dom, SearchOptions{})
					return err
				},
				"domain operator": func(ctx context.Context, env *Env) error {
					dom, err := domain.FromValue([]any{[]any{"name", p, "x"}}, domain.Limits{})
					if err != nil {
						return err
					}
					_, err = env.Search(ctx, "test.partner", dom, SearchOptions{})
					return err
				},
				"read field": func(ctx context.Context, env *Env) error {
					_, err := env.Read(ctx, "test.partner", []int64{1}, []string{p})
					return err
				},
				"write key": func(ctx context.Context, env *Env) error {
					return env.Write(ctx, "test.partner", []int64{1}, map[string]any{p: "x"})
				},
				"create key": func(ctx context.Context, env *Env) error {
					_, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "n", p: "x"}})
					return err
				},
				"order": func(ctx context.Context, env *Env) error {
					_, err := env.Search(ctx, "test.partner", domain.Domain{}, SearchOptions{Order: p})
					return err
				},
				"group by": func(ctx context.Context, env *Env) error {
					_, err := env.ReadGroup(ctx, "test.partner", domain.Domain{}, nil, []string{p}, GroupOptions{})
					return err
				},
				"aggregate": func(ctx context.Context, env *Env) error {
					_, err := env.ReadGroup(ctx, "test.partner", domain.Domain{}, []string{"x:sum(" + p + ")"}, []string{"kind"}, GroupOptions{})
					return err
				},
				"model": func(ctx context.Context, env *Env) error {
					_, err := env.Search(ctx, p, domain.Domain{}, SearchOptions{})
					return err
				},
			}
			for name, fn := range attempts {
				if err := d.run(Identity{}, true, fn); err == nil {
					t.Errorf("%s %q: accepted", name, short)
				} else if strings.Contains(strings.ToLower(err.Error()), "syntax") {
					t.Errorf("%s %q: reached the database: %v", name, short, err)
				}
			}
			intact(short)
		}
		// As a value it is stored and matched literally.
		for _, p := range sqlPayloads() {
			if strings.IndexByte(p, 0) >= 0 {
				continue
			}
			var id int64
			d.sudo(func(ctx context.Context, env *Env) error {
				ids, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "literal", "email": p}})
				if err != nil {
					return err
				}
				id = ids[0]
				if len(p) > 60000 {
					return nil // beyond the domain's string limit; stored, not searched
				}
				for _, op := range []string{"=", "like", "ilike"} {
					dom, err := domain.FromValue([]any{[]any{"email", op, p}}, domain.Limits{})
					if err != nil {
						return err
					}
					got, err := env.Search(ctx, "test.partner", dom, SearchOptions{})
					if err != nil {
						return err
					}
					if len(got) != 1 || got[0] != id {
						t.Errorf("value %q with %s: found %v, want [%d]", clip(p), op, got, id)
					}
				}
				return nil
			})
		}
		intact("values")
		// NUL bytes and oversized text are refused with a clear error.
		for _, v := range []string{"a\x00b", strings.Repeat("x", 1<<20+1)} {
			err := d.run(Identity{}, true, func(ctx context.Context, env *Env) error {
				_, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "n", "email": v}})
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "email") {
				t.Errorf("text %q: %v", clip(v), err)
			}
		}
	})
}
