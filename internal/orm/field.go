package orm

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/sandbox"
)

// FieldType is the kind of a field, named as Odoo names it.
type FieldType string

// Field types.
const (
	Char      FieldType = "char"
	Text      FieldType = "text"
	HTML      FieldType = "html"
	Integer   FieldType = "integer"
	Float     FieldType = "float"
	Monetary  FieldType = "monetary"
	Boolean   FieldType = "boolean"
	Date      FieldType = "date"
	Datetime  FieldType = "datetime"
	Selection FieldType = "selection"
	Many2one  FieldType = "many2one"
	One2many  FieldType = "one2many"
	Many2many FieldType = "many2many"
	// Binary content is kept in the tenant's filestore through an ir.attachment
	// (res_model, res_field, res_id); it reads and writes as base64 text.
	Binary FieldType = "binary"
)

// OnDelete says what happens to a many2one when its target is deleted.
type OnDelete string

// Many2one deletion policies.
const (
	SetNull  OnDelete = "set null"
	Restrict OnDelete = "restrict"
	Cascade  OnDelete = "cascade"
)

// SelectionOption is one allowed value of a selection field and its label.
type SelectionOption struct {
	Value string
	Label string
}

// ComputeFunc computes a field for a batch of records. It returns a value per id in
// the form Create and Write accept (an id for a many2one, ids for an x2many). It runs
// with the env of the caller; use env.Sudo() inside when the computation must see
// records the user cannot.
type ComputeFunc func(ctx context.Context, env *Env, ids []int64) (map[int64]any, error)

// DefaultFunc returns a field's default for a new record.
type DefaultFunc func(ctx context.Context, env *Env) (any, error)

// DefaultForFunc returns a field's default for a new record from the values it
// is created with (those given, and the defaults of fields declared before it).
// The values are as the caller gave them: check their types.
type DefaultForFunc func(ctx context.Context, env *Env, vals map[string]any) (any, error)

// Field declares one field of a model.
type Field struct {
	Name   string
	Type   FieldType
	String string // label; defaults to the name, humanised
	Help   string

	Required bool
	Readonly bool // set only by module code (Sudo): refused in Create and Write from users; computed fields are readonly
	Index    bool
	// NoCopy leaves the field out of Copy. One2many and automatic fields are never copied.
	NoCopy bool
	// Groups lists the xml ids of the groups allowed to read and write this field
	// (any one of them suffices). Empty means everyone with model access.
	Groups []string

	// Secret marks a stored credential (a password hash): Read always returns "",
	// domains and ordering cannot use it, and only Sudo may write it.
	Secret bool

	// Tracked fields have every change recorded by the registry's Tracker (the
	// change history under a form), whoever makes it: the web UI, the API or a
	// recomputation. Only stored fields that are not x2many, binary or secret.
	Tracked bool

	// Default is a static default in the form Create accepts.
	Default any
	// DefaultFunc computes a default when Default is nil.
	DefaultFunc DefaultFunc
	// DefaultFor computes a default from the record's other values, e.g. an
	// invoice's journal from its type and company.
	DefaultFor DefaultForFunc
	// DefaultExpr is a default written as a sandboxed CEL expression, e.g.
	// "today()" or "company_id". It may read uid, company_id, company_ids, now()
	// and today() (the Env's clock, the user's time zone), nothing else. It is
	// compiled when the registry is frozen, so a bad expression stops the start.
	DefaultExpr string

	Size          int               // char: maximum length in characters (0: unbounded)
	Digits        [2]int            // float: precision and scale, informative
	CurrencyField string            // monetary: many2one to the currency (rounding)
	Selection     []SelectionOption // selection: allowed values

	Comodel  string   // relational: target model
	OnDelete OnDelete // many2one: default SetNull (Restrict when Required)
	// InverseName is the many2one on the comodel a one2many mirrors.
	InverseName string
	// Only narrows a one2many to the comodel's records whose field holds one of
	// the listed values, e.g. an invoice's product lines among its journal
	// items: reads and searches see only them, commands reach only them, and the
	// records it creates or links must hold one of the values (the first when
	// none is given).
	Only map[string][]string
	// Relation, Column1, Column2 name a many2many's link table and its columns
	// (this model's id, then the comodel's); derived when empty.
	Relation string
	Column1  string
	Column2  string

	// Compute makes the field computed. With Store it is a column recomputed
	// whenever a field of Depends changes; otherwise it is computed on read.
	Compute ComputeFunc
	Depends []string
	Store   bool

	// Related makes the field a read-only mirror of a field reached through
	// many2one fields, e.g. "partner_id.country_id". Its type is the target's.
	Related string

	// resolved by the registry
	model          *Model
	automatic      bool
	related        []*Field // path of a related field
	inputs         []*Field // stored computed: the fields whose change recomputes it
	defaultProgram *sandbox.Program
}

// IsRelational reports whether the field points to another model.
func (f *Field) IsRelational() bool {
	return f.Type == Many2one || f.Type == One2many || f.Type == Many2many
}

// IsX2Many reports whether the field holds a list of records.
func (f *Field) IsX2Many() bool { return f.Type == One2many || f.Type == Many2many }

