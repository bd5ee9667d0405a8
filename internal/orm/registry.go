package orm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
)

// Limits bound what one operation may ask for.
type Limits struct {
	// MaxLimit caps the limit of a search and the number of records one read returns.
	MaxLimit int
	// MaxCreateBatch caps the records one Create call may make.
	MaxCreateBatch int
	// MaxCommandDepth caps how deep x2many commands may nest (create inside create…).
	MaxCommandDepth int
	// MaxBinaryBytes caps the content of one binary value or attachment.
	MaxBinaryBytes int64
	// Domain bounds domains given to searches.
	Domain domain.Limits
}

// DefaultLimits returns the limits used when a registry is built with zero Limits.
func DefaultLimits() Limits {
	return Limits{MaxLimit: 10000, MaxCreateBatch: 10000, MaxCommandDepth: 4, MaxBinaryBytes: 25 << 20, Domain: domain.DefaultLimits()}
}

// Registry holds the models of one installation. Modules Define and Extend models,
// then Freeze makes it immutable and safe to share between goroutines.
type Registry struct {
	models map[string]*Model
	order  []string
	frozen bool
	limits Limits
	// tracker records changes of Tracked fields (see SetTracker).
	tracker    Tracker
	trackLater []trackRequest
	// watches see changes of some fields (see AddWatch).
	watches []*Watch
}

// NewRegistry returns a registry holding the models the access layer itself needs
// (ir.model, ir.model.access, ir.rule, res.groups).
func NewRegistry(limits Limits) *Registry {
	d := DefaultLimits()
	if limits.MaxLimit <= 0 {
		limits.MaxLimit = d.MaxLimit
	}
	if limits.MaxCreateBatch <= 0 {
		limits.MaxCreateBatch = d.MaxCreateBatch
	}
	if limits.MaxCommandDepth <= 0 {
		limits.MaxCommandDepth = d.MaxCommandDepth
	}
	if limits.MaxBinaryBytes <= 0 {
		limits.MaxBinaryBytes = d.MaxBinaryBytes
	}
	r := &Registry{models: map[string]*Model{}, limits: limits}
	for _, m := range coreModels() {
		if err := r.Define(m); err != nil {
			panic("orm: core model invalid: " + err.Error())
		}
	}
	return r
}

// Limits returns the registry's limits.
func (r *Registry) Limits() Limits { return r.limits }

// Define adds a model. The registry takes ownership of m.
func (r *Registry) Define(m *Model) error {
	if r.frozen {
		return fmt.Errorf("define %s: the registry is frozen", m.Name)
	}
	if err := checkModelName(m.Name); err != nil {
		return err
	}
	if _, dup := r.models[m.Name]; dup {
		return fmt.Errorf("model %s is defined twice; use Extend to add fields", m.Name)
	}
	if m.Table == "" {
		m.Table = tableName(m.Name)
	}
	if err := checkFieldName(m.Table); err != nil {
		return fmt.Errorf("model %s table: %w", m.Name, err)
	}
	for _, other := range r.models {
		if other.Table == m.Table {
			return fmt.Errorf("model %s uses table %s of model %s", m.Name, m.Table, other.Name)
		}
	}
	m.fields = map[string]*Field{}
	m.fieldOrder = nil
	fields := m.Fields
	m.Fields = nil
	if err := r.addFields(m, fields); err != nil {
		return err
	}
	r.models[m.Name] = m
	r.order = append(r.order, m.Name)
	return nil
}

// Extend adds fields to a model another module defined.
func (r *Registry) Extend(model string, fields ...*Field) error {
	if r.frozen {
		return fmt.Errorf("extend %s: the registry is frozen", model)
	}
	m, ok := r.models[model]
	if !ok {
		return fmt.Errorf("extend %s: no such model", model)
	}
	return r.addFields(m, fields)
}

// AddUnlinkCheck protects records of a model another module defined from being
// deleted by users (see Model.UnlinkChecks).
func (r *Registry) AddUnlinkCheck(model string, c Check) error {
	if r.frozen {
		return fmt.Errorf("add unlink check to %s: the registry is frozen", model)
	}
	m, ok := r.models[model]
	if !ok {
		return fmt.Errorf("add unlink check to %s: no such model", model)
	}
	if c.Name == "" || c.Func == nil {
		return fmt.Errorf("add unlink check to %s: a name and a function are required", model)
	}
	m.UnlinkChecks = append(m.UnlinkChecks, c)
	return nil
}

// AddMethods exports more methods of a model defined by another module.
func (r *Registry) AddMethods(model string, methods map[string]Method) error {
	if r.frozen {
		return fmt.Errorf("add methods to %s: the registry is frozen", model)
	}
	m, ok := r.models[model]
	if !ok {
		return fmt.Errorf("add methods to %s: no such model", model)
	}
	if m.Methods == nil {
		m.Methods = map[string]Method{}
	}
	for name, fn := range methods {
		if _, dup := m.Methods[name]; dup {
			return fmt.Errorf("model %s: method %s is defined twice", model, name)
		}
		m.Methods[name] = fn
	}
	return nil
}

