package orm

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// randomDomains generates domains over test.partner from a fixed seed.
type domainGen struct{ r *rand.Rand }

func (g domainGen) pick(items ...any) any { return items[g.r.IntN(len(items))] }

func (g domainGen) text() any {
	return g.pick("a", "A", "al", "Acme", "bob", "B%", "_b", `\%`, "x.org", "", "carol", "DAVE", nil, false)
}

func (g domainGen) leaf() []any {
	switch g.r.IntN(12) {
	case 0, 1:
		field := g.pick("name", "email", "kind").(string)
		op := g.pick("=", "!=", "like", "not like", "ilike", "not ilike", "=like", "=ilike", "in", "not in").(string)
		v := g.text()
		if op == "in" || op == "not in" {
			v = []any{g.text(), g.text()}
		} else if s, ok := v.(string); !ok && op != "=" && op != "!=" {
			v = s + "a"
		}
		return []any{field, op, v}
	case 2:
		return []any{"score", g.pick("=", "!=", "<", "<=", ">", ">=").(string), g.pick(0, 1, 2, 3, 10, false)}
	case 3:
		return []any{"score", g.pick("in", "not in").(string), []any{g.pick(1, 2, 3), g.pick(0, 10, false)}}
	case 4:
		return []any{"ratio", g.pick("<", ">", "=", "!=").(string), g.pick(0.0, 0.5, 2.5, 1)}
	case 5:
		return []any{g.pick("is_company", "active").(string), g.pick("=", "!=").(string), g.pick(true, false)}
	case 6:
		return []any{"credit", g.pick("<", ">", "=", "!=", ">=").(string), g.pick("5", "100.5", 0, "-1")}
	case 7:
		return []any{"birthday", g.pick("<", ">=", "=", "!=").(string), g.pick("2000-01-01", "1999-12-31", false)}
	case 8:
		return []any{"parent_id", g.pick("=", "!=", "in", "not in", "child_of", "parent_of").(string), g.pick(1, 2, 3, []any{1, 2})}
	case 9:
		return []any{g.pick("parent_id.name", "child_ids.name", "tag_ids.name", "company_id.name").(string), g.pick("=", "!=", "ilike", "not ilike").(string), g.pick("Acme", "vip", "alice", "Company One")}
	case 10:
		return []any{"tag_ids", g.pick("in", "not in", "=", "!=").(string), g.pick(1, 2, false, []any{1, 2})}
	default:
		return []any{"child_ids", g.pick("=", "!=").(string), false}
	}
}

func (g domainGen) domain(depth int) []any {
	if depth == 0 || g.r.IntN(3) == 0 {
		return []any{g.leaf()}
	}
	switch g.r.IntN(3) {
	case 0:
		return append(append([]any{"|"}, g.domain(depth-1)...), g.domain(depth-1)...)
	case 1:
		return append([]any{"!"}, g.domain(depth-1)...)
	default:
		return append(g.domain(depth-1), g.domain(depth-1)...)
	}
}

// TestDifferentialEngines runs random domains on SQLite and PostgreSQL holding the
// same records and expects the same ids (or an error on both).
func TestDifferentialEngines(t *testing.T) {
	engines := storetest.Engines()
	dbs := make([]*testDB, len(engines))
	for i, e := range engines {
		dbs[i] = openTestDB(t, e)
		seedPartners(t, dbs[i])
		extra := rand.New(rand.NewPCG(7, 7))
		for n := 0; n < 40; n++ {
			vals := map[string]any{"name": fmt.Sprintf("%s%d", domainGen{extra}.pick("a", "A", "Bob_", "c%", `d\`), n)}
			if extra.IntN(2) == 0 {
				vals["score"] = extra.IntN(12)
			}
			if extra.IntN(2) == 0 {
				vals["parent_id"] = int64(1 + extra.IntN(4))
			}
			if extra.IntN(3) == 0 {
				vals["email"] = domainGen{extra}.pick("a@x.org", "ALICE@X.ORG", "b_b@y")
			}
			if extra.IntN(3) == 0 {
				vals["credit"] = fmt.Sprintf("%d.%02d", extra.IntN(200)-50, extra.IntN(100))
			}
			if extra.IntN(3) == 0 {
				vals["tag_ids"] = []any{int64(1 + extra.IntN(2))}
			}
			dbs[i].create("test.partner", vals)
		}
	}
	g := domainGen{rand.New(rand.NewPCG(1, 2))}
	compared, nonEmpty := 0, 0
	for n := 0; n < 300; n++ {
		raw := g.domain(3)
		dom, err := domain.FromValue(raw, domain.Limits{})
		if err != nil {
			continue // the generator may produce values the domain package refuses
		}
		var results [][]int64
		var errs []error
		for _, d := range dbs {
			var ids []int64
			err := d.run(Identity{}, true, func(ctx context.Context, env *Env) error {
				var err error
				ids, err = env.Search(ctx, "test.partner", dom, SearchOptions{Order: "id", IncludeArchived: true})
				return err
			})
			results = append(results, ids)
			errs = append(errs, err)
		}
		if (errs[0] == nil) != (errs[1] == nil) {
			t.Errorf("%v: sqlite error %v, postgres error %v", raw, errs[0], errs[1])
			continue
		}
		if !slices.Equal(results[0], results[1]) {
			t.Errorf("%v:\n sqlite   %v\n postgres %v", raw, results[0], results[1])
		}
		if errs[0] == nil {
			compared++
			if len(results[0]) > 0 {
				nonEmpty++
			}
		}
	}
	// Guard against a generator that only produces refused or empty domains.
	if compared < 200 || nonEmpty < 100 {
		t.Errorf("only %d domains compared, %d with results", compared, nonEmpty)
	}
	t.Logf("%d domains compared, %d with results", compared, nonEmpty)
}
