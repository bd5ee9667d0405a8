package orm

import (
	"context"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestMany2manyLinksOfManyRecordsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		a := d.create("test.tag", map[string]any{"name": "a"})
		b := d.create("test.tag", map[string]any{"name": "b"})
		c := d.create("test.tag", map[string]any{"name": "c"})
		tags := func(env *Env, ctx context.Context, ids []int64) [][]int64 {
			t.Helper()
			recs, err := env.ReadValues(ctx, "test.partner", ids, []string{"tag_ids"})
			if err != nil {
				t.Fatal(err)
			}
			out := make([][]int64, len(recs))
			for i, r := range recs {
				out[i] = r["tag_ids"].([]int64)
				slices.Sort(out[i])
			}
			return out
		}
		var ids []int64
		d.sudo(func(ctx context.Context, env *Env) error {
			var err error
			ids, err = env.Create(ctx, "test.partner", []map[string]any{
				{"name": "set", "tag_ids": []any{[]any{6, 0, []any{a, b, a}}}},
				{"name": "link", "tag_ids": []any{[]any{4, c}, []any{4, c}, []any{4, a}}},
				{"name": "none"},
				{"name": "plain list", "tag_ids": []any{b}},
			})
			if err != nil {
				return err
			}
			got := tags(env, ctx, ids)
			want := [][]int64{{a, b}, {a, c}, {}, {b}}
			for i := range want {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("created record %d: tags %v, want %v", i, got[i], want[i])
				}
			}
			if err := env.Write(ctx, "test.partner", ids[:2], map[string]any{"tag_ids": []any{[]any{6, 0, []any{c}}}}); err != nil {
				return err
			}
			if err := env.WriteEach(ctx, "test.partner", ids[2:], []map[string]any{{"tag_ids": []any{[]any{4, a}}}, {"tag_ids": []any{[]any{6, 0, []any{}}}}}); err != nil {
				return err
			}
			got = tags(env, ctx, ids)
			want = [][]int64{{c}, {c}, {a}, {}}
			for i := range want {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("written record %d: tags %v, want %v", i, got[i], want[i])
				}
			}
			return nil
		})
		users := d.group("test.users")
		d.acl("test.partner", users, "rwc")
		d.acl("test.tag", users, "r")
		d.rule("test.tag", "[('name', '!=', 'c')]", users)
		as := Identity{UID: 0, GroupIDs: []int64{users}}
		cases := []struct {
			name string
			run  func(ctx context.Context, env *Env) error
		}{
			{"create linking a hidden tag", func(ctx context.Context, env *Env) error {
				_, err := env.Create(ctx, "test.partner", []map[string]any{{"name": "x", "tag_ids": []any{[]any{6, 0, []any{a}}}}, {"name": "y", "tag_ids": []any{[]any{4, c}}}})
				return err
			}},
			{"write setting a hidden tag", func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", ids[2:3], map[string]any{"tag_ids": []any{[]any{6, 0, []any{a, c}}}})
			}},
		}
		for _, tc := range cases {
			if err := d.run(as, false, tc.run); !isAccess(err) {
				t.Errorf("%s: got %v, want an AccessError", tc.name, err)
			}
		}
		d.sudo(func(ctx context.Context, env *Env) error {
			if got := tags(env, ctx, ids[2:3]); !slices.Equal(got[0], []int64{a}) {
				t.Errorf("after the refused write: tags %v, want [%d]", got[0], a)
			}
			n, err := env.SearchCount(ctx, "test.partner", mustDomain([]any{[]any{"name", "in", []any{"x", "y"}}}), SearchOptions{})
			if err != nil || n != 0 {
				t.Errorf("after the refused create: %d partners, %v", n, err)
			}
			return nil
		})
	})
}
