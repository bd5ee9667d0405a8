package account

import (
	"context"
	"fmt"
)

// lookups memoises, for the duration of one business action, the reference data
// that computations read again and again (currency decimals, company settings,
// tax definitions). It travels in the context the ORM hands to computed fields,
// so it lives no longer than the action that created it.
type lookups struct {
	values map[string]any
}

type lookupsKey struct{}

// WithLookups returns ctx carrying a fresh memo; actions and computations call
// it on entry (a ctx that already carries one keeps it).
func WithLookups(ctx context.Context) context.Context {
	if _, ok := ctx.Value(lookupsKey{}).(*lookups); ok {
		return ctx
	}
	return context.WithValue(ctx, lookupsKey{}, &lookups{values: map[string]any{}})
}

// memo returns the cached value of key, computing it with fn on first use. Without
// a memo in ctx it just calls fn.
func memo[T any](ctx context.Context, key string, id int64, fn func() (T, error)) (T, error) {
	l, ok := ctx.Value(lookupsKey{}).(*lookups)
	if !ok {
		return fn()
	}
	k := fmt.Sprintf("%s/%d", key, id)
	if v, ok := l.values[k]; ok {
		return v.(T), nil
	}
	v, err := fn()
	if err == nil {
		l.values[k] = v
	}
	return v, err
}