func (r *Registry) addFields(m *Model, fields []*Field) error {
	for _, f := range fields {
		if f == nil {
			return fmt.Errorf("model %s: nil field", m.Name)
		}
		if err := f.validate(m.Name); err != nil {
			return err
		}
		if _, dup := m.fields[f.Name]; dup {
			return fmt.Errorf("model %s: field %s is defined twice", m.Name, f.Name)
		}
		if isAutomatic(f.Name) {
			return fmt.Errorf("model %s: field %s is automatic and cannot be declared", m.Name, f.Name)
		}
		f.model = m
		m.fields[f.Name] = f
		m.fieldOrder = append(m.fieldOrder, f.Name)
		m.Fields = append(m.Fields, f)
	}
	return nil
}

func isAutomatic(name string) bool {
	switch name {
	case "id", "display_name", "create_uid", "create_date", "write_uid", "write_date":
		return true
	}
	return false
}

// Model returns a model by name. On an unfrozen registry it may be incomplete.
func (r *Registry) Model(name string) (*Model, bool) {
	m, ok := r.models[name]
	return m, ok
}

// Models returns the models in definition order.
func (r *Registry) Models() []*Model {
	out := make([]*Model, 0, len(r.order))
	for _, name := range r.order {
		out = append(out, r.models[name])
	}
	return out
}

// Frozen reports whether Freeze succeeded.
func (r *Registry) Frozen() bool { return r.frozen }

// Freeze adds the automatic fields, resolves relations, related fields and
// dependencies, and checks the whole registry. After it, nothing can be added.
func (r *Registry) Freeze() error {
	if r.frozen {
		return nil
	}
	if err := r.resolveTracking(); err != nil {
		return err
	}
	if err := r.resolveWatches(); err != nil {
		return err
	}
	for _, m := range r.Models() {
		r.addAutomaticFields(m)
	}
	for _, m := range r.Models() {
		if err := r.resolveModel(m); err != nil {
			return err
		}
	}
	for _, m := range r.Models() {
		for _, f := range m.Fields {
			if f.Related != "" {
				if err := r.resolveRelated(m, f, 0); err != nil {
					return err
				}
			}
		}
	}
	for _, m := range r.Models() {
		if err := r.resolveOrderAndNames(m); err != nil {
			return err
		}
	}
	if err := r.resolveDependencies(); err != nil {
		return err
	}
	if err := r.compileDefaults(); err != nil {
		return err
	}
	r.frozen = true
	return nil
}

func (r *Registry) addAutomaticFields(m *Model) {
	auto := []*Field{
		{Name: "id", Type: Integer, String: "ID"},
		{Name: "display_name", Type: Char, String: "Display Name"},
		{Name: "create_date", Type: Datetime, String: "Created on"},
		{Name: "write_date", Type: Datetime, String: "Last Updated on"},
	}
	if _, ok := r.models["res.users"]; ok {
		auto = append(auto,
			&Field{Name: "create_uid", Type: Many2one, Comodel: "res.users", OnDelete: SetNull, String: "Created by"},
			&Field{Name: "write_uid", Type: Many2one, Comodel: "res.users", OnDelete: SetNull, String: "Last Updated by"})
	} else {
		auto = append(auto,
			&Field{Name: "create_uid", Type: Integer, String: "Created by"},
			&Field{Name: "write_uid", Type: Integer, String: "Last Updated by"})
	}
	for _, f := range auto {
		f.automatic = true
		f.model = m
		m.fields[f.Name] = f
		m.fieldOrder = append(m.fieldOrder, f.Name)
		m.Fields = append(m.Fields, f)
	}
}

