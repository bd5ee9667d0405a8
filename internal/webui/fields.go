package webui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// fieldView is one field as a template shows or edits it.
type fieldView struct {
	Name, Label, Help string
	// Widget is the input kind: char, text, html, integer, float, monetary, boolean,
	// date, datetime, selection, many2one, tags.
	Widget   string
	Value    string
	Checked  bool
	Options  []option
	RefID    int64
	RefURL   string
	Tags     []string
	Required bool
	Readonly bool
	Error    string
	Picker   string    // many2one, many2many: URL of the search-as-you-type endpoint
	TagList  []tagView // many2many: the current tags
	// Marker is, for a tags column of the line editor, the product its tags were
	// last filled for: picking another one fills them again.
	Marker string
}

type option struct {
	Value, Label string
	Selected     bool
}

// isReadonly tells fields the form shows but never submits.
func isReadonly(f *orm.Field) bool {
	switch f.Name {
	case "id", "create_uid", "create_date", "write_uid", "write_date", "display_name":
		return true
	}
	return f.Readonly || f.Compute != nil || f.Related != "" || f.Type == orm.One2many
}

// formatLocal is formatValue with date-times, stored in UTC, shown in loc
// (the user's time zone), to the minute.
func formatLocal(f *orm.Field, v any, loc *time.Location) string {
	s := formatValue(f, v)
	if f.Type != orm.Datetime {
		return s
	}
	if t, err := time.Parse(orm.DatetimeLayout, s); err == nil {
		return t.In(loc).Format("2006-01-02 15:04")
	}
	return s
}

// formatValue is the text of a value as Read returns it.
func formatValue(f *orm.Field, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if f.Type == orm.Boolean {
			if x {
				return "Yes"
			}
			return "No"
		}
		if !x {
			return ""
		}
	case []any: // many2one [id, name]
		if len(x) == 2 {
			return fmt.Sprint(x[1])
		}
		return ""
	case []int64:
		switch len(x) {
		case 0:
			return ""
		case 1:
			return "1 record"
		}
		return strconv.Itoa(len(x)) + " records"
	case *apd.Decimal:
		return formatDecimal(x)
	case apd.Decimal:
		return formatDecimal(&x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		if f.Type == orm.Many2one {
			return strconv.FormatInt(x, 10)
		}
		return strconv.FormatInt(x, 10)
	case string:
		if f.Type == orm.Selection {
			for _, o := range f.Selection {
				if o.Value == x {
					return o.Label
				}
			}
		}
		return x
	}
	return fmt.Sprint(v)
}

// formatDecimal shows an amount with at least two decimals.
func formatDecimal(d *apd.Decimal) string {
	s := d.Text('f')
	dot := strings.IndexByte(s, '.')
	switch {
	case dot < 0:
		return s + ".00"
	case len(s)-dot-1 == 1:
		return s + "0"
	}
	return s
}

// ref returns the id of a many2one value, 0 when empty.
func ref(v any) int64 {
	if x, ok := v.([]any); ok && len(x) == 2 {
		id, _ := x[0].(int64)
		return id
	}
	return 0
}

// fieldFor builds the view of field f holding v (as Read returns it, or as the user
// submitted it after a refused save).
func (u *UI) fieldFor(v *View, f *orm.Field, val any, readonly bool, loc *time.Location) fieldView {
	fv := fieldView{Name: f.Name, Label: f.Label(), Help: f.Help, Widget: string(f.Type), Required: f.Required,
		Readonly: readonly || isReadonly(f)}
	switch f.Type {
	case orm.Boolean:
		fv.Checked, _ = val.(bool)
		fv.Value = formatValue(f, val)
	case orm.Selection:
		cur, _ := val.(string)
		fv.Value = formatValue(f, val)
		if !f.Required {
			fv.Options = append(fv.Options, option{Value: "", Label: "", Selected: cur == ""})
		}
		for _, o := range f.Selection {
			fv.Options = append(fv.Options, option{Value: o.Value, Label: o.Label, Selected: o.Value == cur})
		}
	case orm.Many2one:
		fv.RefID = ref(val)
		fv.Value = formatValue(f, val)
		if target, ok := u.byModel[f.Comodel]; ok && fv.RefID > 0 {
			fv.RefURL = fmt.Sprintf("/odoo/%s/%d", target.Slug, fv.RefID)
		}
		fv.Picker = "/odoo/picker/" + v.Slug + "/" + f.Name
	case orm.Many2many:
		// Tags and options are filled by the form, which can search (fillTags).
		fv.Picker = "/odoo/picker/" + v.Slug + "/" + f.Name
	case orm.One2many:
		fv.Widget = "tags"
		fv.Value = formatValue(f, val)
	case orm.Datetime:
		fv.Value = formatLocal(f, val, loc)
		if t, err := time.Parse("2006-01-02 15:04", fv.Value); err == nil && !fv.Readonly {
			fv.Value = t.Format("2006-01-02T15:04") // as a datetime-local input takes it
		}
	default:
		fv.Value = formatValue(f, val)
	}
	return fv
}

// fieldError is a refusal of one submitted value, shown next to the field.
type fieldError struct {
	Field, Message string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Message }

