package domain

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// maxExactFloatInt is the largest integer every smaller one of which a float64 holds exactly.
const maxExactFloatInt = 1 << 53

// FromValue validates and normalises a domain decoded from JSON, XML-RPC or
// built in Go: a []any whose elements are the strings "&", "|", "!" and
// leaves []any{field string, operator string, value}. The empty list matches
// everything.
//
// Values may be nil (None), bool, Go integers, float32/float64, json.Number,
// string, a Value, or a list of those scalars ([]any, []string, []int,
// []int64, []float64, List). JSON has one number type, so a float64 with an
// integral value (as encoding/json decodes 7) becomes Int; decode with
// json.Decoder.UseNumber to keep 7.0 a Float.
func FromValue(v any, lim Limits) (Domain, error) {
	lim = lim.withDefaults()
	list, ok := v.([]any)
	if !ok {
		return Domain{}, errorf("a domain must be a list of terms, got %s", describeGo(v))
	}
	if len(list) > lim.MaxTerms {
		return Domain{}, errorf("the domain has %d terms; the limit is %d", len(list), lim.MaxTerms)
	}
	terms := make([]term, len(list))
	for i, item := range list {
		t, err := decodeTerm(item, lim)
		if err != nil {
			err.Term = i
			return Domain{}, err
		}
		t.offset, t.index = -1, i
		terms[i] = t
	}
	root, err := buildTree(terms, lim)
	if err != nil {
		return Domain{}, err
	}
	return Domain{root: root}, nil
}

func decodeTerm(item any, lim Limits) (term, *Error) {
	switch item := item.(type) {
	case string:
		if logicalArity(item) == 0 {
			return term{}, errorf("%s is not a logical operator; use '&', '|' or '!', and write comparisons as [field, operator, value]", excerpt(item))
		}
		return term{logic: item}, nil
	case []any:
		leaf, err := decodeLeaf(item, lim)
		return term{leaf: leaf}, err
	default:
		return term{}, errorf("a term must be '&', '|', '!' or a [field, operator, value] list, got %s", describeGo(item))
	}
}

func decodeLeaf(item []any, lim Limits) (Node, *Error) {
	if len(item) != 3 {
		return nil, errorf("a leaf needs exactly 3 elements [field, operator, value], got %d", len(item))
	}
	opText, ok := item[1].(string)
	if !ok {
		return nil, errorf("the operator must be a string such as '=', got %s", describeGo(item[1]))
	}
	op, err := parseOperator(opText)
	if err != nil {
		return nil, err
	}
	value, err := decodeValue(item[2], lim, true)
	if err != nil {
		return nil, err
	}
	field, isString := item[0].(string)
	if !isString {
		if id, ok := decodeScalar(item[0]); ok {
			return constantLeaf(id, op, value)
		}
		return nil, errorf("the field name must be a string, got %s", describeGo(item[0]))
	}
	path, err := parsePath(field)
	if err != nil {
		return nil, err
	}
	return makeLeaf(path, op, value, lim)
}

// decodeScalar reads a numeric field position, for the constant leaves only.
func decodeScalar(v any) (Value, bool) {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, json.Number, Int, Float:
		val, err := decodeValue(v, DefaultLimits(), false)
		return val, err == nil
	}
	return nil, false
}

// constantLeaf accepts Odoo's (1, '=', 1) and (0, '=', 1).
func constantLeaf(field Value, op Operator, value Value) (Node, *Error) {
	if op == OpEqual && valuesEqual(value, Int(1)) {
		switch {
		case valuesEqual(field, Int(1)):
			return True, nil
		case valuesEqual(field, Int(0)):
			return False, nil
		}
	}
	return nil, errorf("the field name must be a string; only (1, '=', 1) and (0, '=', 1) may start with a number")
}

func decodeValue(v any, lim Limits, listAllowed bool) (Value, *Error) {
	switch v := v.(type) {
	case nil:
		return None{}, nil
	case bool:
		return Bool(v), nil
	case int:
		return Int(v), nil
	case int8:
		return Int(v), nil
	case int16:
		return Int(v), nil
	case int32:
		return Int(v), nil
	case int64:
		return Int(v), nil
	case uint:
		return decodeUint(uint64(v))
	case uint8:
		return Int(v), nil
	case uint16:
		return Int(v), nil
	case uint32:
		return Int(v), nil
	case uint64:
		return decodeUint(v)
	case float32:
		return decodeFloat(float64(v))
	case float64:
		return decodeFloat(v)
	case json.Number:
		return decodeNumber(string(v))
	case string:
		s := String(v)
		return s, checkValue(s, lim)
	case List:
		if !listAllowed {
			return nil, errorf("lists inside lists are not allowed")
		}
		l := append(List(nil), v...)
		return l, checkValue(l, lim)
	case Value:
		return v, checkValue(v, lim)
	}
	if !listAllowed {
		if isGoList(v) {
			return nil, errorf("lists inside lists are not allowed")
		}
		return nil, errorf("unsupported value %s", describeGo(v))
	}
	switch v := v.(type) {
	case []any:
		return decodeList(v, lim)
	case []string:
		return decodeList(v, lim)
	case []int:
		return decodeList(v, lim)
	case []int64:
		return decodeList(v, lim)
	case []float64:
		return decodeList(v, lim)
	}
	return nil, errorf("unsupported value %s", describeGo(v))
}

func decodeList[T any](items []T, lim Limits) (Value, *Error) {
	if len(items) > lim.MaxListLen {
		return nil, errorf("a list of %d values exceeds the limit of %d", len(items), lim.MaxListLen)
	}
	out := make(List, len(items))
	for i, item := range items {
		v, err := decodeValue(item, lim, false)
		if err != nil {
			return nil, errorf("element %d of a list: %s", i, err.Message)
		}
		out[i] = v
	}
	return out, nil
}

func decodeUint(u uint64) (Value, *Error) {
	if u > math.MaxInt64 {
		return nil, errorf("integer %d does not fit in 64 bits", u)
	}
	return Int(u), nil
}

func decodeFloat(f float64) (Value, *Error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errorf("the value must be a finite number")
	}
	if f == math.Trunc(f) && math.Abs(f) <= maxExactFloatInt {
		return Int(f), nil
	}
	return Float(f), nil
}

// decodeNumber keeps the literal's form: 7 is an Int, 7.0 and 7e0 are Floats.
func decodeNumber(s string) (Value, *Error) {
	if !strings.ContainsAny(s, ".eE") {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errorf("integer %s is not a valid 64-bit integer", excerpt(s))
		}
		return Int(i), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, errorf("number %s is not a finite 64-bit float", excerpt(s))
	}
	return Float(f), nil
}

func isGoList(v any) bool {
	switch v.(type) {
	case []any, []string, []int, []int64, []float64:
		return true
	}
	return false
}

// describeGo names the kind of a decoded value for error messages.
func describeGo(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case float32, float64, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "a number"
	case map[string]any:
		return "an object"
	case Value:
		return describeValue(v)
	}
	if isGoList(v) {
		return "a list"
	}
	return "a value of an unsupported type"
}
