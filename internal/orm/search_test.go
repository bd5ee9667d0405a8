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

// seedPartners creates a small hierarchy used by the domain tests:
//
//	Acme (company, score 10, tags vip)      — Beta Corp (company, archived)
//	├── alice (score 1, email a@x.org)      — carol (no company, no email, score 0)
//	│   └── Dave% (score 3)
//	└── Bob_b (score 2, tags vip, new)
func seedPartners(t testing.TB, d *testDB) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	ids["co1"] = d.create("test.company", map[string]any{"name": "Company One"})
	ids["co2"] = d.create("test.company", map[string]any{"name": "Company Two"})
	ids["vip"] = d.create("test.tag", map[string]any{"name": "vip"})
	ids["new"] = d.create("test.tag", map[string]any{"name": "new"})
	ids["Acme"] = d.create("test.partner", map[string]any{"name": "Acme", "is_company": true, "score": 10, "company_id": ids["co1"],
		"tag_ids": []any{ids["vip"]}, "credit": "100.50", "birthday": "2000-01-01"})
	ids["alice"] = d.create("test.partner", map[string]any{"name": "alice", "email": "a@x.org", "parent_id": ids["Acme"], "score": 1,
		"company_id": ids["co1"], "credit": "5", "birthday": "1999-12-31", "seen_at": "2024-01-01 10:00:00"})
	ids["Dave%"] = d.create("test.partner", map[string]any{"name": "Dave%", "parent_id": ids["alice"], "score": 3, "company_id": ids["co2"], "kind": "shop"})
	ids["Bob_b"] = d.create("test.partner", map[string]any{"name": "Bob_b", "parent_id": ids["Acme"], "score": 2, "tag_ids": []any{ids["vip"], ids["new"]},
		"company_id": ids["co2"], "ratio": 2.5})
	ids["carol"] = d.create("test.partner", map[string]any{"name": "carol"})
	ids["Beta Corp"] = d.create("test.partner", map[string]any{"name": "Beta Corp", "is_company": true, "active": false})
	return ids
}

