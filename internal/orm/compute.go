package orm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// pending lists stored computed fields to recompute and for which records.
type pending map[*Field]map[int64]bool

func (p pending) add(f *Field, ids []int64) {
	if len(ids) == 0 {
		return
	}
	set := p[f]
	if set == nil {
		set = map[int64]bool{}
		p[f] = set
	}
	for _, id := range ids {
		set[id] = true
	}
}

func (p pending) merge(o pending) {
	for f, set := range o {
		for id := range set {
			p.add(f, []int64{id})
		}
	}
}

// maxRecomputeRounds bounds chains of stored computed fields depending on each other.
const maxRecomputeRounds = 8

// dependents finds the stored computed fields (of any model) that depend on the
// changed fields of these records of m; changed nil means every field.
func (e *Env) dependents(ctx context.Context, m *Model, ids []int64, changed map[string]bool) (pending, error) {
	out := pending{}
	// Many fields depend on the same path (an order's totals on its lines):
	// each path is walked once. Nothing is written meanwhile, so the walks hold.
	walked := map[string][]int64{}
	for _, rd := range m.reverse {
		if changed != nil && !changed[rd.trigger] {
			continue
		}
		key := pathKey(rd.steps)
		targets, ok := walked[key]
		if !ok {
			var err error
			if targets, err = e.walkBack(ctx, rd.steps, ids); err != nil {
				return nil, err
			}
			walked[key] = targets
		}
		out.add(rd.field, targets)
	}
	return out, nil
}

// pathKey identifies a path of relational fields.
func pathKey(steps []*Field) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(s.model.Name)
		b.WriteByte('.')
		b.WriteString(s.Name)
		b.WriteByte('/')
	}
	return b.String()
}

