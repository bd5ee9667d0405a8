package orm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/instant-erp/instanterp/internal/store"
)

// preparedVals is the validated form of a vals mapping: column parameters for
// stored fields and parsed commands for x2many fields.
type preparedVals struct {
	cols     []*Field
	params   []any
	commands map[*Field][]command
	changed  map[string]bool
	// binaries are new contents of binary fields (nil clears one).
	binaries map[*Field][]byte
}

// prepareVals checks every key of vals (the field must exist, be writable and be
// allowed to the user) and converts the values. Many2one targets must exist and,
// for a user, be visible: linking a record one cannot see would leak its name.
func (e *Env) prepareVals(ctx context.Context, m *Model, vals map[string]any, op string) (*preparedVals, error) {
	p, err := e.convertVals(ctx, m, vals, op)
	if err != nil {
		return nil, err
	}
	if op != opCreate {
		if err := e.checkMany2oneTargets(ctx, m, []*preparedVals{p}); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// convertVals is prepareVals without the check of many2one targets, for a
// caller that checks those of a whole batch at once.
func (e *Env) convertVals(ctx context.Context, m *Model, vals map[string]any, op string) (*preparedVals, error) {
	if len(vals) > len(m.fields) {
		return nil, validationf(m.Name, "", "%d values given; the model has %d fields", len(vals), len(m.fields))
	}
	p := &preparedVals{commands: map[*Field][]command{}, changed: map[string]bool{}, binaries: map[*Field][]byte{}}
	var contentCols []*Field
	var contentParams []any
	if m.Name == attachmentModel {
		var err error
		if vals, contentCols, contentParams, err = e.attachmentVals(m, vals); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(vals))
	for name := range vals {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic column order and error messages
	for _, name := range names {
		v := vals[name]
		f, ok := m.fields[name]
		if !ok {
			return nil, validationf(m.Name, "", "invalid field %q", clip(name))
		}
		if f.automatic || f.Name == "id" || f.Related != "" || f.Compute != nil {
			return nil, validationf(m.Name, f.Name, "the field is computed and cannot be written")
		}
		if f.Readonly && !e.su {
			return nil, validationf(m.Name, f.Name, "the field is read-only")
		}
		if f.Secret && !e.su {
			return nil, &AccessError{Model: m.Name, Operation: op, Field: f.Name, reason: "secret fields are set by their own procedure"}
		}
		if err := e.checkField(ctx, f, op); err != nil {
			return nil, err
		}
		p.changed[f.Name] = true
		if f.IsX2Many() {
			cmds, err := parseCommands(f, v, e.reg.limits.MaxLimit)
			if err != nil {
				return nil, err
			}
			p.commands[f] = cmds
			continue
		}
		if f.Type == Binary {
			data, err := e.decodeBinary(f, v)
			if err != nil {
				return nil, err
			}
			if data != nil {
				if err := e.needFilestore(m, f); err != nil {
					return nil, err
				}
			}
			p.binaries[f] = data
			continue
		}
		param, err := e.d.toColumn(f, v)
		if err != nil {
			return nil, err
		}
		if f.Required && param == nil {
			return nil, validationf(m.Name, f.Name, "the field is required")
		}
		p.cols = append(p.cols, f)
		p.params = append(p.params, param)
	}
	for i, f := range contentCols {
		p.cols = append(p.cols, f)
		p.params = append(p.params, contentParams[i])
		p.changed[f.Name] = true
	}
	return p, nil
}

// linkCheckChunk bounds the ids checked by one query.
const linkCheckChunk = 1000

// checkMany2oneTargets verifies, once per field for a whole batch, that the
// records the many2one values point to exist and that the user may read them:
// linking a record one cannot see would leak its name.
func (e *Env) checkMany2oneTargets(ctx context.Context, m *Model, batch []*preparedVals) error {
	targets := map[*Field][]int64{}
	seen := map[*Field]map[int64]bool{}
	for _, p := range batch {
		for i, f := range p.cols {
			id, ok := p.params[i].(int64)
			if f.Type != Many2one || !ok {
				continue
			}
			if seen[f] == nil {
				seen[f] = map[int64]bool{}
			}
			if !seen[f][id] {
				seen[f][id] = true
				targets[f] = append(targets[f], id)
			}
		}
	}
	for _, f := range m.Fields {
		ids := targets[f]
		for start := 0; start < len(ids); start += linkCheckChunk {
			end := min(start+linkCheckChunk, len(ids))
			if err := e.checkLinkable(ctx, e.reg.models[f.Comodel], ids[start:end]); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLinkable verifies that records about to be linked exist and that the user
// may read them.
func (e *Env) checkLinkable(ctx context.Context, co *Model, ids []int64) error {
	ids, err := uniqueIDs(co.Name, ids)
	if err != nil {
		return err
	}
	return e.checkRules(ctx, co, ids, opRead)
}

// addDefaults fills the stored fields vals does not mention from their defaults.
func (e *Env) addDefaults(ctx context.Context, m *Model, vals map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(vals)+4)
	for k, v := range vals {
		out[k] = v
	}
	for _, f := range m.Fields {
		if _, given := out[f.Name]; given || f.automatic || f.Compute != nil || f.Related != "" {
			continue
		}
		switch {
		case f.Default != nil:
			out[f.Name] = f.Default
		case f.DefaultFunc != nil || f.DefaultFor != nil:
			var v any
			var err error
			if f.DefaultFunc != nil {
				v, err = f.DefaultFunc(ctx, e)
			} else {
				v, err = f.DefaultFor(ctx, e, out)
			}
			if err != nil {
				return nil, fmt.Errorf("default of %s.%s: %w", m.Name, f.Name, err)
			}
			if v != nil {
				out[f.Name] = v
			}
		case f.defaultProgram != nil:
			v, err := e.evalDefault(ctx, f)
			if err != nil {
				return nil, err
			}
			if v != nil {
				out[f.Name] = v
			}
		}
	}
	return out, nil
}

// dbError turns constraint failures reported by the database into errors a user
// can act on; other errors are wrapped with the operation.
func (e *Env) dbError(m *Model, what string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if store.IsUniqueViolation(err) {
		for _, c := range m.SQLConstraints {
			if strings.Contains(msg, constraintName(m.Table, c.Name, "")) || strings.Contains(msg, m.Table+"."+strings.Join(c.Fields, ", "+m.Table+".")) {
				text := c.Message
				if text == "" {
					text = fmt.Sprintf("the value of %s must be unique", strings.Join(c.Fields, ", "))
				}
				return &ValidationError{Model: m.Name, Message: text}
			}
		}
		return &ValidationError{Model: m.Name, Message: "a record with the same unique values already exists"}
	}
	if store.PostgresCode(err) == "23503" || strings.Contains(msg, "FOREIGN KEY constraint failed") {
		if what == opUnlink {
			return &UserError{Message: fmt.Sprintf("the %s records cannot be deleted because other records still refer to them; archive them or delete those records first", m.Name)}
		}
		return &ValidationError{Model: m.Name, Message: "a referenced record does not exist"}
	}
	if store.PostgresCode(err) == "23502" || strings.Contains(msg, "NOT NULL constraint failed") {
		return &ValidationError{Model: m.Name, Message: "a required field is empty"}
	}
	return fmt.Errorf("%s %s: %w", what, m.Name, err)
}