// IsStored reports whether the field has a column in the model's table.
func (f *Field) IsStored() bool {
	if f.IsX2Many() || f.Related != "" || f.Type == Binary {
		return false
	}
	if f.Compute != nil {
		return f.Store
	}
	return f.Name != "display_name"
}

// Label returns the field's label.
func (f *Field) Label() string { return f.String }

func (f *Field) copyable() bool {
	return !f.NoCopy && !f.automatic && f.Type != One2many && f.Compute == nil && f.Related == "" && f.Name != "id"
}

func (f *Field) readonly() bool {
	return f.Readonly || f.automatic || f.Related != "" || (f.Compute != nil && !f.Store) || f.Name == "id"
}

func (f *Field) selectionHas(v string) bool {
	for _, o := range f.Selection {
		if o.Value == v {
			return true
		}
	}
	return false
}

// validate checks the declaration on its own; relations are checked by the registry.
func (f *Field) validate(model string) error {
	if err := checkFieldName(f.Name); err != nil {
		return fmt.Errorf("model %s: %w", model, err)
	}
	switch f.Type {
	case Char, Text, HTML, Integer, Float, Monetary, Boolean, Date, Datetime:
	case Binary:
		if f.Compute != nil || f.Secret {
			return fmt.Errorf("field %s.%s: a binary field cannot be computed or secret", model, f.Name)
		}
	case Selection:
		if len(f.Selection) == 0 {
			return fmt.Errorf("field %s.%s: a selection needs options", model, f.Name)
		}
	case Many2one:
		switch f.OnDelete {
		case "":
			f.OnDelete = SetNull
			if f.Required {
				f.OnDelete = Restrict
			}
		case SetNull, Restrict, Cascade:
		default:
			return fmt.Errorf("field %s.%s: unknown ondelete %q", model, f.Name, f.OnDelete)
		}
		if f.OnDelete == SetNull && f.Required {
			return fmt.Errorf("field %s.%s: a required many2one cannot be set null on delete", model, f.Name)
		}
		fallthrough
	case One2many, Many2many:
		if f.Comodel == "" {
			return fmt.Errorf("field %s.%s: a %s needs a comodel", model, f.Name, f.Type)
		}
		if f.Type == One2many && f.InverseName == "" {
			return fmt.Errorf("field %s.%s: a one2many needs an inverse name", model, f.Name)
		}
	default:
		return fmt.Errorf("field %s.%s: unknown type %q", model, f.Name, f.Type)
	}
	if f.Tracked && (!f.IsStored() || f.Secret) {
		return fmt.Errorf("field %s.%s: only a stored, non-secret field can be tracked", model, f.Name)
	}
	if f.Size < 0 {
		return fmt.Errorf("field %s.%s: negative size", model, f.Name)
	}
	if len(f.Only) > 0 && f.Type != One2many {
		return fmt.Errorf("field %s.%s: only a one2many can be narrowed by Only", model, f.Name)
	}
	if f.Related != "" && f.Compute != nil {
		return fmt.Errorf("field %s.%s: a field is either related or computed", model, f.Name)
	}
	defaults := 0
	for _, set := range []bool{f.Default != nil, f.DefaultFunc != nil, f.DefaultFor != nil, f.DefaultExpr != ""} {
		if set {
			defaults++
		}
	}
	if defaults > 1 {
		return fmt.Errorf("field %s.%s: give one of Default, DefaultFunc, DefaultFor and DefaultExpr", model, f.Name)
	}
	if f.DefaultExpr != "" && (f.IsX2Many() || f.Type == Binary) {
		return fmt.Errorf("field %s.%s: a %s field cannot have a default expression", model, f.Name, f.Type)
	}
	if f.Store && f.Compute == nil {
		return fmt.Errorf("field %s.%s: Store applies to computed fields only", model, f.Name)
	}
	if f.Compute != nil && f.Store && f.IsX2Many() {
		return fmt.Errorf("field %s.%s: stored computed x2many fields are not supported", model, f.Name)
	}
	if f.Type == Selection && f.Default != nil {
		if s, ok := f.Default.(string); !ok || !f.selectionHas(s) {
			return fmt.Errorf("field %s.%s: default %v is not one of the options", model, f.Name, f.Default)
		}
	}
	if f.String == "" {
		f.String = humanise(f.Name)
	}
	return nil
}

// humanise turns partner_id into "Partner", is_company into "Is Company".
func humanise(name string) string {
	for _, suffix := range []string{"_ids", "_id"} {
		if len(name) > len(suffix) && name[len(name)-len(suffix):] == suffix {
			name = name[:len(name)-len(suffix)]
			break
		}
	}
	out := []byte(name)
	upper := true
	for i, c := range out {
		switch {
		case c == '_':
			out[i] = ' '
			upper = true
		case upper && 'a' <= c && c <= 'z':
			out[i] = c - 'a' + 'A'
			upper = false
		default:
			upper = false
		}
	}
	return string(out)
}

const maxIdentLen = 63

func checkFieldName(name string) error {
	if name == "" || len(name) > maxIdentLen {
		return fmt.Errorf("field name %q must have 1 to %d characters", name, maxIdentLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return fmt.Errorf("field name %q: use lower-case letters, digits and '_', not starting with a digit", name)
		}
	}
	return nil
}
