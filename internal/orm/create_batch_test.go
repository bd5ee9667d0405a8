package orm

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestRowsPerInsert(t *testing.T) {
	for _, c := range []struct{ cols, maxParams, want int }{
		{4, 32766, maxRowsPerInsert},
		{100, 32766, 327},
		{100, 65535, 500},
		{40000, 32766, 1}, // never zero, even past the limit
		{0, 100, 100},
	} {
		if got := rowsPerInsert(c.cols, c.maxParams); got != c.want {
			t.Errorf("rowsPerInsert(%d, %d) = %d, want %d", c.cols, c.maxParams, got, c.want)
		}
	}
}

// openTestDBWith is openTestDB with more models in the registry.
func openTestDBWith(t testing.TB, e storetest.Engine, limits Limits, extra ...*Model) *testDB {
	t.Helper()
	reg := NewRegistry(limits)
	for _, m := range append(testModels(), extra...) {
		if err := reg.Define(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.Freeze(); err != nil {
		t.Fatal(err)
	}
	return migratedTestDB(t, e, reg)
}

// wideModel has enough columns that a few hundred rows exceed SQLite's limit
// of bind parameters per statement.
func wideModel() *Model {
	m := &Model{Name: "test.wide"}
	for i := 0; i < 90; i++ {
		m.Fields = append(m.Fields, &Field{Name: fmt.Sprintf("c%02d", i), Type: Char})
	}
	return m
}

func TestBatchedCreateKeepsOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDBWith(t, e, Limits{}, wideModel())
		d.sudo(func(ctx context.Context, env *Env) error {
			// Alternating column sets split the batch into many statements.
			vals := make([]map[string]any, 1234)
			for i := range vals {
				vals[i] = map[string]any{"name": fmt.Sprintf("P%04d", i)}
				if i%3 == 0 {
					vals[i]["email"] = fmt.Sprintf("p%d@example.com", i)
				}
				if i >= 600 && i < 1200 {
					vals[i]["score"] = i // one long run of identical columns
				}
			}
			ids, err := env.Create(ctx, "test.partner", vals)
			if err != nil {
				return err
			}
			recs, err := env.Read(ctx, "test.partner", ids, []string{"name", "email"})
			if err != nil {
				return err
			}
			for i, r := range recs {
				if r["name"] != fmt.Sprintf("P%04d", i) {
					t.Fatalf("record %d: id %d has name %v", i, ids[i], r["name"])
				}
				if (i%3 == 0) != (r["email"] != false) {
					t.Fatalf("record %d: email %v", i, r["email"])
				}
			}

			wide := make([]map[string]any, 1000)
			for i := range wide {
				row := map[string]any{}
				for j := 0; j < 90; j++ {
					row[fmt.Sprintf("c%02d", j)] = fmt.Sprintf("%d-%d", i, j)
				}
				wide[i] = row
			}
			ids, err = env.Create(ctx, "test.wide", wide)
			if err != nil {
				return fmt.Errorf("create past the parameter limit: %w", err)
			}
			recs, err = env.Read(ctx, "test.wide", ids, []string{"c00", "c89"})
			if err != nil {
				return err
			}
			for i, r := range recs {
				if r["c00"] != fmt.Sprintf("%d-0", i) || r["c89"] != fmt.Sprintf("%d-89", i) {
					t.Fatalf("wide record %d: %v", i, r)
				}
			}
			return nil
		})
	})
}

func TestBatchedCreateIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		allowed := d.create("test.company", map[string]any{"name": "Mine"})
		other := d.create("test.company", map[string]any{"name": "Theirs"})
		users := d.group("test.users")
		d.acl("test.partner", users, "rwc")
		d.acl("test.company", users, "r")
		d.rule("test.partner", "[('company_id', 'in', company_ids)]")
		me := Identity{GroupIDs: []int64{users}, CompanyID: allowed, CompanyIDs: []int64{allowed}}
		batch := func(n, bad int, badVals map[string]any) []map[string]any {
			out := make([]map[string]any, n)
			for i := range out {
				out[i] = map[string]any{"name": fmt.Sprint(i), "company_id": allowed}
				if i == bad {
					out[i] = badVals
				}
			}
			return out
		}
		cases := []struct {
			name  string
			vals  []map[string]any
			check func(error) bool
		}{
			{"one record outside the rules", batch(1500, 1203, map[string]any{"name": "x", "company_id": other}), isAccess},
			{"one link to a missing record", batch(900, 650, map[string]any{"name": "x", "company_id": 999999}), isMissing},
			{"one required field missing", batch(700, 699, map[string]any{"email": "x@example.com"}), isValidation},
			{"one invalid value", batch(700, 3, map[string]any{"name": "x", "score": "many"}), isValidation},
		}
		for _, c := range cases {
			err := d.run(me, false, func(ctx context.Context, env *Env) error {
				if _, err := env.Create(ctx, "test.partner", c.vals); !c.check(err) {
					t.Errorf("%s: got %v", c.name, err)
				}
				n, err := env.Sudo().SearchCount(ctx, "test.partner", domain.Domain{}, SearchOptions{IncludeArchived: true})
				if n != 0 {
					t.Errorf("%s: %d partners left after a refused batch", c.name, n)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func isValidation(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}
