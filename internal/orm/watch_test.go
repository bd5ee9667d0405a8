package orm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestAddWatchRefusals(t *testing.T) {
	begin := func(ctx context.Context, env *Env) (func(context.Context, *Env) error, error) { return nil, nil }
	for _, tc := range []struct {
		name  string
		watch Watch
		atAdd bool // refused by AddWatch rather than by Freeze
	}{
		{"no fields", Watch{Name: "w", Begin: begin}, true},
		{"no begin", Watch{Name: "w", Fields: map[string][]string{"test.partner": {"tag_ids"}}}, true},
		{"unknown model", Watch{Name: "w", Fields: map[string][]string{"no.such": {"name"}}, Begin: begin}, false},
		{"unknown field", Watch{Name: "w", Fields: map[string][]string{"test.partner": {"no_such"}}, Begin: begin}, false},
	} {
		reg := NewRegistry(Limits{})
		for _, m := range testModels() {
			if err := reg.Define(m); err != nil {
				t.Fatal(err)
			}
		}
		err := reg.AddWatch(tc.watch)
		if tc.atAdd != (err != nil) {
			t.Errorf("%s: AddWatch: %v", tc.name, err)
			continue
		}
		if !tc.atAdd {
			if err := reg.Freeze(); err == nil {
				t.Errorf("%s: the registry froze", tc.name)
			}
		}
	}
	reg := NewRegistry(Limits{})
	if err := reg.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := reg.AddWatch(Watch{Name: "w", Fields: map[string][]string{"res.groups": {"name"}}, Begin: begin}); err == nil {
		t.Error("a watch was added to a frozen registry")
	}
}

// tagLinks counts the partners' links to tags, as a watch's snapshot.
func tagLinks(ctx context.Context, env *Env) (int, error) {
	ids, err := env.Search(ctx, "test.partner", mustDomain([]any{}), SearchOptions{IncludeArchived: true})
	if err != nil {
		return 0, err
	}
	recs, err := env.Read(ctx, "test.partner", ids, []string{"tag_ids"})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		n += len(r["tag_ids"].([]int64))
	}
	return n, nil
}

// A watch begins once per outermost operation that changes a field it sees,
// however deep the change is made, or deletes a record of its model; its end
// sees the operation's result; an operation that fails or whose end fails
// changes nothing and leaves no watch begun.
func TestWatchSeesChangesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		reg := NewRegistry(Limits{})
		for _, m := range testModels() {
			if err := reg.Define(m); err != nil {
				t.Fatal(err)
			}
		}
		var (
			seen    []string // "before->after" per operation seen
			failEnd bool
		)
		if err := reg.AddWatch(Watch{Name: "tag_links", Fields: map[string][]string{"test.partner": {"tag_ids"}},
			Begin: func(ctx context.Context, su *Env) (func(context.Context, *Env) error, error) {
				if !su.IsSuperuser() {
					return nil, errors.New("begin not run as the system")
				}
				before, err := tagLinks(ctx, su)
				if err != nil {
					return nil, err
				}
				return func(ctx context.Context, su *Env) error {
					after, err := tagLinks(ctx, su)
					if err != nil {
						return err
					}
					if failEnd {
						return errors.New("refused by the watch")
					}
					seen = append(seen, fmt.Sprintf("%d->%d", before, after))
					return nil
				}, nil
			}}); err != nil {
			t.Fatal(err)
		}
		if err := reg.Freeze(); err != nil {
			t.Fatal(err)
		}
		d := migratedTestDB(t, e, reg)
		red, blue := d.create("test.tag", map[string]any{"name": "red"}), d.create("test.tag", map[string]any{"name": "blue"})
		parent := d.create("test.partner", map[string]any{"name": "Parent"})
		child := d.create("test.partner", map[string]any{"name": "Child", "parent_id": parent})
		seen = nil // creating is no change a watch sees

		for _, tc := range []struct {
			name   string
			op     func(ctx context.Context, env *Env) error
			fail   bool // the end function fails
			want   []string
			wantOK bool
		}{
			{"another field", func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{parent}, map[string]any{"name": "Parent 2"})
			}, false, nil, true},
			{"the field", func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{parent}, map[string]any{"tag_ids": []any{[]any{6, 0, []any{red, blue}}}})
			}, false, []string{"0->2"}, true},
			{"the field here and through a child's command", func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{parent}, map[string]any{"tag_ids": []any{[]any{3, blue}},
					"child_ids": []any{[]any{1, child, map[string]any{"tag_ids": []any{[]any{4, red}}}}}})
			}, false, []string{"2->2"}, true},
			{"a failed operation", func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{parent}, map[string]any{"tag_ids": []any{[]any{5}},
					"child_ids": []any{[]any{1, child, map[string]any{"name": false}}}})
			}, false, nil, false},
			{"an end that fails", func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.partner", []int64{parent}, map[string]any{"tag_ids": []any{[]any{5}}})
			}, true, nil, false},
			{"a deletion", func(ctx context.Context, env *Env) error {
				return env.Unlink(ctx, "test.partner", []int64{child})
			}, false, []string{"2->1"}, true},
		} {
			seen, failEnd = nil, tc.fail
			err := d.run(Identity{}, true, tc.op)
			if tc.wantOK != (err == nil) {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if !slices.Equal(seen, tc.want) {
				t.Fatalf("%s: the watch saw %v, want %v", tc.name, seen, tc.want)
			}
		}
		var links int
		d.sudo(func(ctx context.Context, env *Env) (err error) {
			links, err = tagLinks(ctx, env)
			return err
		})
		if links != 1 {
			t.Fatalf("%d tag links left, want 1: a refused operation changed something", links)
		}
	})
}
