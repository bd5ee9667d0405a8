package orm

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// Layouts of dates and datetimes as Odoo exchanges them; datetimes are UTC.
const (
	DateLayout     = "2006-01-02"
	DatetimeLayout = "2006-01-02 15:04:05"
)

// maxTextBytes bounds one text value; larger belongs in an attachment.
const maxTextBytes = 1 << 20

func nowUTC() string { return time.Now().UTC().Format(DatetimeLayout) }

// isFalsy reports Odoo's "empty" input: nil or false.
func isFalsy(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	}
	return false
}

// toColumn converts an input value (decoded JSON/XML-RPC or Go) for a stored
// field into a bind parameter; nil means NULL.
func (d dialect) toColumn(f *Field, v any) (any, error) {
	m := f.model.Name
	if f.Type == Boolean {
		switch b := v.(type) {
		case nil:
			return d.boolParam(false), nil
		case bool:
			return d.boolParam(b), nil
		}
		return nil, validationf(m, f.Name, "expected true or false, got %s", describe(v))
	}
	if isFalsy(v) {
		return nil, nil
	}
	switch f.Type {
	case Char, Text, HTML, Selection:
		s, ok := v.(string)
		if !ok {
			return nil, validationf(m, f.Name, "expected text, got %s", describe(v))
		}
		if err := checkText(f, s); err != nil {
			return nil, err
		}
		if f.Type == Selection && !f.selectionHas(s) {
			return nil, validationf(m, f.Name, "%q is not one of the allowed values %s", clip(s), selectionValues(f))
		}
		if f.Type == HTML {
			s = sanitizeHTML(s)
		}
		return s, nil
	case Integer:
		n, err := toInt64(v)
		if err != nil {
			return nil, validationf(m, f.Name, "%s", err)
		}
		return n, nil
	case Float:
		x, err := toFloat64(v)
		if err != nil {
			return nil, validationf(m, f.Name, "%s", err)
		}
		return x, nil
	case Monetary:
		dec, err := toDecimal(v)
		if err != nil {
			return nil, validationf(m, f.Name, "%s", err)
		}
		return dec.Text('f'), nil
	case Date:
		t, err := toTime(v, true)
		if err != nil {
			return nil, validationf(m, f.Name, "%s", err)
		}
		return t.Format(DateLayout), nil
	case Datetime:
		t, err := toTime(v, false)
		if err != nil {
			return nil, validationf(m, f.Name, "%s", err)
		}
		return t.UTC().Format(DatetimeLayout), nil
	case Many2one:
		id, err := toID(v)
		if err != nil {
			return nil, validationf(m, f.Name, "%s", err)
		}
		return id, nil
	}
	return nil, validationf(m, f.Name, "a %s field cannot be written directly", f.Type)
}

func checkText(f *Field, s string) error {
	if len(s) > maxTextBytes {
		return validationf(f.model.Name, f.Name, "the text is longer than %d bytes", maxTextBytes)
	}
	if !utf8.ValidString(s) {
		return validationf(f.model.Name, f.Name, "the text is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return validationf(f.model.Name, f.Name, "the text contains a NUL character")
	}
	if f.Size > 0 && utf8.RuneCountInString(s) > f.Size {
		return validationf(f.model.Name, f.Name, "the text is longer than %d characters", f.Size)
	}
	return nil
}

func selectionValues(f *Field) string {
	vals := make([]string, len(f.Selection))
	for i, o := range f.Selection {
		vals[i] = strconv.Quote(o.Value)
	}
	return "(" + strings.Join(vals, ", ") + ")"
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("the text %q", clip(v))
	case bool:
		return fmt.Sprintf("%t", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case float64, float32, int, int64, int32, json.Number:
		return fmt.Sprintf("the number %v", v)
	}
	return fmt.Sprintf("a value of type %T", v)
}

func toInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case int32:
		return int64(n), nil
	case int64:
		return n, nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, fmt.Errorf("expected a whole number, got %v", n)
		}
		return int64(n), nil
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return 0, fmt.Errorf("expected a whole number, got %s", clip(string(n)))
		}
		return i, nil
	}
	return 0, fmt.Errorf("expected a whole number, got %s", describe(v))
}

func toFloat64(v any) (float64, error) {
	var x float64
	switch n := v.(type) {
	case int:
		x = float64(n)
	case int32:
		x = float64(n)
	case int64:
		x = float64(n)
	case float64:
		x = n
	case float32:
		x = float64(n)
	case json.Number:
		f, err := n.Float64()
		if err != nil {
			return 0, fmt.Errorf("expected a number, got %s", clip(string(n)))
		}
		x = f
	default:
		return 0, fmt.Errorf("expected a number, got %s", describe(v))
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("expected a finite number")
	}
	return x, nil
}

