package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

// FuzzCompileEval feeds arbitrary source through Compile and Eval. Whatever
// the input, the sandbox must not panic, must fail only with one of its
// error kinds, must return plain Go values, and must finish well within a
// bound derived from its time limit (a hang guard, not a speed test).
func FuzzCompileEval(f *testing.F) {
	seeds := []string{
		`a > 1 ? "x" : "y"`,
		`items.all(i, i.qty > 0)`,
		`items.map(i, double(i.qty) * i.price).exists(t, t > 100.0)`,
		`s.lower().replace("l", "L").split("L").join("-")`,
		`now() - due > duration("72h") && today() > due`,
		`{"k": [1, 2u, 3.0, b"x", null, true]}`,
		`m.nested.y + string(a)`,
		`has(m.x) ? m.x : 0`,
		`tags.filter(t, t.matches("^v")).size()`,
		`big.map(x, big.map(y, x * y)).size()`,
		`[1,2,3].map(x, [1,2,3].map(y, [1,2,3].map(z, [1,2,3].map(w, 1))))`,
		`((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))`,
		`a.__class__`,
		`1 / 0`,
		`9223372036854775807 + a`,
		"\"\xff\"",
		"a\x00",
		"\u0430 > 1",
		`/* */ 1`,
		`timestamp("2026-01-01T00:00:00Z") + duration("1h")`,
		`int(price) % 0`,
		`s.matches("(a+)+$")`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	cfg := Config{CostLimit: 50_000, MemoryLimit: 1 << 16, MaxResultSize: 1 << 14, TimeLimit: 50 * time.Millisecond}
	sb, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	vars := testVars()
	bindings := fuzzBindings()
	clock := fixedClock()
	hangGuard := cfg.TimeLimit + 2*time.Second

	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		p, err := sb.Compile(src, vars...)
		if err != nil {
			checkErrorKind(t, src, err)
			return
		}
		got, err := p.Eval(context.Background(), bindings, clock)
		if elapsed := time.Since(start); elapsed > hangGuard {
			t.Fatalf("%q took %s, beyond the %s time limit", src, elapsed, cfg.TimeLimit)
		}
		if err != nil {
			checkErrorKind(t, src, err)
			return
		}
		if !isPlainValue(got, 0) {
			t.Fatalf("%q yielded a non-plain value %#v (%T)", src, got, got)
		}
	})
}

// fuzzBindings are small so each fuzz run spends its time in the expression.
func fuzzBindings() map[string]any {
	b := testBindings()
	b["big"] = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	b["bigs"] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	return b
}

func checkErrorKind(t *testing.T, src string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %v (%T) is not a sandbox error", src, err, err)
	}
	for _, kind := range []error{ErrSyntax, ErrType, ErrBudget, ErrEval} {
		if errors.Is(err, kind) {
			return
		}
	}
	t.Fatalf("%q: error %v has no expression error kind", src, err)
}

func isPlainValue(v Value, depth int) bool {
	if depth > 64 {
		return false
	}
	switch x := v.(type) {
	case nil, bool, int64, uint64, float64, string, []byte, time.Time, time.Duration:
		return true
	case []any:
		for _, e := range x {
			if !isPlainValue(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !isPlainValue(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}
