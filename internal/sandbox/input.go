package sandbox

import (
	"fmt"
	"math"
	"reflect"
	"time"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// maxInputDepth bounds nesting in bound values; it also stops a slice that
// contains itself from recursing forever.
const maxInputDepth = 32

// CEL's timestamp range, years 1 to 9999, in Unix seconds.
const (
	minTimestampUnix = -62135596800
	maxTimestampUnix = 253402300799
)

// toCEL converts a plain Go value into the CEL value of declared type t. It
// knows only the closed set of types; anything else (structs, pointers,
// functions, channels) is refused, so no Go method or field is ever exposed.
func toCEL(v any, t *cel.Type, depth int) (ref.Val, error) {
	if depth > maxInputDepth {
		return nil, fmt.Errorf("value nests deeper than %d levels", maxInputDepth)
	}
	switch t.Kind() {
	case types.DynKind:
		return dynToCEL(v, depth)
	case types.BoolKind:
		if b, ok := v.(bool); ok {
			return types.Bool(b), nil
		}
	case types.IntKind:
		if i, ok := asInt64(v); ok {
			return types.Int(i), nil
		}
	case types.DoubleKind:
		if f, ok := asFloat64(v); ok {
			return types.Double(f), nil
		}
	case types.StringKind:
		if s, ok := v.(string); ok {
			if !utf8.ValidString(s) {
				return nil, fmt.Errorf("string is not valid UTF-8")
			}
			return types.String(s), nil
		}
	case types.BytesKind:
		if b, ok := v.([]byte); ok {
			return types.Bytes(append([]byte(nil), b...)), nil
		}
	case types.TimestampKind:
		if ts, ok := v.(time.Time); ok {
			if ts.Unix() < minTimestampUnix || ts.Unix() > maxTimestampUnix {
				return nil, fmt.Errorf("timestamp %s is outside years 1 to 9999", ts.Format(time.RFC3339))
			}
			return types.Timestamp{Time: ts.UTC()}, nil
		}
	case types.DurationKind:
		if d, ok := v.(time.Duration); ok {
			return types.Duration{Duration: d}, nil
		}
	case types.ListKind:
		return listToCEL(v, t.Parameters()[0], depth)
	case types.MapKind:
		return mapToCEL(v, t.Parameters()[1], depth)
	}
	return nil, fmt.Errorf("expected %s, got %s", cel.FormatCELType(t), describe(v))
}

func dynToCEL(v any, depth int) (ref.Val, error) {
	switch x := v.(type) {
	case nil:
		return types.NullValue, nil
	case bool:
		return toCEL(x, cel.BoolType, depth)
	case float32, float64:
		return toCEL(x, cel.DoubleType, depth)
	case string:
		return toCEL(x, cel.StringType, depth)
	case []byte:
		return toCEL(x, cel.BytesType, depth)
	case time.Time:
		return toCEL(x, cel.TimestampType, depth)
	case time.Duration:
		return toCEL(x, cel.DurationType, depth)
	}
	if _, ok := asInt64(v); ok {
		return toCEL(v, cel.IntType, depth)
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return listToCEL(v, cel.DynType, depth)
	case reflect.Map:
		return mapToCEL(v, cel.DynType, depth)
	}
	return nil, fmt.Errorf("unsupported value %s", describe(v))
}

func listToCEL(v any, elem *cel.Type, depth int) (ref.Val, error) {
	rv := reflect.ValueOf(v)
	if v == nil || rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, fmt.Errorf("expected a list, got %s", describe(v))
	}
	if rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, fmt.Errorf("expected a list, got bytes")
	}
	out := make([]ref.Val, rv.Len())
	for i := range out {
		e, err := toCEL(rv.Index(i).Interface(), elem, depth+1)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = e
	}
	return types.NewRefValList(types.DefaultTypeAdapter, out), nil
}

func mapToCEL(v any, value *cel.Type, depth int) (ref.Val, error) {
	rv := reflect.ValueOf(v)
	if v == nil || rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, fmt.Errorf("expected a map with string keys, got %s", describe(v))
	}
	out := make(map[ref.Val]ref.Val, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		key := it.Key().String()
		if !utf8.ValidString(key) {
			return nil, fmt.Errorf("map key is not valid UTF-8")
		}
		e, err := toCEL(it.Value().Interface(), value, depth+1)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		out[types.String(key)] = e
	}
	return types.NewRefValMap(types.DefaultTypeAdapter, out), nil
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

func asFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}

func describe(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}