// maxDecimalDigits bounds monetary values; no amount needs more.
const maxDecimalDigits = 30

// toDecimal reads an amount exactly. A float64 is taken at its shortest decimal
// representation (what the sender wrote), never at its binary value.
func toDecimal(v any) (*apd.Decimal, error) {
	var s string
	switch n := v.(type) {
	case *apd.Decimal:
		s = n.Text('f')
	case apd.Decimal:
		s = n.Text('f')
	case string:
		s = strings.TrimSpace(n)
	case json.Number:
		s = string(n)
	case int:
		s = strconv.Itoa(n)
	case int64:
		s = strconv.FormatInt(n, 10)
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, fmt.Errorf("expected a finite amount")
		}
		s = strconv.FormatFloat(n, 'g', -1, 64)
	default:
		return nil, fmt.Errorf("expected an amount, got %s", describe(v))
	}
	if len(s) > 64 {
		return nil, fmt.Errorf("the amount %s is too long", clip(s))
	}
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite {
		return nil, fmt.Errorf("expected an amount, got %q", clip(s))
	}
	if d.NumDigits() > maxDecimalDigits || d.Exponent < -12 || d.Exponent > 30 {
		return nil, fmt.Errorf("the amount %s has too many digits", clip(s))
	}
	return d, nil
}

func toTime(v any, dateOnly bool) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		if dateOnly {
			d, err := time.Parse(DateLayout, t)
			if err != nil {
				return time.Time{}, fmt.Errorf("expected a date as YYYY-MM-DD, got %q", clip(t))
			}
			return d, nil
		}
		for _, layout := range []string{DatetimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05", DateLayout} {
			if d, err := time.Parse(layout, t); err == nil {
				return d.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("expected a UTC date and time as YYYY-MM-DD HH:MM:SS, got %q", clip(t))
	}
	return time.Time{}, fmt.Errorf("expected a date, got %s", describe(v))
}

// toID reads a record id: a positive integer, or Odoo's [id, name] pair.
func toID(v any) (int64, error) {
	if pair, ok := v.([]any); ok && len(pair) == 2 {
		v = pair[0]
	}
	id, err := toInt64(v)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("expected a record id, got %s", describe(v))
	}
	return id, nil
}

// toIDs reads a list of record ids.
func toIDs(v any, max int) ([]int64, error) {
	var items []any
	switch l := v.(type) {
	case []any:
		items = l
	case []int64:
		out := append([]int64(nil), l...)
		for _, id := range out {
			if id <= 0 {
				return nil, fmt.Errorf("expected record ids, got %d", id)
			}
		}
		if len(out) > max {
			return nil, fmt.Errorf("a list of %d ids exceeds the limit of %d", len(out), max)
		}
		return out, nil
	case []int:
		for _, id := range l {
			items = append(items, id)
		}
	default:
		return nil, fmt.Errorf("expected a list of record ids, got %s", describe(v))
	}
	if len(items) > max {
		return nil, fmt.Errorf("a list of %d ids exceeds the limit of %d", len(items), max)
	}
	out := make([]int64, len(items))
	for i, item := range items {
		id, err := toID(item)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// fromColumn turns a scanned column into the value Read returns, as Odoo does:
// false for empty, 0 for empty numbers, strings for dates, exact decimals.
func fromColumn(f *Field, v any) (any, error) {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if v == nil {
		switch f.Type {
		case Integer:
			return int64(0), nil
		case Float:
			return float64(0), nil
		case Monetary:
			return apd.New(0, 0), nil
		}
		return false, nil
	}
	switch f.Type {
	case Boolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case int64:
			return b != 0, nil
		}
	case Integer, Many2one:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case Float:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		}
	case Monetary:
		switch n := v.(type) {
		case string:
			d, _, err := apd.NewFromString(n)
			if err != nil {
				return nil, fmt.Errorf("read %s.%s: stored amount %q: %w", f.model.Name, f.Name, n, err)
			}
			return d, nil
		case int64:
			return apd.New(n, 0), nil
		case float64:
			return toDecimal(n)
		}
	case Date:
		switch t := v.(type) {
		case time.Time:
			return t.Format(DateLayout), nil
		case string:
			if len(t) >= 10 {
				return t[:10], nil
			}
			return t, nil
		}
	case Datetime:
		switch t := v.(type) {
		case time.Time:
			return t.UTC().Format(DatetimeLayout), nil
		case string:
			if p, err := toTime(t, false); err == nil {
				return p.Format(DatetimeLayout), nil
			}
			return t, nil
		}
	default:
		if s, ok := v.(string); ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("read %s.%s: unexpected stored value of type %T", f.model.Name, f.Name, v)
}