func (r *Registry) resolveModel(m *Model) error {
	for _, f := range m.Fields {
		if !f.IsRelational() {
			continue
		}
		co, ok := r.models[f.Comodel]
		if !ok {
			return fmt.Errorf("field %s.%s: comodel %s is not defined", m.Name, f.Name, f.Comodel)
		}
		switch f.Type {
		case One2many:
			inv, ok := co.fields[f.InverseName]
			if !ok || inv.Type != Many2one || inv.Comodel != m.Name || !inv.IsStored() {
				return fmt.Errorf("field %s.%s: inverse %s.%s must be a stored many2one to %s", m.Name, f.Name, co.Name, f.InverseName, m.Name)
			}
			for name, values := range f.Only {
				g, ok := co.fields[name]
				if !ok || (g.Type != Char && g.Type != Selection) || !g.IsStored() || len(values) == 0 {
					return fmt.Errorf("field %s.%s: Only needs stored char or selection fields of %s with values, not %q", m.Name, f.Name, co.Name, name)
				}
			}
		case Many2many:
			if f.Relation == "" {
				if co == m {
					return fmt.Errorf("field %s.%s: a many2many to its own model needs Relation, Column1 and Column2", m.Name, f.Name)
				}
				tables := []string{m.Table, co.Table}
				slices.Sort(tables)
				f.Relation = tables[0] + "_" + tables[1] + "_rel"
			}
			if f.Column1 == "" {
				f.Column1 = m.Table + "_id"
			}
			if f.Column2 == "" {
				f.Column2 = co.Table + "_id"
			}
			for _, ident := range []string{f.Relation, f.Column1, f.Column2} {
				if err := checkFieldName(ident); err != nil {
					return fmt.Errorf("field %s.%s relation: %w", m.Name, f.Name, err)
				}
			}
			if f.Column1 == f.Column2 {
				return fmt.Errorf("field %s.%s: relation columns must differ", m.Name, f.Name)
			}
		}
	}
	for _, c := range m.SQLConstraints {
		if err := checkFieldName(c.Name); err != nil {
			return fmt.Errorf("model %s constraint: %w", m.Name, err)
		}
		if len(c.Fields) == 0 {
			return fmt.Errorf("model %s constraint %s: no fields", m.Name, c.Name)
		}
		for _, name := range c.Fields {
			f, ok := m.fields[name]
			if !ok || !f.IsStored() {
				return fmt.Errorf("model %s constraint %s: %s is not a stored field", m.Name, c.Name, name)
			}
		}
	}
	for _, c := range m.Checks {
		if c.Func == nil {
			return fmt.Errorf("model %s check %s: no function", m.Name, c.Name)
		}
		for _, name := range c.Fields {
			if _, ok := m.fields[name]; !ok {
				return fmt.Errorf("model %s check %s: unknown field %s", m.Name, c.Name, name)
			}
		}
	}
	for name := range m.Methods {
		if name == "" || strings.HasPrefix(name, "_") {
			return fmt.Errorf("model %s: method %q: names starting with '_' are private and cannot be exported", m.Name, name)
		}
		if IsStandardMethod(name) {
			return fmt.Errorf("model %s: method %q is a standard ORM method and cannot be replaced", m.Name, name)
		}
		if m.Methods[name] == nil {
			return fmt.Errorf("model %s: method %q has no function", m.Name, name)
		}
	}
	return nil
}

// StandardMethods returns the ORM operations every model offers through RPC.
func StandardMethods() []string {
	return []string{
		"search", "search_count", "read", "search_read", "create", "write", "unlink",
		"copy", "name_search", "fields_get", "read_group", "exists", "default_get",
	}
}

// IsStandardMethod reports whether name is one of StandardMethods.
func IsStandardMethod(name string) bool { return slices.Contains(StandardMethods(), name) }

func (r *Registry) resolveRelated(m *Model, f *Field, depth int) error {
	if f.related != nil {
		return nil
	}
	if depth > 8 {
		return fmt.Errorf("field %s.%s: related fields refer to each other in a loop", m.Name, f.Name)
	}
	parts := strings.Split(f.Related, ".")
	if len(parts) < 2 {
		return fmt.Errorf("field %s.%s: related %q must go through a many2one", m.Name, f.Name, f.Related)
	}
	cur := m
	var path []*Field
	for i, name := range parts {
		step, ok := cur.fields[name]
		if !ok {
			return fmt.Errorf("field %s.%s: related %q: %s has no field %s", m.Name, f.Name, f.Related, cur.Name, name)
		}
		if step.Related != "" {
			if err := r.resolveRelated(cur, step, depth+1); err != nil {
				return err
			}
		}
		path = append(path, step)
		if i < len(parts)-1 {
			if step.Type != Many2one {
				return fmt.Errorf("field %s.%s: related %q: %s is not a many2one", m.Name, f.Name, f.Related, name)
			}
			cur = r.models[step.Comodel]
		}
	}
	target := path[len(path)-1]
	if f.Type != "" && f.Type != target.Type {
		return fmt.Errorf("field %s.%s: type %s differs from related %s (%s)", m.Name, f.Name, f.Type, f.Related, target.Type)
	}
	f.Type = target.Type
	f.Comodel = target.Comodel
	f.Selection = target.Selection
	f.related = path
	return nil
}

func (r *Registry) resolveOrderAndNames(m *Model) error {
	if m.RecName == "" {
		if _, ok := m.fields["name"]; ok {
			m.RecName = "name"
		}
	} else if f, ok := m.fields[m.RecName]; !ok || f.IsX2Many() {
		return fmt.Errorf("model %s: record name field %q must be a field", m.Name, m.RecName)
	}
	if m.ParentName == "" {
		if f, ok := m.fields["parent_id"]; ok && f.Type == Many2one && f.Comodel == m.Name {
			m.ParentName = "parent_id"
		}
	} else if f, ok := m.fields[m.ParentName]; !ok || f.Type != Many2one || f.Comodel != m.Name || !f.IsStored() {
		return fmt.Errorf("model %s: parent field %q must be a stored many2one to the model", m.Name, m.ParentName)
	}
	order := m.Order
	if order == "" {
		order = "id"
	}
	terms, err := parseOrder(m, order)
	if err != nil {
		return fmt.Errorf("model %s default order: %w", m.Name, err)
	}
	m.order = terms
	return nil
}

func (r *Registry) mustModel(name string) (*Model, error) {
	m, ok := r.models[name]
	if !ok {
		return nil, &ValidationError{Message: fmt.Sprintf("the model %q does not exist", clip(name))}
	}
	return m, nil
}
