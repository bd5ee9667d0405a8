package orm

import (
	"context"
	"errors"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// keepNamed refuses to delete tags named "kept".
func keepNamed(ctx context.Context, env *Env, ids []int64) error {
	recs, err := env.Read(ctx, "test.tag", ids, []string{"name"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r["name"] == "kept" {
			return &UserError{Message: "the kept tag stays"}
		}
	}
	return nil
}

func TestAddUnlinkCheckRefusals(t *testing.T) {
	ok := Check{Name: "keep", Func: keepNamed}
	tests := []struct {
		name  string
		model string
		check Check
	}{
		{"unknown model", "no.such.model", ok},
		{"no name", "test.tag", Check{Func: keepNamed}},
		{"no function", "test.tag", Check{Name: "keep"}},
	}
	r := NewRegistry(Limits{})
	for _, m := range testModels() {
		if err := r.Define(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		if err := r.AddUnlinkCheck(tt.model, tt.check); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if m, _ := r.Model("test.tag"); len(m.UnlinkChecks) != 0 {
		t.Fatalf("refused checks were added: %d", len(m.UnlinkChecks))
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := r.AddUnlinkCheck("test.tag", ok); err == nil {
		t.Error("a check was added to a frozen registry")
	}
}

// A user deleting records an unlink check refuses gets its error and nothing is
// deleted, even the records it did not object to; Sudo is not checked.
func TestUnlinkCheckRefusesUsersOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		reg := NewRegistry(Limits{})
		for _, m := range testModels() {
			if err := reg.Define(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := reg.AddUnlinkCheck("test.tag", Check{Name: "keep", Func: keepNamed}); err != nil {
			t.Fatal(err)
		}
		if err := reg.Freeze(); err != nil {
			t.Fatal(err)
		}
		d := migratedTestDB(t, e, reg)
		d.acl("test.tag", 0, "rwcu")
		kept, gone := d.create("test.tag", map[string]any{"name": "kept"}), d.create("test.tag", map[string]any{"name": "gone"})
		count := func() int64 {
			var n int64
			d.sudo(func(ctx context.Context, env *Env) (err error) {
				n, err = env.SearchCount(ctx, "test.tag", mustDomain([]any{[]any{"id", "in", []any{kept, gone}}}), SearchOptions{})
				return err
			})
			return n
		}
		user := Identity{UID: 7}
		err := d.run(user, false, func(ctx context.Context, env *Env) error {
			return env.Unlink(ctx, "test.tag", []int64{gone, kept})
		})
		var ue *UserError
		if !errors.As(err, &ue) || ue.Message != "the kept tag stays" {
			t.Fatalf("unlink both: %v, want the check's error", err)
		}
		if n := count(); n != 2 {
			t.Fatalf("a refused unlink left %d of 2 tags", n)
		}
		if err := d.run(user, false, func(ctx context.Context, env *Env) error {
			return env.Unlink(ctx, "test.tag", []int64{gone})
		}); err != nil || count() != 1 {
			t.Fatalf("unlink the other tag: %v, %d left", err, count())
		}
		d.sudo(func(ctx context.Context, env *Env) error { return env.Unlink(ctx, "test.tag", []int64{kept}) })
		if n := count(); n != 0 {
			t.Fatalf("sudo unlink left %d", n)
		}
	})
}