// walkBack maps ids of the last model of steps to the ids of the first one.
func (e *Env) walkBack(ctx context.Context, steps []*Field, ids []int64) ([]int64, error) {
	cur := ids
	for i := len(steps) - 1; i >= 0 && len(cur) > 0; i-- {
		s := steps[i]
		var q string
		switch s.Type {
		case Many2one:
			q = fmt.Sprintf(`SELECT "id" FROM %s WHERE %s IN (%s)`, quote(s.model.Table), quote(s.Name), placeholders(len(cur)))
		case One2many:
			co := e.reg.models[s.Comodel]
			q = fmt.Sprintf(`SELECT DISTINCT %s FROM %s WHERE "id" IN (%s) AND %s IS NOT NULL`, quote(s.InverseName), quote(co.Table), placeholders(len(cur)), quote(s.InverseName))
		case Many2many:
			q = fmt.Sprintf(`SELECT DISTINCT %s FROM %s WHERE %s IN (%s)`, quote(s.Column1), quote(s.Relation), quote(s.Column2), placeholders(len(cur)))
		}
		next, err := e.queryIDs(ctx, q, int64Args(cur)...)
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur, nil
}

// afterChange recomputes what depends on a create (changed nil) or a write.
func (e *Env) afterChange(ctx context.Context, m *Model, ids []int64, changed map[string]bool, before pending) error {
	p := pending{}
	p.merge(before)
	if changed == nil {
		p.merge(storedComputed(m, ids))
	}
	after, err := e.dependents(ctx, m, ids, changed)
	if err != nil {
		return err
	}
	p.merge(after)
	return e.recompute(ctx, p, 0)
}

// recompute computes and stores the pending fields, then what depends on them.
func (e *Env) recompute(ctx context.Context, p pending, round int) error {
	p.dropLater(ctx)
	if len(p) == 0 {
		return nil
	}
	if round >= maxRecomputeRounds {
		return fmt.Errorf("stored computed fields depend on each other more than %d levels deep", maxRecomputeRounds)
	}
	fields := make([]*Field, 0, len(p))
	for f := range p {
		fields = append(fields, f)
	}
	slices.SortFunc(fields, func(a, b *Field) int {
		return strings.Compare(a.model.Name+"."+a.Name, b.model.Name+"."+b.Name)
	})
	waiting := p.waiting()
	su := e.Sudo()
	// The round's memo: sibling fields computed by one computation share it
	// (ComputeOnce), and the records of a model are looked up once per id set.
	// The round deletes nothing, and the stores it makes are the fields being
	// computed, which their computations do not read.
	rctx := context.WithValue(ctx, roundKey{}, &roundMemo{values: map[string]any{}})
	existing := map[string][]int64{}
	type stored struct {
		model   *Model
		ids     []int64
		changed map[string]bool
	}
	var done []*stored
	byIDs := map[string]*stored{}
	next := pending{}
	for _, f := range fields {
		want := make([]int64, 0, len(p[f]))
		for id := range p[f] {
			want = append(want, id)
		}
		slices.Sort(want)
		key := f.model.Table + idsKey(want)
		ids, ok := existing[key]
		if round > 0 {
			// These records were found, through foreign keys, after the
			// previous round stored its values, and a round deletes nothing.
			// Those of the first round may have been deleted since.
			ids, ok = want, true
		}
		if !ok {
			in, inArgs := idsIn(`"id"`, want)
			var err error
			if ids, err = e.queryIDs(ctx, fmt.Sprintf(`SELECT "id" FROM %s WHERE %s`, quote(f.model.Table), in), inArgs...); err != nil {
				return err
			}
			existing[key] = ids
		}
		if len(ids) == 0 {
			continue
		}
		if waiting[f] {
			next.add(f, ids)
			continue
		}
		vals, err := f.Compute(rctx, su, ids)
		if err != nil {
			return fmt.Errorf("compute %s.%s: %w", f.model.Name, f.Name, err)
		}
		if err := e.storeComputed(ctx, f, ids, vals); err != nil {
			return err
		}
		k := f.model.Name + idsKey(ids)
		if s := byIDs[k]; s != nil {
			s.changed[f.Name] = true
		} else {
			s = &stored{model: f.model, ids: ids, changed: map[string]bool{f.Name: true}}
			byIDs[k] = s
			done = append(done, s)
		}
	}
	// What depends on the round's fields is looked for once the round is stored,
	// once per model and records: paths shared by several fields are walked once.
	for _, s := range done {
		deps, err := e.dependents(ctx, s.model, s.ids, s.changed)
		if err != nil {
			return err
		}
		next.merge(deps)
	}
	return e.recompute(ctx, next, round+1)
}

// waiting picks the pending fields that read another pending field: they are
// computed in the next round, once what they read is stored, rather than now
// from stale values and again after (an order's totals wait for the amounts of
// its new lines). If every field waits on another, none does: a cycle is
// computed as it comes.
func (p pending) waiting() map[*Field]bool {
	out := map[*Field]bool{}
	for f := range p {
		for _, in := range f.inputs {
			if in != f && p[in] != nil {
				out[f] = true
				break
			}
		}
	}
	if len(out) == len(p) {
		return nil
	}
	return out
}

// laterKey is the context key of what enclosing operations compute later.
type laterKey struct{}

// later is, in the context of the x2many commands of a create or a write, the
// stored computed fields that operation computes itself once its commands are
// done: those of the records it creates, or those its write makes stale. What
// the commands change (new lines, say) leaves them to it rather than computing
// them before and again after. outer is what an enclosing operation computes.
type later struct {
	outer *later
	p     pending
}

// computedLater returns ctx for the commands of an operation that computes p
// after them.
func computedLater(ctx context.Context, p pending) context.Context {
	l := &later{p: p}
	l.outer, _ = ctx.Value(laterKey{}).(*later)
	return context.WithValue(ctx, laterKey{}, l)
}

// dropLater removes from p what enclosing operations compute later (ctx).
func (p pending) dropLater(ctx context.Context) {
	for l, _ := ctx.Value(laterKey{}).(*later); l != nil; l = l.outer {
		for f, set := range l.p {
			mine := p[f]
			if mine == nil {
				continue
			}
			for id := range set {
				delete(mine, id)
			}
			if len(mine) == 0 {
				delete(p, f)
			}
		}
	}
}

// storedComputed lists every stored computed field of m for ids, as a create
// computes them.
func storedComputed(m *Model, ids []int64) pending {
	p := pending{}
	for _, f := range m.Fields {
		if f.Compute != nil && f.Store {
			p.add(f, ids)
		}
	}
	return p
}

// idsKey identifies a list of ids.
func idsKey(ids []int64) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteByte(',')
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

type roundKey struct{}

// roundMemo holds the results of ComputeOnce for one round of recomputation.
type roundMemo struct {
	values map[string]any
}

// ComputeOnce returns the result of fn for key and ids, computed once per round
// of recomputation: stored fields computed from the same pass over their
// records (an order's untaxed amount, tax and total) each call it with the same
// key, and the pass runs once for all of them. fn must not read any of the
// fields sharing it, since they are stored one after the other. Outside a
// recomputation (a field computed on read) it just calls fn.
func ComputeOnce[T any](ctx context.Context, key string, ids []int64, fn func() (T, error)) (T, error) {
	m, ok := ctx.Value(roundKey{}).(*roundMemo)
	if !ok {
		return fn()
	}
	k := key + idsKey(ids)
	if v, ok := m.values[k]; ok {
		return v.(T), nil
	}
	v, err := fn()
	if err == nil {
		m.values[k] = v
	}
	return v, err
}

// storeComputed writes computed values, one UPDATE per distinct value: many
// records share theirs (a flag, a company), so a batch costs few statements.
func (e *Env) storeComputed(ctx context.Context, f *Field, ids []int64, vals map[int64]any) error {
	if err := e.trackBefore(ctx, f.model, ids, []*Field{f}); err != nil {
		return err
	}
	type group struct {
		param any
		ids   []int64
	}
	var groups []*group
	byValue := map[any]*group{}
	for _, id := range ids {
		param, err := e.d.toColumn(f, vals[id])
		if err != nil {
			return fmt.Errorf("compute %s.%s: %w", f.model.Name, f.Name, err)
		}
		key := param
		switch param.(type) {
		case nil, bool, int64, float64, string:
		default:
			key = new(int) // not comparable as a map key: a group of its own
		}
		g := byValue[key]
		if g == nil {
			g = &group{param: param}
			byValue[key] = g
			groups = append(groups, g)
		}
		g.ids = append(g.ids, id)
	}
	if len(groups) > 1 && f.Type != Binary {
		return e.storeEach(ctx, f, ids, vals)
	}
	for _, g := range groups {
		for start := 0; start < len(g.ids); start += linkCheckChunk {
			end := min(start+linkCheckChunk, len(g.ids))
			q := fmt.Sprintf(`UPDATE %s SET %s = ? WHERE "id" IN (%s)`, quote(f.model.Table), quote(f.Name), placeholders(end-start))
			if _, err := e.exec(ctx, q, append([]any{g.param}, int64Args(g.ids[start:end])...)...); err != nil {
				return e.dbError(f.model, opWrite, err)
			}
		}
	}
	return nil
}

// storeEach writes records' own computed values (amounts of lines, say) with
// one UPDATE choosing each record's value by its id.
func (e *Env) storeEach(ctx context.Context, f *Field, ids []int64, vals map[int64]any) error {
	value := e.d.typedParam(f)
	per := min(linkCheckChunk, e.d.maxParams()/3)
	for start := 0; start < len(ids); start += per {
		chunk := ids[start:min(start+per, len(ids))]
		var q strings.Builder
		fmt.Fprintf(&q, `UPDATE %s SET %s = CASE "id"`, quote(f.model.Table), quote(f.Name))
		args := make([]any, 0, 3*len(chunk))
		for _, id := range chunk {
			param, err := e.d.toColumn(f, vals[id])
			if err != nil {
				return fmt.Errorf("compute %s.%s: %w", f.model.Name, f.Name, err)
			}
			q.WriteString(" WHEN ? THEN " + value)
			args = append(args, id, param)
		}
		fmt.Fprintf(&q, ` END WHERE "id" IN (%s)`, placeholders(len(chunk)))
		args = append(args, int64Args(chunk)...)
		if _, err := e.exec(ctx, q.String(), args...); err != nil {
			return e.dbError(f.model, opWrite, err)
		}
	}
	return nil
}

// runChecks runs the model's Go constraints concerned by the change (all of them
// after a create). They see every record (Sudo): integrity is not a matter of access.
func (e *Env) runChecks(ctx context.Context, m *Model, ids []int64, changed map[string]bool) error {
	for _, c := range m.Checks {
		concerned := changed == nil || len(c.Fields) == 0
		for _, name := range c.Fields {
			if changed[name] {
				concerned = true
			}
		}
		if !concerned {
			continue
		}
		if err := c.Func(ctx, e.Sudo(), ids); err != nil {
			var (
				ve *ValidationError
				ue *UserError
				ae *AccessError
				me *MissingError
			)
			if errors.As(err, &ve) || errors.As(err, &ue) || errors.As(err, &ae) || errors.As(err, &me) {
				return err
			}
			return &ValidationError{Model: m.Name, Message: fmt.Sprintf("constraint %s: %v", c.Name, err)}
		}
	}
	return nil
}
