package orm

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// TrackedChange is one change of a Tracked field of one record. Old and New are
// in the form Read returns (a many2one is [id, name], an empty value false).
type TrackedChange struct {
	Field    *Field
	Old, New any
}

// TrackedRecord is a record whose Tracked fields changed during one operation.
type TrackedRecord struct {
	Model   *Model
	ID      int64
	Changes []TrackedChange // in the model's field order
}

// Tracker receives, at the end of every outermost Create or Write (and of the
// recomputations they caused), the records whose Tracked fields changed. It runs
// inside the same savepoint with the Env of the operation: its writes commit or
// roll back with the change itself, and an error from it undoes the operation.
type Tracker func(ctx context.Context, env *Env, records []TrackedRecord) error

// SetTracker installs the function that records changes of Tracked fields (the
// mail module's change history). There is one per registry.
func (r *Registry) SetTracker(t Tracker) error {
	if r.frozen {
		return fmt.Errorf("set tracker: the registry is frozen")
	}
	if r.tracker != nil {
		return fmt.Errorf("set tracker: a tracker is already installed")
	}
	r.tracker = t
	return nil
}

// Track marks fields of a model another module declared as Tracked (the mail
// module tracks the partner's name, say). The names are checked when the registry
// is frozen, so modules may name models registered after them.
func (r *Registry) Track(model string, fields ...string) error {
	if r.frozen {
		return fmt.Errorf("track %s: the registry is frozen", model)
	}
	r.trackLater = append(r.trackLater, trackRequest{model: model, fields: fields})
	return nil
}

type trackRequest struct {
	model  string
	fields []string
}

// resolveTracking applies Track requests.
func (r *Registry) resolveTracking() error {
	for _, req := range r.trackLater {
		m, ok := r.models[req.model]
		if !ok {
			return fmt.Errorf("track %s: no such model", req.model)
		}
		for _, name := range req.fields {
			f, ok := m.fields[name]
			if !ok {
				return fmt.Errorf("track %s.%s: no such field", req.model, name)
			}
			if !f.IsStored() || f.Secret || f.automatic {
				return fmt.Errorf("track %s.%s: only a stored, non-secret field can be tracked", req.model, name)
			}
			f.Tracked = true
		}
	}
	return nil
}

// tracking collects, over one outermost operation, the values Tracked fields had
// before it touched them. Env copies (Sudo) share it, so a recomputation or a
// nested create feeds the same buffer and the change is reported once.
type tracking struct {
	depth int
	// old[model][id][field] is the value first seen before a change.
	old map[*Model]map[int64]map[*Field]any
	// fresh are the records created during the operation: their first values
	// are not changes.
	fresh map[*Model]map[int64]bool
	// watching holds the end functions of the watches begun during the
	// operation; ending is set while they run.
	watching map[*Watch]func(context.Context, *Env) error
	ending   bool
}

func (e *Env) tracks(m *Model) bool {
	if e.reg.tracker == nil {
		return false
	}
	for _, f := range m.Fields {
		if f.Tracked {
			return true
		}
	}
	return false
}

// tracked wraps the body of a Create, Write or Unlink (run inside its savepoint):
// leaving the outermost operation reports the changes; a failed one drops its
// snapshots with it when it was the outermost (the savepoint undid the changes).
func (e *Env) tracked(ctx context.Context, fn func() error) func() error {
	return func() error {
		e.trk.depth++
		if err := fn(); err != nil {
			e.trk.depth--
			if e.trk.depth == 0 {
				e.trk.old, e.trk.fresh, e.trk.watching = nil, nil, nil
			}
			return err
		}
		return e.trackEnd(ctx)
	}
}

// trackCreated notes records the operation created.
func (e *Env) trackCreated(m *Model, ids []int64) {
	if !e.tracks(m) {
		return
	}
	if e.trk.fresh == nil {
		e.trk.fresh = map[*Model]map[int64]bool{}
	}
	set := e.trk.fresh[m]
	if set == nil {
		set = map[int64]bool{}
		e.trk.fresh[m] = set
	}
	for _, id := range ids {
		set[id] = true
	}
}

