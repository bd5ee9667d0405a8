package base

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// groupWorld is an installed tenant with groups of its administrator's making,
// Deputies → Clerks → Ledger and Auditors → Ledger (→ inherits), members, and a
// signed-in session for each member.
type groupWorld struct {
	*tenant
	admin  int64
	groups map[string]int64 // by name
	users  map[string]int64 // by login
	tokens map[string]string
	acting int64 // the id of the administrator's session that makes the change
}

// The sessions of groupWorld, each of a member signed in once, and the
// administrator signed in twice: once making the change, once elsewhere.
var worldSessions = []string{"inherited", "direct", "auditor", "both", "admin", "admin elsewhere"}

func newGroupWorld(t *testing.T, e storetest.Engine) *groupWorld {
	t.Helper()
	w := &groupWorld{tenant: install(t, e), groups: map[string]int64{}, users: map[string]int64{}, tokens: map[string]string{}}
	w.admin = w.adminOf()
	w.sudo(func(ctx context.Context, env *orm.Env) error {
		companies, err := env.Search(ctx, "res.company", domain.Domain{}, orm.SearchOptions{Limit: 1})
		if err != nil {
			return err
		}
		for _, g := range []struct {
			name    string
			implies []string
		}{{"Ledger", nil}, {"Clerks", []string{"Ledger"}}, {"Auditors", []string{"Ledger"}}, {"Deputies", []string{"Clerks"}}} {
			implied := []any{}
			for _, name := range g.implies {
				implied = append(implied, w.groups[name])
			}
			if w.groups[g.name], err = create(ctx, env, "res.groups", map[string]any{"name": g.name, "implied_ids": []any{[]any{6, 0, implied}}}); err != nil {
				return err
			}
		}
		for _, u := range []struct {
			login  string
			groups []string
		}{
			{"inherited", []string{"Deputies"}},        // Clerks and Ledger through Deputies only
			{"direct", []string{"Deputies", "Clerks"}}, // Clerks also in their own right
			{"auditor", []string{"Auditors"}},          // Ledger through Auditors
			{"both", []string{"Deputies", "Auditors"}}, // Ledger through two paths
		} {
			gids := []any{}
			for _, name := range u.groups {
				gids = append(gids, w.groups[name])
			}
			partner, err := create(ctx, env, "res.partner", map[string]any{"name": u.login, "company_id": companies[0]})
			if err != nil {
				return err
			}
			if w.users[u.login], err = create(ctx, env, "res.users", map[string]any{"name": u.login, "login": u.login + "@example.com",
				"partner_id": partner, "company_id": companies[0], "company_ids": []any{[]any{6, 0, []any{companies[0]}}}, "groups_id": []any{[]any{6, 0, gids}}}); err != nil {
				return err
			}
		}
		return env.Write(ctx, "res.groups", []int64{w.groups["Deputies"]}, map[string]any{"users": []any{[]any{4, w.admin}}})
	})
	sessions, err := session.NewStore(w.db, session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range worldSessions {
		uid := w.admin
		if id, ok := w.users[name]; ok {
			uid = id
		}
		s, token, err := sessions.Create(context.Background(), uid, "192.0.2.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[name] = token
		if name == "admin" {
			w.acting = s.ID
		}
	}
	return w
}

// asAdmin runs fn as the administrator through the ORM, as a call of the
// external API does, from the session w.acting, and commits unless fn fails.
func (w *groupWorld) asAdmin(fn func(ctx context.Context, env *orm.Env) error) error {
	ctx := session.WithActing(context.Background(), w.acting)
	return w.db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := NewEnv(ctx, tx, w.db.Engine, w.reg, w.admin)
		if err != nil {
			return err
		}
		return fn(ctx, env)
	})
}

