package domain

import (
	"math"
	"strconv"
	"strings"
)

// Value is the right-hand side of a leaf: one of None, Bool, Int, Float,
// String, or a List of those scalars. The set is closed.
type Value interface {
	// String renders the value as a Python literal.
	String() string
	isValue()
}

// None is Python's None. Odoo treats it like False in comparisons with '='
// and '!=', but the ORM decides, so the two stay distinct here.
type None struct{}

// Bool is True or False.
type Bool bool

// Int is an integer; Python integers beyond 64 bits are refused.
type Int int64

// Float is a finite floating-point number.
type Float float64

// String is valid UTF-8 text; it may contain any character, NUL included.
type String string

// List is a list of scalars, the value of 'in', 'not in', 'child_of' and 'parent_of'.
type List []Value

func (None) isValue()   {}
func (Bool) isValue()   {}
func (Int) isValue()    {}
func (Float) isValue()  {}
func (String) isValue() {}
func (List) isValue()   {}

func (None) String() string { return "None" }

func (b Bool) String() string {
	if b {
		return "True"
	}
	return "False"
}

func (i Int) String() string { return strconv.FormatInt(int64(i), 10) }

// String renders f the way Python's repr does, so that it reads back as a
// float (never as an integer) with exactly the same value.
func (f Float) String() string {
	x := float64(f)
	abs := math.Abs(x)
	if x != 0 && (abs < 1e-4 || abs >= 1e16) {
		return strconv.FormatFloat(x, 'e', -1, 64)
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func (s String) String() string { return quotePython(string(s)) }

func (l List) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range l {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	b.WriteByte(']')
	return b.String()
}

// valuesEqual compares structurally; floats compare by bit pattern so that
// -0.0 and 0.0 stay distinguishable, as they are in the text form.
func valuesEqual(a, b Value) bool {
	switch a := a.(type) {
	case None:
		_, ok := b.(None)
		return ok
	case Bool:
		bb, ok := b.(Bool)
		return ok && a == bb
	case Int:
		bi, ok := b.(Int)
		return ok && a == bi
	case Float:
		bf, ok := b.(Float)
		return ok && math.Float64bits(float64(a)) == math.Float64bits(float64(bf))
	case String:
		bs, ok := b.(String)
		return ok && a == bs
	case List:
		bl, ok := b.(List)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !valuesEqual(a[i], bl[i]) {
				return false
			}
		}
		return true
	default:
		return false
	}
}

// describeValue names the kind of a value for error messages.
func describeValue(v Value) string {
	switch v.(type) {
	case None:
		return "None"
	case Bool:
		return "a boolean"
	case Int:
		return "an integer"
	case Float:
		return "a float"
	case String:
		return "a string"
	case List:
		return "a list"
	case placeholder:
		return "a name"
	case nil:
		return "nothing"
	default:
		return "an unsupported value"
	}
}

// placeholder stands for a name whose value is not known yet (Validate checks
// rules at save time, before any user exists). It satisfies every operator and
// never leaves the package.
type placeholder struct{ name string }

func (placeholder) isValue()         {}
func (p placeholder) String() string { return p.name }