const maxTextInput = 1 << 20

// parseInput turns the submitted text of a field into the value Create and Write
// accept. shown is what to redisplay if the save is refused.
func parseInput(ctx context.Context, env *orm.Env, f *orm.Field, raw, display string) (val, shown any, err error) {
	if len(raw) > maxTextInput || len(display) > maxTextInput {
		return nil, raw, &fieldError{f.Name, "is too long"}
	}
	trimmed := strings.TrimSpace(raw)
	switch f.Type {
	case orm.Char, orm.Text, orm.HTML:
		if f.Type == orm.Char {
			raw = strings.TrimSpace(raw)
		}
		if raw == "" {
			return false, "", nil
		}
		return raw, raw, nil
	case orm.Boolean:
		b := raw == "on" || raw == "1" || raw == "true"
		return b, b, nil
	case orm.Integer:
		if trimmed == "" {
			return int64(0), "", nil
		}
		n, perr := strconv.ParseInt(trimmed, 10, 64)
		if perr != nil {
			return nil, raw, &fieldError{f.Name, "enter a whole number"}
		}
		return n, raw, nil
	case orm.Float:
		if trimmed == "" {
			return float64(0), "", nil
		}
		x, perr := strconv.ParseFloat(trimmed, 64)
		if perr != nil {
			return nil, raw, &fieldError{f.Name, "enter a number"}
		}
		return x, raw, nil
	case orm.Monetary:
		if trimmed == "" {
			return "0", "", nil
		}
		d, _, perr := apd.NewFromString(trimmed)
		if perr != nil || d.Form != apd.Finite {
			return nil, raw, &fieldError{f.Name, "enter an amount such as 12.50"}
		}
		return d.Text('f'), raw, nil
	case orm.Date:
		if trimmed == "" {
			return false, "", nil
		}
		if _, perr := time.Parse(orm.DateLayout, trimmed); perr != nil {
			return nil, raw, &fieldError{f.Name, "enter a date as YYYY-MM-DD"}
		}
		return trimmed, trimmed, nil
	case orm.Datetime:
		if trimmed == "" {
			return false, "", nil
		}
		// Typed in the user's time zone, stored in UTC.
		loc := env.Location()
		t, perr := time.ParseInLocation("2006-01-02T15:04", trimmed, loc)
		if perr != nil {
			if t, perr = time.ParseInLocation(orm.DatetimeLayout, trimmed, loc); perr != nil {
				return nil, raw, &fieldError{f.Name, "enter a date and time"}
			}
		}
		s := t.UTC().Format(orm.DatetimeLayout)
		return s, s, nil
	case orm.Selection:
		if trimmed == "" {
			return false, "", nil
		}
		for _, o := range f.Selection {
			if o.Value == trimmed {
				return trimmed, trimmed, nil
			}
		}
		return nil, "", &fieldError{f.Name, "choose one of the options"}
	case orm.Many2one:
		return parseMany2one(ctx, env, f, trimmed, strings.TrimSpace(display))
	case orm.Many2many:
		return parseTags(f, raw)
	}
	return nil, raw, &fieldError{f.Name, "cannot be edited here"}
}

// parseMany2one accepts the picked id (checked to be one the user can see) or, when
// scripts are off, a typed name that matches exactly one record.
func parseMany2one(ctx context.Context, env *orm.Env, f *orm.Field, rawID, display string) (val, shown any, err error) {
	if rawID != "" {
		id, perr := strconv.ParseInt(rawID, 10, 64)
		if perr != nil || id <= 0 {
			return nil, []any{int64(0), display}, &fieldError{f.Name, "pick a value from the list"}
		}
		ids, serr := env.Search(ctx, f.Comodel, leaf("id", "=", id), orm.SearchOptions{Limit: 1, IncludeArchived: true})
		if serr != nil || len(ids) == 0 {
			return nil, []any{int64(0), display}, &fieldError{f.Name, "no such record"}
		}
		return id, []any{id, display}, nil
	}
	if display == "" {
		return false, false, nil
	}
	found, serr := env.NameSearch(ctx, f.Comodel, display, domain.Domain{}, "ilike", 8)
	if serr != nil {
		return nil, []any{int64(0), display}, &fieldError{f.Name, "cannot search this list"}
	}
	var exact []int64
	for _, p := range found {
		if strings.EqualFold(fmt.Sprint(p[1]), display) {
			exact = append(exact, p[0].(int64))
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], []any{exact[0], display}, nil
	case len(found) == 1:
		id := found[0][0].(int64)
		return id, []any{id, fmt.Sprint(found[0][1])}, nil
	case len(found) == 0:
		return nil, []any{int64(0), display}, &fieldError{f.Name, "nothing matches this name"}
	}
	return nil, []any{int64(0), display}, &fieldError{f.Name, "several records match; pick one from the list"}
}

func leaf(field, op string, value any) domain.Domain {
	d, err := domain.FromValue([]any{[]any{field, op, value}}, domain.Limits{})
	if err != nil {
		panic("webui: invalid built-in domain: " + err.Error())
	}
	return d
}
