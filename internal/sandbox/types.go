package sandbox

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
)

// Type names a value type an expression may see or produce. It is a closed
// set: the scalar constants below, and lists or string-keyed maps of them
// built with ListOf and MapOf. A Type spelt any other way is refused.
type Type string

// The scalar types.
const (
	TypeBool      Type = "bool"
	TypeInt       Type = "int"
	TypeDouble    Type = "double"
	TypeString    Type = "string"
	TypeBytes     Type = "bytes"
	TypeTimestamp Type = "timestamp"
	TypeDuration  Type = "duration"
	// TypeDyn holds any value of the other types, checked at evaluation. It is
	// needed for records whose fields have mixed types (map(string, dyn)).
	TypeDyn Type = "dyn"
)

// maxTypeNesting bounds list(map(list(...))) declarations; ERP data is shallow.
const maxTypeNesting = 8

// ListOf is the type of a list whose elements have type elem.
func ListOf(elem Type) Type { return Type("list(" + string(elem) + ")") }

// MapOf is the type of a map from strings to values of type value.
func MapOf(value Type) Type { return Type("map(string, " + string(value) + ")") }

// celType translates t into CEL's type, refusing anything outside the closed set.
func (t Type) celType() (*cel.Type, error) {
	ct, rest, err := parseType(string(t), 0)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("unknown type %q", string(t))
	}
	return ct, nil
}

func parseType(s string, depth int) (*cel.Type, string, error) {
	if depth > maxTypeNesting {
		return nil, "", fmt.Errorf("type nests deeper than %d levels", maxTypeNesting)
	}
	for _, scalar := range []struct {
		name Type
		typ  *cel.Type
	}{
		{TypeBool, cel.BoolType},
		{TypeInt, cel.IntType},
		{TypeDouble, cel.DoubleType},
		{TypeString, cel.StringType},
		{TypeBytes, cel.BytesType},
		{TypeTimestamp, cel.TimestampType},
		{TypeDuration, cel.DurationType},
		{TypeDyn, cel.DynType},
	} {
		if rest, ok := strings.CutPrefix(s, string(scalar.name)); ok && !startsWithIdentChar(rest) {
			return scalar.typ, rest, nil
		}
	}
	if rest, ok := strings.CutPrefix(s, "list("); ok {
		elem, rest, err := parseType(rest, depth+1)
		if err != nil {
			return nil, "", err
		}
		rest, ok := strings.CutPrefix(rest, ")")
		if !ok {
			return nil, "", fmt.Errorf("unknown type %q", s)
		}
		return cel.ListType(elem), rest, nil
	}
	if rest, ok := strings.CutPrefix(s, "map(string, "); ok {
		value, rest, err := parseType(rest, depth+1)
		if err != nil {
			return nil, "", err
		}
		rest, ok := strings.CutPrefix(rest, ")")
		if !ok {
			return nil, "", fmt.Errorf("unknown type %q", s)
		}
		return cel.MapType(cel.StringType, value), rest, nil
	}
	return nil, "", fmt.Errorf("unknown type %q", s)
}

func startsWithIdentChar(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
