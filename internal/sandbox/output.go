package sandbox

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// Value is the result of an evaluation, always one of: nil, bool, int64,
// uint64, float64, string, []byte, time.Time (UTC), time.Duration, []any or
// map[string]any whose elements are again Values. No CEL type leaks out.
type Value = any

// resultConverter turns a CEL result into a Value while counting its size,
// so a result larger than the budget is refused rather than copied whole.
type resultConverter struct {
	remaining int
	limit     int
}

func (c *resultConverter) spend(n int) error {
	c.remaining -= n
	if c.remaining < 0 {
		return newError(ErrBudget, "the result is larger than the limit of %d", c.limit)
	}
	return nil
}

func (c *resultConverter) convert(v ref.Val) (Value, error) {
	switch x := v.(type) {
	case types.Null:
		return nil, c.spend(1)
	case types.Bool:
		return bool(x), c.spend(1)
	case types.Int:
		return int64(x), c.spend(1)
	case types.Uint:
		return uint64(x), c.spend(1)
	case types.Double:
		return float64(x), c.spend(1)
	case types.String:
		return string(x), c.spend(max(1, len(x)))
	case types.Bytes:
		if err := c.spend(max(1, len(x))); err != nil {
			return nil, err
		}
		return append([]byte(nil), x...), nil
	case types.Timestamp:
		return x.Time.UTC(), c.spend(1)
	case types.Duration:
		return x.Duration, c.spend(1)
	case traits.Mapper:
		return c.convertMap(x)
	case traits.Lister:
		return c.convertList(x)
	}
	return nil, newError(ErrType, "the expression yields a %s, which is not a value the ERP can store", v.Type().TypeName())
}

func (c *resultConverter) convertList(l traits.Lister) (Value, error) {
	size, ok := l.Size().(types.Int)
	if !ok {
		return nil, newError(ErrEval, "list has no size")
	}
	if err := c.spend(int(size) + 1); err != nil {
		return nil, err
	}
	out := make([]any, 0, size)
	for it := l.Iterator(); it.HasNext() == types.True; {
		e, err := c.convert(it.Next())
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (c *resultConverter) convertMap(m traits.Mapper) (Value, error) {
	size, ok := m.Size().(types.Int)
	if !ok {
		return nil, newError(ErrEval, "map has no size")
	}
	if err := c.spend(int(size) + 1); err != nil {
		return nil, err
	}
	out := make(map[string]any, size)
	for it := m.Iterator(); it.HasNext() == types.True; {
		k := it.Next()
		key, ok := k.(types.String)
		if !ok {
			return nil, newError(ErrType, "the result is a map with %s keys; only string keys are supported", k.Type().TypeName())
		}
		if err := c.spend(len(key)); err != nil {
			return nil, err
		}
		v, found := m.Find(k)
		if !found {
			return nil, newError(ErrEval, "map key %q vanished during conversion", string(key))
		}
		e, err := c.convert(v)
		if err != nil {
			return nil, err
		}
		out[string(key)] = e
	}
	return out, nil
}

// storableType reports whether values of CEL type t convert to a Value; it is
// checked at compile time so an expression that yields a type or a map with
// int keys is refused when saved.
func storableType(t *cel.Type) error {
	switch t.Kind() {
	case types.NullTypeKind, types.BoolKind, types.IntKind, types.UintKind, types.DoubleKind,
		types.StringKind, types.BytesKind, types.TimestampKind, types.DurationKind, types.DynKind:
		return nil
	case types.ListKind:
		return storableType(t.Parameters()[0])
	case types.MapKind:
		key := t.Parameters()[0].Kind()
		if key != types.StringKind && key != types.DynKind {
			return fmt.Errorf("a map with %s keys; only string keys are supported", cel.FormatCELType(t.Parameters()[0]))
		}
		return storableType(t.Parameters()[1])
	}
	return fmt.Errorf("a %s, which is not a value the ERP can store", cel.FormatCELType(t))
}
