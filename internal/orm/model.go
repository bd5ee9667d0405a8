package orm

import (
	"context"
	"fmt"
	"strings"
)

// SQLConstraint is a uniqueness constraint enforced by the database.
type SQLConstraint struct {
	Name   string
	Fields []string
	// CaseInsensitive compares text fields in lower case (e.g. logins).
	CaseInsensitive bool
	// Message is shown to the user when the constraint is violated.
	Message string
}

// Check is a constraint written in Go. It runs inside the transaction after
// create, and after write when one of Fields changed; an error aborts the operation.
type Check struct {
	Name   string
	Fields []string
	Func   func(ctx context.Context, env *Env, ids []int64) error
}

// Method is a model method callable through RPC. ids are the records it was called
// on (possibly none), args and kwargs the decoded call arguments.
type Method func(ctx context.Context, env *Env, ids []int64, args []any, kwargs map[string]any) (any, error)

// Model declares a model: its name, table, fields and behaviour.
type Model struct {
	Name        string // dotted, e.g. "res.partner"
	Description string
	Table       string // derived from Name when empty: res_partner
	// RecName is the field that names a record (default "name" when present).
	RecName string
	// Order is the default order, e.g. "name, id desc" (default "id").
	Order string
	// ParentName is the many2one to the same model used by child_of and parent_of
	// (default "parent_id" when present).
	ParentName string

	Fields         []*Field
	SQLConstraints []SQLConstraint
	Checks         []Check
	// UnlinkChecks run before a user deletes records of the model (not under
	// Sudo, which module code uses); an error refuses the whole deletion. Only
	// their Name and Func are used. Modules add them with Registry.AddUnlinkCheck.
	UnlinkChecks []Check
	// Methods are the only model-specific methods RPC may call. Names starting
	// with '_' are refused by the registry.
	Methods map[string]Method

	fields     map[string]*Field
	fieldOrder []string
	order      []orderTerm
	reverse    []reverseDep // stored computed fields of other models depending on this one
}

// Field returns a field by name.
func (m *Model) Field(name string) (*Field, bool) {
	f, ok := m.fields[name]
	return f, ok
}

// FieldNames returns the field names in declaration order (automatic fields last).
func (m *Model) FieldNames() []string { return append([]string(nil), m.fieldOrder...) }

// HasActive reports whether the model has an "active" boolean, which hides
// archived records from searches.
func (m *Model) HasActive() bool {
	f, ok := m.fields["active"]
	return ok && f.Type == Boolean && f.IsStored()
}

// Method returns an exported method. Private names (leading '_') are refused
// before any lookup, so no spelling reaches a private implementation.
func (m *Model) Method(name string) (Method, error) {
	if name == "" || strings.HasPrefix(name, "_") {
		return nil, &AccessError{Model: m.Name, Operation: "call", reason: fmt.Sprintf("private method %q cannot be called", clip(name))}
	}
	fn, ok := m.Methods[name]
	if !ok {
		return nil, &UserError{Message: fmt.Sprintf("the method %q does not exist on model %q", clip(name), m.Name)}
	}
	return fn, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func checkModelName(name string) error {
	if name == "" || len(name) > maxIdentLen {
		return fmt.Errorf("model name %q must have 1 to %d characters", name, maxIdentLen)
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return fmt.Errorf("model name %q has an empty part", name)
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c == '_' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') || i == 0 && (c == '_' || '0' <= c && c <= '9') {
				return fmt.Errorf("model name %q: parts use lower-case letters, digits and '_', starting with a letter", name)
			}
		}
	}
	return nil
}

func tableName(model string) string { return strings.ReplaceAll(model, ".", "_") }
