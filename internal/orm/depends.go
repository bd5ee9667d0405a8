package orm

import (
	"fmt"
	"strings"
)

// reverseDep records that a stored computed field depends on a field of another
// (or the same) model: when trigger changes on the model holding the reverseDep,
// field is recomputed on the records reached back through steps.
type reverseDep struct {
	trigger string
	field   *Field   // the stored computed field
	steps   []*Field // relational fields from field's model to the changed model
}

// resolveDependencies checks Depends of stored computed fields and indexes them
// by the model and field whose change triggers a recomputation.
func (r *Registry) resolveDependencies() error {
	for _, m := range r.Models() {
		for _, f := range m.Fields {
			if f.Compute == nil || !f.Store {
				continue
			}
			for _, dep := range f.Depends {
				if err := r.indexDependency(m, f, dep); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (r *Registry) indexDependency(m *Model, f *Field, dep string) error {
	parts := strings.Split(dep, ".")
	cur := m
	var steps []*Field
	for i, name := range parts {
		step, ok := cur.fields[name]
		if !ok {
			return fmt.Errorf("field %s.%s depends on %q: %s has no field %s", m.Name, f.Name, dep, cur.Name, name)
		}
		if step == f && i == 0 {
			return fmt.Errorf("field %s.%s depends on itself", m.Name, f.Name)
		}
		trigger := name
		if step.Related != "" {
			// A related field changes when the first field of its path does.
			trigger = step.related[0].Name
		}
		cur.reverse = append(cur.reverse, reverseDep{trigger: trigger, field: f, steps: append([]*Field(nil), steps...)})
		f.inputs = append(f.inputs, cur.fields[trigger])
		if step.Type == One2many {
			// Moving a line to another parent changes both parents.
			co := r.models[step.Comodel]
			co.reverse = append(co.reverse, reverseDep{trigger: step.InverseName, field: f, steps: append(append([]*Field(nil), steps...), step)})
			f.inputs = append(f.inputs, co.fields[step.InverseName])
		}
		if i == len(parts)-1 {
			break
		}
		if !step.IsRelational() {
			return fmt.Errorf("field %s.%s depends on %q: %s is not relational", m.Name, f.Name, dep, name)
		}
		steps = append(steps, step)
		cur = r.models[step.Comodel]
	}
	return nil
}