func TestSearchDomains(t *testing.T) {
	tests := []struct {
		name   string
		domain []any
		want   string // names, sorted, space separated
	}{
		{"empty hides archived", []any{}, "Acme Bob_b Dave% alice carol"},
		{"archived on request", []any{[]any{"active", "=", false}}, "Beta Corp"},
		{"equal", []any{[]any{"name", "=", "alice"}}, "alice"},
		{"equal false is null", []any{[]any{"email", "=", false}}, "Acme Bob_b Dave% carol"},
		{"not equal includes null", []any{[]any{"email", "!=", "a@x.org"}}, "Acme Bob_b Dave% carol"},
		{"not equal false", []any{[]any{"email", "!=", false}}, "alice"},
		{"ilike ascii case", []any{[]any{"name", "ilike", "ACM"}}, "Acme"},
		{"like is case sensitive", []any{[]any{"name", "like", "acm"}}, ""},
		{"like exact case", []any{[]any{"name", "like", "Acm"}}, "Acme"},
		{"like percent wildcard", []any{[]any{"name", "=like", "D%"}}, "Dave%"},
		{"escaped percent literal", []any{[]any{"name", "like", `e\%`}}, "Dave%"},
		{"underscore wildcard", []any{[]any{"name", "=like", "Bob_b"}}, "Bob_b"},
		{"escaped underscore", []any{[]any{"name", "like", `b\_b`}}, "Bob_b"},
		{"glob chars literal", []any{[]any{"name", "like", "*"}}, ""},
		{"not ilike includes null", []any{[]any{"email", "not ilike", "x.org"}}, "Acme Bob_b Dave% carol"},
		{"=ilike", []any{[]any{"name", "=ilike", "CAROL"}}, "carol"},
		{"integer compare", []any{[]any{"score", ">=", 2}}, "Acme Bob_b Dave%"},
		{"in", []any{[]any{"score", "in", []any{1, 3}}}, "Dave% alice"},
		{"in with false", []any{[]any{"email", "in", []any{"a@x.org", false}}}, "Acme Bob_b Dave% alice carol"},
		{"not in includes null", []any{[]any{"parent_id", "not in", []any{1}}}, "Acme Dave% carol"},
		{"in empty", []any{[]any{"score", "in", []any{}}}, ""},
		{"not in empty", []any{[]any{"score", "not in", []any{}}}, "Acme Bob_b Dave% alice carol"},
		{"or", []any{"|", []any{"score", "=", 1}, []any{"score", "=", 2}}, "Bob_b alice"},
		{"not pushes down", []any{"!", []any{"email", "=", "a@x.org"}}, "Acme Bob_b Dave% carol"},
		{"not of and (NULL stays unmatched)", []any{"!", "&", []any{"score", ">", 0}, []any{"score", "<", 3}}, "Acme Dave%"},
		{"boolean true", []any{[]any{"is_company", "=", true}}, "Acme"},
		{"boolean false includes null", []any{[]any{"is_company", "=", false}}, "Bob_b Dave% alice carol"},
		{"boolean !=", []any{[]any{"is_company", "!=", true}}, "Bob_b Dave% alice carol"},
		{"many2one path", []any{[]any{"parent_id.name", "=", "Acme"}}, "Bob_b alice"},
		{"two-step path", []any{[]any{"parent_id.parent_id.name", "=", "Acme"}}, "Dave%"},
		{"many2one by name", []any{[]any{"company_id", "ilike", "two"}}, "Bob_b Dave%"},
		{"many2one not ilike name", []any{[]any{"company_id", "not ilike", "two"}}, "Acme alice carol"},
		{"one2many path", []any{[]any{"child_ids.name", "=", "alice"}}, "Acme"},
		{"one2many negative path", []any{[]any{"child_ids.name", "!=", "alice"}}, "Bob_b Dave% alice carol"},
		{"one2many empty", []any{[]any{"child_ids", "=", false}}, "Bob_b Dave% carol"},
		{"one2many not empty", []any{[]any{"child_ids", "!=", false}}, "Acme alice"},
		{"many2many in", []any{[]any{"tag_ids", "in", []any{2}}}, "Bob_b"},
		{"many2many path", []any{[]any{"tag_ids.name", "=", "vip"}}, "Acme Bob_b"},
		{"many2many not in", []any{[]any{"tag_ids", "not in", []any{1}}}, "Dave% alice carol"},
		{"many2many by name", []any{[]any{"tag_ids", "ilike", "NE"}}, "Bob_b"},
		{"child_of", []any{[]any{"id", "child_of", 1}}, "Acme Bob_b Dave% alice"},
		{"child_of many2one", []any{[]any{"parent_id", "child_of", []any{2}}}, "Dave%"},
		{"parent_of", []any{[]any{"id", "parent_of", 3}}, "Acme Dave% alice"},
		{"related field", []any{[]any{"company_name", "=", "Company Two"}}, "Bob_b Dave%"},
		{"monetary compare", []any{[]any{"credit", ">", "10"}}, "Acme"},
		{"monetary equal", []any{[]any{"credit", "=", 5}}, "alice"},
		{"float", []any{[]any{"ratio", ">", 1}}, "Bob_b"},
		{"date", []any{[]any{"birthday", "<", "2000-01-01"}}, "alice"},
		{"datetime", []any{[]any{"seen_at", ">=", "2024-01-01"}}, "alice"},
		{"selection", []any{[]any{"kind", "=", "shop"}}, "Dave%"},
		{"display_name", []any{[]any{"display_name", "ilike", "bob"}}, "Bob_b"},
		{"=? unset is true", []any{[]any{"email", "=?", false}}, "Acme Bob_b Dave% alice carol"},
		{"true leaf", []any{[]any{1, "=", 1}}, "Acme Bob_b Dave% alice carol"},
		{"sql in value is a literal", []any{[]any{"name", "=", "alice' OR '1'='1"}}, ""},
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		if ids["Acme"] != 1 || ids["alice"] != 2 || ids["Dave%"] != 3 {
			t.Fatalf("unexpected ids %v; the table assumes Acme=1 alice=2 Dave%%=3", ids)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dom, err := domain.FromValue(tt.domain, domain.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				d.sudo(func(ctx context.Context, env *Env) error {
					recs, err := env.SearchRead(ctx, "test.partner", dom, []string{"name"}, SearchOptions{})
					if err != nil {
						return err
					}
					var names []string
					for _, r := range recs {
						names = append(names, r["name"].(string))
					}
					slices.Sort(names)
					if got := strings.Join(names, " "); got != tt.want {
						t.Errorf("got %q, want %q", got, tt.want)
					}
					return nil
				})
			})
		}
	})
}