// trackBefore snapshots the current values of the tracked fields among fields
// for ids, unless already taken during this operation or the records are new.
func (e *Env) trackBefore(ctx context.Context, m *Model, ids []int64, fields []*Field) error {
	if e.reg.tracker == nil {
		return nil
	}
	var want []*Field
	for _, f := range fields {
		if f.Tracked {
			want = append(want, f)
		}
	}
	if len(want) == 0 {
		return nil
	}
	byID := e.trk.old[m]
	var need []int64
	for _, id := range ids {
		if e.trk.fresh[m][id] {
			continue
		}
		for _, f := range want {
			if _, seen := byID[id][f]; !seen {
				need = append(need, id)
				break
			}
		}
	}
	if len(need) == 0 {
		return nil
	}
	rows, err := e.trackRead(ctx, m, need, want)
	if err != nil {
		return err
	}
	if e.trk.old == nil {
		e.trk.old = map[*Model]map[int64]map[*Field]any{}
	}
	if byID == nil {
		byID = map[int64]map[*Field]any{}
		e.trk.old[m] = byID
	}
	for id, row := range rows {
		vals := byID[id]
		if vals == nil {
			vals = map[*Field]any{}
			byID[id] = vals
		}
		for _, f := range want {
			if _, seen := vals[f]; !seen {
				vals[f] = row[f.Name]
			}
		}
	}
	return nil
}

// trackEnd leaves an operation. Leaving the outermost one compares the snapshots
// with the values now stored and hands the differences to the tracker.
func (e *Env) trackEnd(ctx context.Context) error {
	e.trk.depth--
	if e.trk.depth > 0 {
		return nil
	}
	if err := e.watchEnd(ctx); err != nil {
		e.trk.old, e.trk.fresh = nil, nil
		return err
	}
	old := e.trk.old
	e.trk.old, e.trk.fresh = nil, nil
	if len(old) == 0 {
		return nil
	}
	models := make([]*Model, 0, len(old))
	for m := range old {
		models = append(models, m)
	}
	slices.SortFunc(models, func(a, b *Model) int { return cmp.Compare(a.Name, b.Name) })
	var out []TrackedRecord
	for _, m := range models {
		byID := old[m]
		ids := make([]int64, 0, len(byID))
		var fields []*Field
		for id, vals := range byID {
			ids = append(ids, id)
			for f := range vals {
				if !slices.Contains(fields, f) {
					fields = append(fields, f)
				}
			}
		}
		slices.Sort(ids)
		// Records deleted meanwhile are simply absent.
		rows, err := e.trackRead(ctx, m, ids, fields)
		if err != nil {
			return err
		}
		for _, id := range ids {
			row, ok := rows[id]
			if !ok {
				continue
			}
			rec := TrackedRecord{Model: m, ID: id}
			for _, f := range m.Fields {
				before, ok := byID[id][f]
				if !ok || sameValue(before, row[f.Name]) {
					continue
				}
				rec.Changes = append(rec.Changes, TrackedChange{Field: f, Old: before, New: row[f.Name]})
			}
			if len(rec.Changes) > 0 {
				out = append(out, rec)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	// The tracker's own creates are operations too; they start from a clean buffer.
	e.trk.depth++
	err := e.reg.tracker(ctx, e, out)
	e.trk.depth--
	e.trk.old, e.trk.fresh = nil, nil
	if err != nil {
		return fmt.Errorf("track changes: %w", err)
	}
	return nil
}

// trackRead reads stored fields as the system, many2ones named, in the form Read
// returns them; missing records are absent from the result.
func (e *Env) trackRead(ctx context.Context, m *Model, ids []int64, fields []*Field) (map[int64]map[string]any, error) {
	su := e.Sudo()
	rows, err := su.readRows(ctx, m, ids, fields)
	if err != nil {
		return nil, fmt.Errorf("track %s: %w", m.Name, err)
	}
	present := make([]int64, 0, len(rows))
	for _, id := range ids {
		if _, ok := rows[id]; ok {
			present = append(present, id)
		}
	}
	if err := su.nameMany2ones(ctx, fields, present, rows); err != nil {
		return nil, fmt.Errorf("track %s: %w", m.Name, err)
	}
	return rows, nil
}

// sameValue compares two values as Read returns them.
func sameValue(a, b any) bool {
	pa, okA := a.([]any)
	pb, okB := b.([]any)
	if okA || okB {
		if !okA || !okB || len(pa) == 0 || len(pb) == 0 {
			return okA == okB && len(pa) == len(pb)
		}
		return pa[0] == pb[0]
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}
