// Package money does the exact decimal arithmetic of the business modules: amounts
// are apd decimals, never float64, and are rounded half-up (as accountants and
// Odoo do) to the number of decimals of their currency only where a rule says so.
package money

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// precision is the number of significant digits intermediate results keep; far
// more than any amount needs, so that only explicit rounding loses digits.
const precision = 40

func calc() *apd.Context {
	c := apd.BaseContext.WithPrecision(precision)
	c.Rounding = apd.RoundHalfUp
	return c
}

// Zero returns a new zero amount.
func Zero() *apd.Decimal { return apd.New(0, 0) }

// Int returns n as an amount.
func Int(n int64) *apd.Decimal { return apd.New(n, 0) }

// MustParse reads a literal amount; it panics on bad input and is meant for
// constants in code and tests.
func MustParse(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(fmt.Sprintf("money: bad literal %q: %v", s, err))
	}
	return d
}

// From reads an amount from what the ORM returns or a caller passes: a decimal,
// a string, an integer, or a float64 taken at its shortest decimal form (the digits
// the sender wrote, not the binary value).
func From(v any) (*apd.Decimal, error) {
	var s string
	switch n := v.(type) {
	case *apd.Decimal:
		if n == nil {
			return Zero(), nil
		}
		return new(apd.Decimal).Set(n), nil
	case apd.Decimal:
		return new(apd.Decimal).Set(&n), nil
	case nil, bool:
		if n == true {
			return nil, fmt.Errorf("expected an amount, got true")
		}
		return Zero(), nil
	case int:
		return apd.New(int64(n), 0), nil
	case int64:
		return apd.New(n, 0), nil
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, fmt.Errorf("expected a finite amount")
		}
		s = strconv.FormatFloat(n, 'f', -1, 64)
	case json.Number:
		s = string(n)
	case string:
		s = strings.TrimSpace(n)
	default:
		return nil, fmt.Errorf("expected an amount, got a value of type %T", v)
	}
	if len(s) > 64 {
		return nil, fmt.Errorf("the amount is too long")
	}
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite {
		return nil, fmt.Errorf("expected an amount, got %q", s)
	}
	// The ORM stores no more; bounding here keeps every later operation cheap.
	// Bounding the integer digits too keeps rounding to a currency's decimals within
	// the context's precision (1.0000000E+37 once slipped through with 8 digits).
	if d.NumDigits() > 30 || d.Exponent < -12 || d.NumDigits()+int64(d.Exponent) > 30 {
		return nil, fmt.Errorf("the amount %s has too many digits", s)
	}
	return d, nil
}

// Round rounds d half-up to digits decimals.
func Round(d *apd.Decimal, digits int) *apd.Decimal {
	out := new(apd.Decimal)
	if _, err := calc().Quantize(out, d, -int32(digits)); err != nil {
		panic(fmt.Sprintf("money: round %s to %d digits: %v", d, digits, err))
	}
	return out
}

// Decimals returns how many digits d has after the decimal point, ignoring
// trailing zeros: 1.50 has 1.
func Decimals(d *apd.Decimal) int {
	r := new(apd.Decimal)
	r.Reduce(d)
	if r.Exponent >= 0 {
		return 0
	}
	return int(-r.Exponent)
}

func op(f func(c *apd.Context, out *apd.Decimal) (apd.Condition, error)) *apd.Decimal {
	out := new(apd.Decimal)
	if _, err := f(calc(), out); err != nil {
		panic(fmt.Sprintf("money: %v", err))
	}
	return out
}

// Add returns a + b.
func Add(a, b *apd.Decimal) *apd.Decimal {
	return op(func(c *apd.Context, o *apd.Decimal) (apd.Condition, error) { return c.Add(o, a, b) })
}

// Sub returns a - b.
func Sub(a, b *apd.Decimal) *apd.Decimal {
	return op(func(c *apd.Context, o *apd.Decimal) (apd.Condition, error) { return c.Sub(o, a, b) })
}

// Mul returns a × b.
func Mul(a, b *apd.Decimal) *apd.Decimal {
	return op(func(c *apd.Context, o *apd.Decimal) (apd.Condition, error) { return c.Mul(o, a, b) })
}

// Div returns a ÷ b with 40 significant digits; b must not be zero.
func Div(a, b *apd.Decimal) *apd.Decimal {
	return op(func(c *apd.Context, o *apd.Decimal) (apd.Condition, error) { return c.Quo(o, a, b) })
}

// Neg returns -a.
func Neg(a *apd.Decimal) *apd.Decimal { return new(apd.Decimal).Neg(a) }

// Abs returns |a|.
func Abs(a *apd.Decimal) *apd.Decimal { return new(apd.Decimal).Abs(a) }

// Sum adds amounts.
func Sum(ds ...*apd.Decimal) *apd.Decimal {
	out := Zero()
	for _, d := range ds {
		out = Add(out, d)
	}
	return out
}

// Cmp compares a and b: -1, 0 or 1.
func Cmp(a, b *apd.Decimal) int { return a.Cmp(b) }

// IsZero reports whether d is zero.
func IsZero(d *apd.Decimal) bool { return d.IsZero() }

// Sign returns -1, 0 or 1.
func Sign(d *apd.Decimal) int { return d.Sign() }

// Max returns the larger of a and b.
func Max(a, b *apd.Decimal) *apd.Decimal {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

// Min returns the smaller of a and b.
func Min(a, b *apd.Decimal) *apd.Decimal {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

// Format writes d with exactly digits decimals, e.g. 1234.50 for 2.
func Format(d *apd.Decimal, digits int) string { return Round(d, digits).Text('f') }

// Percent returns d × rate ÷ 100.
func Percent(d, rate *apd.Decimal) *apd.Decimal { return Div(Mul(d, rate), Int(100)) }