func TestSearchRefusesBadInput(t *testing.T) {
	tests := []struct {
		name   string
		domain []any
		opts   SearchOptions
	}{
		{"unknown field", []any{[]any{"nope", "=", 1}}, SearchOptions{}},
		{"unknown path", []any{[]any{"parent_id.nope", "=", 1}}, SearchOptions{}},
		{"path through scalar", []any{[]any{"name.x", "=", 1}}, SearchOptions{}},
		{"like on integer", []any{[]any{"score", "like", "1"}}, SearchOptions{}},
		{"text vs integer", []any{[]any{"score", "=", "1; DROP TABLE test_partner"}}, SearchOptions{}},
		{"non-stored computed", []any{[]any{"upper_name", "=", "x"}}, SearchOptions{}},
		{"bad date", []any{[]any{"birthday", "=", "yesterday"}}, SearchOptions{}},
		{"NUL byte", []any{[]any{"name", "=", "a\x00b"}}, SearchOptions{}},
		{"limit above cap", []any{}, SearchOptions{Limit: 10001}},
		{"negative offset", []any{}, SearchOptions{Offset: -1}},
		{"order injection", []any{}, SearchOptions{Order: "name; DROP TABLE test_partner"}},
		{"order unknown", []any{}, SearchOptions{Order: "(select 1)"}},
		{"order bad direction", []any{}, SearchOptions{Order: "name sideways"}},
		{"order by x2many", []any{}, SearchOptions{Order: "tag_ids"}},
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		seedPartners(t, d)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dom, err := domain.FromValue(tt.domain, domain.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				d.sudo(func(ctx context.Context, env *Env) error {
					_, err := env.Search(ctx, "test.partner", dom, tt.opts)
					var ve *ValidationError
					if !errors.As(err, &ve) {
						t.Errorf("got %v, want a ValidationError", err)
					}
					n, err := env.SearchCount(ctx, "test.partner", domain.Domain{}, SearchOptions{IncludeArchived: true})
					if err != nil || n != 6 {
						t.Errorf("table damaged: %d rows, %v", n, err)
					}
					return nil
				})
			})
		}
	})
}

func TestSearchOrderAndPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		seedPartners(t, d)
		d.sudo(func(ctx context.Context, env *Env) error {
			cases := []struct {
				opts SearchOptions
				want []int64
			}{
				{SearchOptions{Order: "score desc"}, []int64{5, 1, 3, 4, 2}}, // NULLs first when descending
				{SearchOptions{Order: "score desc", Limit: 2, Offset: 1}, []int64{1, 3}},
				{SearchOptions{}, []int64{1, 4, 3, 2, 5}}, // default order: name (bytewise)
				{SearchOptions{Order: "company_id, id"}, []int64{1, 2, 3, 4, 5}},
				{SearchOptions{Order: "email desc"}, []int64{1, 3, 4, 5, 2}},
			}
			for _, c := range cases {
				got, err := env.Search(ctx, "test.partner", domain.Domain{}, c.opts)
				if err != nil {
					return err
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%+v: got %v, want %v", c.opts, got, c.want)
				}
			}
			return nil
		})
	})
}