// ended returns the sessions of worldSessions that no longer work.
func (w *groupWorld) ended(t *testing.T) []string {
	t.Helper()
	sessions, err := session.NewStore(w.db, session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range worldSessions {
		_, err := sessions.Lookup(context.Background(), w.tokens[name])
		switch {
		case errors.Is(err, session.ErrNotFound):
			out = append(out, name)
		case err != nil:
			t.Fatal(err)
		}
	}
	return out
}

// Whoever loses a group, in their own right or through the groups theirs
// inherit, however the change is made through the ORM (as over the API), has
// no working session left; whoever keeps every group through another path
// keeps theirs, and so does the session the change was made from. A refused
// change ends nothing.
func TestLosingAGroupEndsSessions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(ctx context.Context, env *orm.Env, w *groupWorld) error
		fails  bool
		ended  []string
	}{
		{
			name: "a group no longer inherits another",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				return env.Write(ctx, "res.groups", []int64{w.groups["Deputies"]}, map[string]any{"implied_ids": []any{[]any{3, w.groups["Clerks"]}}})
			},
			ended: []string{"inherited", "both", "admin elsewhere"},
		},
		{
			name: "an inherited group loses what it inherits",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				return env.Write(ctx, "res.groups", []int64{w.groups["Clerks"]}, map[string]any{"implied_ids": []any{[]any{5}}})
			},
			ended: []string{"inherited", "direct", "admin elsewhere"},
		},
		{
			name: "inherited groups replaced by a set that still holds them",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				return env.Write(ctx, "res.groups", []int64{w.groups["Deputies"]},
					map[string]any{"implied_ids": []any{[]any{6, 0, []any{w.groups["Auditors"], w.groups["Clerks"]}}}})
			},
		},
		{
			name: "an inherited group deleted",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				return env.Unlink(ctx, "res.groups", []int64{w.groups["Clerks"]})
			},
			ended: []string{"inherited", "direct", "both", "admin elsewhere"},
		},
		{
			name: "a member taken out of a group",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				return env.Write(ctx, "res.groups", []int64{w.groups["Deputies"]}, map[string]any{"users": []any{[]any{3, w.users["both"]}}})
			},
			ended: []string{"both"},
		},
		{
			name: "a user's groups changed on the user",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				return env.Write(ctx, "res.users", []int64{w.users["inherited"]}, map[string]any{"groups_id": []any{[]any{6, 0, []any{w.groups["Clerks"]}}}})
			},
			ended: []string{"inherited"},
		},
		{
			name: "inheritance changed through the commands of another group",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				return env.Write(ctx, "res.groups", []int64{w.groups["Auditors"]},
					map[string]any{"implied_ids": []any{[]any{1, w.groups["Clerks"], map[string]any{"implied_ids": []any{[]any{5}}}}}})
			},
			ended: []string{"inherited", "direct", "admin elsewhere"},
		},
		{
			name: "a group inherits one more",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				return env.Write(ctx, "res.groups", []int64{w.groups["Deputies"]}, map[string]any{"implied_ids": []any{[]any{4, w.groups["Auditors"]}}})
			},
		},
		{
			name: "a refused deletion",
			change: func(ctx context.Context, env *orm.Env, w *groupWorld) error {
				user, err := groupID(ctx, env, GroupUser)
				if err != nil {
					return err
				}
				return env.Unlink(ctx, "res.groups", []int64{w.groups["Clerks"], user})
			},
			fails: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, e storetest.Engine) {
				w := newGroupWorld(t, e)
				if got := w.ended(t); len(got) != 0 {
					t.Fatalf("sessions ended before the change: %v", got)
				}
				err := w.asAdmin(func(ctx context.Context, env *orm.Env) error { return tc.change(ctx, env, w) })
				if tc.fails != (err != nil) {
					t.Fatalf("change: %v, want failure %v", err, tc.fails)
				}
				if got := w.ended(t); !slices.Equal(got, tc.ended) {
					t.Fatalf("ended sessions %v, want %v", got, tc.ended)
				}
			})
		})
	}
}

// Module code acting as the system is seen too: a seed step that rewires
// inheritance ends the sessions of those it demotes.
func TestLosingAGroupAsTheSystemEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newGroupWorld(t, e)
		w.sudo(func(ctx context.Context, env *orm.Env) error {
			return env.Write(ctx, "res.groups", []int64{w.groups["Auditors"]}, map[string]any{"implied_ids": []any{[]any{5}}})
		})
		if got, want := w.ended(t), []string{"auditor"}; !slices.Equal(got, want) {
			t.Fatalf("ended sessions %v, want %v", got, want)
		}
	})
}

func TestLostAGroup(t *testing.T) {
	set := func(ids ...int64) map[int64]bool {
		m := map[int64]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	for _, tc := range []struct {
		before, after map[int64]map[int64]bool
		want          []int64
	}{
		{map[int64]map[int64]bool{1: set(10, 11)}, map[int64]map[int64]bool{1: set(10, 11, 12)}, nil},
		{map[int64]map[int64]bool{1: set(10, 11)}, map[int64]map[int64]bool{1: set(10)}, []int64{1}},
		{map[int64]map[int64]bool{1: set(10), 2: set(10)}, map[int64]map[int64]bool{2: set(10)}, []int64{1}},
		{map[int64]map[int64]bool{3: set(10), 2: set(11)}, map[int64]map[int64]bool{}, []int64{2, 3}},
		{map[int64]map[int64]bool{}, map[int64]map[int64]bool{1: set(10)}, nil},
	} {
		if got := lostAGroup(tc.before, tc.after); !slices.Equal(got, tc.want) {
			t.Errorf("lostAGroup(%v, %v) = %v, want %v", tc.before, tc.after, got, tc.want)
		}
	}
}

// Inheritance is followed as far as NewEnv grants it (impliedClosure), no
// further, and a cycle ends.
func TestClosureOfFollowsInheritanceAsFarAsGranted(t *testing.T) {
	chain := map[int64][]int64{}
	for g := int64(1); g <= maxGroupDepth+3; g++ {
		chain[g] = []int64{g + 1}
	}
	got := closureOf(1, chain)
	if len(got) != maxGroupDepth+1 || !got[maxGroupDepth+1] || got[maxGroupDepth+2] {
		t.Fatalf("closure of a chain of %d: %v, want the groups 1 to %d", maxGroupDepth+4, got, maxGroupDepth+1)
	}
	if got := closureOf(1, map[int64][]int64{1: {2}, 2: {3, 1}}); len(got) != 3 {
		t.Fatalf("closure of a cycle: %v", got)
	}
}
