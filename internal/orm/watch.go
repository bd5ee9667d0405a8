package orm

import (
	"context"
	"fmt"
	"slices"
)

// Watch lets a module compare the database before and after any operation that
// changes some fields of some models or deletes their records, however the
// change is reached: directly, through x2many commands of another model, or as
// the system. The base module ends the sessions of users who lose a group this
// way, whether the group was changed in the web UI or over the API.
type Watch struct {
	Name string
	// Fields lists, per model, the fields whose change the watch sees. Deleting
	// records of a listed model is seen too.
	Fields map[string][]string
	// Begin runs, as the system, before the first change seen during one outermost
	// Create, Write or Unlink, inside its savepoint. The function it returns runs,
	// as the system, once that operation has made every change (before the change
	// history is recorded); an error from either undoes the operation. What the
	// end function itself changes is part of the operation and seen by no watch.
	Begin func(ctx context.Context, env *Env) (end func(ctx context.Context, env *Env) error, err error)
}

// AddWatch installs a watch. Its models and fields are checked when the registry
// is frozen, so a module may name fields another module adds later.
func (r *Registry) AddWatch(w Watch) error {
	if r.frozen {
		return fmt.Errorf("add watch %s: the registry is frozen", w.Name)
	}
	if w.Begin == nil || len(w.Fields) == 0 {
		return fmt.Errorf("add watch %s: it needs fields and a Begin function", w.Name)
	}
	r.watches = append(r.watches, &w)
	return nil
}

// resolveWatches checks the fields the watches name.
func (r *Registry) resolveWatches() error {
	for _, w := range r.watches {
		for model, fields := range w.Fields {
			m, ok := r.models[model]
			if !ok {
				return fmt.Errorf("watch %s: no model %s", w.Name, model)
			}
			for _, name := range fields {
				if _, ok := m.fields[name]; !ok {
					return fmt.Errorf("watch %s: no field %s.%s", w.Name, model, name)
				}
			}
		}
	}
	return nil
}

// watchBegin starts, for the change about to be made to m (the fields changed,
// or every record's fields when deleting), the watches that see it and have not
// begun during this outermost operation.
func (e *Env) watchBegin(ctx context.Context, m *Model, changed map[string]bool, deleting bool) error {
	for _, w := range e.reg.watches {
		fields, ok := w.Fields[m.Name]
		if !ok || e.trk.ending || e.trk.watching[w] != nil {
			continue
		}
		if !deleting && !slices.ContainsFunc(fields, func(f string) bool { return changed[f] }) {
			continue
		}
		end, err := w.Begin(ctx, e.Sudo())
		if err != nil {
			return fmt.Errorf("watch %s: %w", w.Name, err)
		}
		if e.trk.watching == nil {
			e.trk.watching = map[*Watch]func(context.Context, *Env) error{}
		}
		e.trk.watching[w] = end
	}
	return nil
}

// watchEnd runs the end of every watch begun during the outermost operation now
// ending, in the order the watches were installed.
func (e *Env) watchEnd(ctx context.Context) error {
	watching := e.trk.watching
	e.trk.watching = nil
	if len(watching) == 0 {
		return nil
	}
	// What an end function changes belongs to the operation ending: its
	// changes join the change history reported next, and no watch sees them.
	e.trk.depth++
	e.trk.ending = true
	defer func() { e.trk.depth--; e.trk.ending = false }()
	for _, w := range e.reg.watches {
		if end := watching[w]; end != nil {
			if err := end(ctx, e.Sudo()); err != nil {
				return fmt.Errorf("watch %s: %w", w.Name, err)
			}
		}
	}
	return nil
}
