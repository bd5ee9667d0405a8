package domain

import (
	"math"
	"strings"
	"unicode/utf8"
)

const (
	// maxPathSegments bounds how many relations one leaf may follow.
	maxPathSegments = 8
	// maxSegmentLen is PostgreSQL's identifier limit; no column can be longer.
	maxSegmentLen = 63
)

// parsePath splits a dotted field path and checks every segment against
// ^[a-z_][a-z0-9_]*$. Whether the fields exist is the ORM's business.
func parsePath(s string) ([]string, *Error) {
	if s == "" {
		return nil, errorf("the field name is empty")
	}
	if n := strings.Count(s, ".") + 1; n > maxPathSegments {
		return nil, errorf("field path %s follows %d fields; at most %d are allowed", excerpt(s), n, maxPathSegments)
	}
	path := strings.Split(s, ".")
	for _, seg := range path {
		if err := checkSegment(seg); err != nil {
			return nil, errorf("invalid field path %s: %s", excerpt(s), err.Message)
		}
	}
	return path, nil
}

func checkSegment(seg string) *Error {
	if seg == "" {
		return errorf("a field name between dots is empty")
	}
	if len(seg) > maxSegmentLen {
		return errorf("field name %s is longer than %d bytes", excerpt(seg), maxSegmentLen)
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		ok := c == '_' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9'
		if !ok {
			return errorf("field names use only lower-case letters, digits and '_', and do not start with a digit")
		}
	}
	return nil
}

// checkValue checks that v is well-formed and within limits. Lists must hold
// scalars only.
func checkValue(v Value, lim Limits) *Error {
	switch v := v.(type) {
	case nil:
		return errorf("the value is missing")
	case None, Bool, Int, placeholder:
		return nil
	case Float:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return errorf("the value must be a finite number")
		}
		return nil
	case String:
		if len(v) > lim.MaxStringLen {
			return errorf("a string value of %d bytes exceeds the limit of %d bytes", len(v), lim.MaxStringLen)
		}
		if !utf8.ValidString(string(v)) {
			return errorf("a string value is not valid UTF-8")
		}
		return nil
	case List:
		if len(v) > lim.MaxListLen {
			return errorf("a list of %d values exceeds the limit of %d", len(v), lim.MaxListLen)
		}
		for i, item := range v {
			if _, nested := item.(List); nested {
				return errorf("element %d of a list is itself a list; lists inside lists are not allowed", i)
			}
			if err := checkValue(item, lim); err != nil {
				return errorf("element %d of a list: %s", i, err.Message)
			}
		}
		return nil
	default:
		return errorf("unsupported value type %T", v)
	}
}

// makeLeaf checks that v suits op and returns the normalised leaf: '=?' is
// resolved as Odoo does, and a scalar given to a list operator is wrapped in
// a list. Errors concern the value.
func makeLeaf(path []string, op Operator, v Value, lim Limits) (Node, *Error) {
	if err := checkValue(v, lim); err != nil {
		return nil, err
	}
	if _, unknown := v.(placeholder); unknown {
		return Leaf{Path: path, Operator: op, Value: v}, nil
	}
	_, isList := v.(List)
	switch op {
	case opEqualOrUnset:
		if isUnset(v) {
			return True, nil
		}
		op = OpEqual
		fallthrough
	case OpEqual, OpNotEqual:
		if isList {
			return nil, errorf("operator %q compares with one value, got a list; use 'in' or 'not in' for a list", op)
		}
	case OpLess, OpLessOrEqual, OpGreater, OpGreaterOrEqual:
		switch v.(type) {
		case Int, Float, String:
		default:
			return nil, errorf("operator %q needs a number or a string, got %s", op, describeValue(v))
		}
	case OpLike, OpNotLike, OpILike, OpNotILike, OpEqualLike, OpEqualILike:
		if _, ok := v.(String); !ok {
			return nil, errorf("operator %q needs a string, got %s", op, describeValue(v))
		}
	case OpIn, OpNotIn:
		if !isList {
			v = List{v}
		}
	case OpChildOf, OpParentOf:
		if !isList {
			v = List{v}
		}
		for _, item := range v.(List) {
			switch item.(type) {
			case Int, placeholder:
			default:
				return nil, errorf("operator %q needs a record id or a list of ids, got %s", op, describeValue(item))
			}
		}
	default:
		return nil, errorf("unknown operator %s; use one of %s", excerpt(string(op)), operatorList)
	}
	return Leaf{Path: path, Operator: op, Value: v}, nil
}

// normalizeLeaf validates a leaf built in Go (see FromNode) exactly as the
// parsers validate their input, and returns a copy the caller cannot alter.
func normalizeLeaf(l Leaf, lim Limits) (Node, *Error) {
	if len(l.Path) == 0 {
		return nil, errorf("a leaf has no field path")
	}
	if len(l.Path) > maxPathSegments {
		return nil, errorf("a field path follows %d fields; at most %d are allowed", len(l.Path), maxPathSegments)
	}
	for _, seg := range l.Path {
		if err := checkSegment(seg); err != nil {
			return nil, err
		}
	}
	field := strings.Join(l.Path, ".")
	op, err := parseOperator(string(l.Operator))
	if err != nil {
		return nil, errorf("leaf on %q: %s", field, err.Message)
	}
	path := append([]string(nil), l.Path...)
	v := l.Value
	if list, ok := v.(List); ok {
		v = append(List(nil), list...)
	}
	n, err := makeLeaf(path, op, v, lim)
	if err != nil {
		return nil, errorf("leaf on %q: %s", field, err.Message)
	}
	return n, nil
}

// isUnset reports whether v is one of the values '=?' treats as "no filter".
func isUnset(v Value) bool {
	switch v := v.(type) {
	case None:
		return true
	case Bool:
		return !bool(v)
	}
	return false
}
