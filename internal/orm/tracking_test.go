package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// trackLog is what a test tracker saw: one line per change, "model id field: old -> new".
type trackLog struct {
	lines []string
	calls int
	fail  error
}

func (l *trackLog) tracker(ctx context.Context, env *Env, recs []TrackedRecord) error {
	l.calls++
	for _, r := range recs {
		for _, c := range r.Changes {
			l.lines = append(l.lines, fmt.Sprintf("%s %d %s: %s -> %s", r.Model.Name, r.ID, c.Field.Name, trackText(c.Old), trackText(c.New)))
		}
	}
	// The tracker writes in the same transaction, like the mail module does.
	if _, err := env.Sudo().Create(ctx, "test.track.note", []map[string]any{{"body": strings.Join(l.lines, "; ")}}); err != nil {
		return err
	}
	return l.fail
}

func trackText(v any) string {
	if p, ok := v.([]any); ok && len(p) == 2 {
		return fmt.Sprint(p[1])
	}
	if d, ok := v.(interface{ Text(byte) string }); ok {
		return d.Text('f')
	}
	return fmt.Sprint(v)
}

func trackingRegistry(t *testing.T, log *trackLog) *Registry {
	t.Helper()
	r := NewRegistry(Limits{})
	for _, m := range []*Model{
		{Name: "test.track.partner", Fields: []*Field{{Name: "name", Type: Char, Tracked: true}}},
		{Name: "test.track.note", Fields: []*Field{{Name: "body", Type: Text}}},
		{Name: "test.track.order", Fields: []*Field{
			{Name: "name", Type: Char, Tracked: true},
			{Name: "note", Type: Text},
			{Name: "partner_id", Type: Many2one, Comodel: "test.track.partner", Tracked: true},
			{Name: "line_ids", Type: One2many, Comodel: "test.track.line", InverseName: "order_id"},
			{Name: "total", Type: Integer, Store: true, Tracked: true, Depends: []string{"line_ids.qty"},
				Compute: func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error) {
					out := map[int64]any{}
					for _, id := range ids {
						lines, err := env.SearchRead(ctx, "test.track.line", mustDomain([]any{[]any{"order_id", "=", id}}), []string{"qty"}, SearchOptions{})
						if err != nil {
							return nil, err
						}
						var sum int64
						for _, l := range lines {
							sum += l["qty"].(int64)
						}
						out[id] = sum
					}
					return out, nil
				}},
		}},
		{Name: "test.track.line", Fields: []*Field{
			{Name: "order_id", Type: Many2one, Comodel: "test.track.order", Required: true, OnDelete: Cascade},
			{Name: "qty", Type: Integer},
		}, Checks: []Check{{Name: "qty_positive", Fields: []string{"qty"}, Func: func(ctx context.Context, env *Env, ids []int64) error {
			recs, err := env.Read(ctx, "test.track.line", ids, []string{"qty"})
			if err != nil {
				return err
			}
			for _, r := range recs {
				if r["qty"].(int64) < 0 {
					return validationf("test.track.line", "qty", "negative")
				}
			}
			return nil
		}}}},
	} {
		if err := r.Define(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetTracker(log.tracker); err != nil {
		t.Fatal(err)
	}
	if err := r.SetTracker(log.tracker); err == nil {
		t.Fatal("a second tracker was accepted")
	}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTrackedFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		log := &trackLog{}
		db := e.Open(t)
		ctx := context.Background()
		if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
			t.Fatal(err)
		}
		reg := trackingRegistry(t, log)
		if err := reg.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		run := func(fn func(env *Env) error) error {
			return db.InTx(ctx, func(tx *sql.Tx) error {
				env, err := reg.NewEnv(tx, db.Engine, Identity{})
				if err != nil {
					return err
				}
				return fn(env.Sudo())
			})
		}
		var p1, p2, order, line int64
		if err := run(func(env *Env) error {
			ps, err := env.Create(ctx, "test.track.partner", []map[string]any{{"name": "Azure"}, {"name": "Deco"}})
			if err != nil {
				return err
			}
			p1, p2 = ps[0], ps[1]
			os, err := env.Create(ctx, "test.track.order", []map[string]any{{"name": "SO1", "partner_id": p1,
				"line_ids": []any{[]any{0, 0, map[string]any{"qty": 2}}}}})
			if err != nil {
				return err
			}
			order = os[0]
			lines, err := env.Search(ctx, "test.track.line", mustDomain([]any{[]any{"order_id", "=", order}}), SearchOptions{})
			line = lines[0]
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if log.calls != 0 {
			t.Fatalf("creating records reported changes: %q", log.lines)
		}
		cases := []struct {
			name    string
			op      func(env *Env) error
			want    []string
			wantErr bool
		}{
			{"two tracked fields, one report", func(env *Env) error {
				return env.Write(ctx, "test.track.order", []int64{order}, map[string]any{"name": "SO1b", "partner_id": p2, "note": "x"})
			}, []string{
				fmt.Sprintf("test.track.order %d name: SO1 -> SO1b", order),
				fmt.Sprintf("test.track.order %d partner_id: Azure -> Deco", order),
			}, false},
			{"same values: nothing", func(env *Env) error {
				return env.Write(ctx, "test.track.order", []int64{order}, map[string]any{"name": "SO1b", "partner_id": p2})
			}, nil, false},
			{"untracked field: nothing", func(env *Env) error {
				return env.Write(ctx, "test.track.order", []int64{order}, map[string]any{"note": "y"})
			}, nil, false},
			{"recomputed field through a line", func(env *Env) error {
				return env.Write(ctx, "test.track.line", []int64{line}, map[string]any{"qty": 5})
			}, []string{fmt.Sprintf("test.track.order %d total: 2 -> 5", order)}, false},
			{"written and recomputed fields merged", func(env *Env) error {
				return env.Write(ctx, "test.track.order", []int64{order}, map[string]any{"name": "SO1c",
					"line_ids": []any{[]any{1, line, map[string]any{"qty": 7}}}})
			}, []string{
				fmt.Sprintf("test.track.order %d name: SO1b -> SO1c", order),
				fmt.Sprintf("test.track.order %d total: 5 -> 7", order),
			}, false},
			{"two writes, two reports", func(env *Env) error {
				if err := env.Write(ctx, "test.track.order", []int64{order}, map[string]any{"name": "tmp"}); err != nil {
					return err
				}
				return env.Write(ctx, "test.track.order", []int64{order}, map[string]any{"name": "SO1c"})
			}, []string{fmt.Sprintf("test.track.order %d name: SO1c -> tmp", order), fmt.Sprintf("test.track.order %d name: tmp -> SO1c", order)}, false},
			{"refused write: nothing", func(env *Env) error {
				return env.Write(ctx, "test.track.order", []int64{order}, map[string]any{"name": "never",
					"line_ids": []any{[]any{1, line, map[string]any{"qty": -1}}}})
			}, nil, true},
			{"deleting a line", func(env *Env) error {
				return env.Unlink(ctx, "test.track.line", []int64{line})
			}, []string{fmt.Sprintf("test.track.order %d total: 7 -> 0", order)}, false},
		}
		for _, c := range cases {
			log.lines, log.calls = nil, 0
			err := run(c.op)
			if (err != nil) != c.wantErr {
				t.Fatalf("%s: error %v", c.name, err)
			}
			if strings.Join(log.lines, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("%s: tracked\n%s\nwant\n%s", c.name, strings.Join(log.lines, "\n"), strings.Join(c.want, "\n"))
			}
		}
		// A failing tracker undoes the change it was told about, and its own writes.
		log.lines, log.fail = nil, errors.New("history unavailable")
		err := run(func(env *Env) error {
			return env.Write(ctx, "test.track.partner", []int64{p1}, map[string]any{"name": "Changed"})
		})
		if err == nil || !strings.Contains(err.Error(), "history unavailable") {
			t.Fatalf("failing tracker: %v", err)
		}
		log.fail = nil
		if err := run(func(env *Env) error {
			recs, err := env.Read(ctx, "test.track.partner", []int64{p1}, []string{"name"})
			if err != nil {
				return err
			}
			if recs[0]["name"] != "Azure" {
				t.Errorf("name after a failing tracker: %v", recs[0]["name"])
			}
			n, err := env.SearchCount(ctx, "test.track.note", mustDomain([]any{[]any{"body", "ilike", "Changed"}}), SearchOptions{})
			if err != nil {
				return err
			}
			if n != 0 {
				t.Errorf("the failing tracker's note was kept")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTrackedDeclaration(t *testing.T) {
	for _, f := range []*Field{
		{Name: "x", Type: One2many, Comodel: "test.track.order", InverseName: "order_id", Tracked: true},
		{Name: "x", Type: Char, Related: "order_id.name", Tracked: true},
		{Name: "x", Type: Char, Secret: true, Tracked: true},
		{Name: "x", Type: Binary, Tracked: true},
	} {
		r := NewRegistry(Limits{})
		err := r.Define(&Model{Name: "test.track.bad", Fields: []*Field{f}})
		if err == nil {
			t.Errorf("tracked %s field (related %q, secret %v) was accepted", f.Type, f.Related, f.Secret)
		}
	}
}

func TestTrackByName(t *testing.T) {
	cases := []struct {
		model, field string
		ok           bool
	}{
		{"test.track.order", "note", true},
		{"test.track.order", "missing", false},
		{"test.track.missing", "note", false},
		{"test.track.order", "line_ids", false},
		{"test.track.order", "write_date", false},
	}
	if err := trackingRegistry(t, &trackLog{}).Track("test.track.order", "note"); err == nil {
		t.Fatal("Track on a frozen registry was accepted")
	}
	for _, c := range cases {
		r := NewRegistry(Limits{})
		for _, m := range []*Model{
			{Name: "test.track.order", Fields: []*Field{{Name: "note", Type: Text},
				{Name: "line_ids", Type: One2many, Comodel: "test.track.line", InverseName: "order_id"}}},
			{Name: "test.track.line", Fields: []*Field{{Name: "order_id", Type: Many2one, Comodel: "test.track.order"}}},
		} {
			if err := r.Define(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Track(c.model, c.field); err != nil {
			t.Fatal(err)
		}
		err := r.Freeze()
		if (err == nil) != c.ok {
			t.Errorf("track %s.%s: freeze error %v", c.model, c.field, err)
		}
		if c.ok {
			m, _ := r.Model(c.model)
			if f, _ := m.Field(c.field); !f.Tracked {
				t.Errorf("track %s.%s: not marked", c.model, c.field)
			}
		}
	}
}
