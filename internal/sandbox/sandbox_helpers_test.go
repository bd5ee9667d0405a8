package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"
)

// attackConfig keeps budgets small so attacks hit them quickly; the time
// limit is generous because the tests assert the kind of failure, not speed.
func attackConfig() Config {
	return Config{
		CostLimit:     100_000,
		MemoryLimit:   1 << 16,
		MaxResultSize: 1 << 15,
		TimeLimit:     5 * time.Second,
	}
}

func newTestSandbox(t testing.TB, cfg Config) *Sandbox {
	t.Helper()
	sb, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return sb
}

// testVars are the declarations shared by the table tests.
func testVars() []CompileOption {
	return []CompileOption{
		Variable{Name: "a", Type: TypeInt},
		Variable{Name: "price", Type: TypeDouble},
		Variable{Name: "s", Type: TypeString},
		Variable{Name: "name", Type: TypeString},
		Variable{Name: "active", Type: TypeBool},
		Variable{Name: "raw", Type: TypeBytes},
		Variable{Name: "due", Type: TypeTimestamp},
		Variable{Name: "grace", Type: TypeDuration},
		Variable{Name: "tags", Type: ListOf(TypeString)},
		Variable{Name: "items", Type: ListOf(MapOf(TypeDyn))},
		Variable{Name: "m", Type: MapOf(TypeDyn)},
		Variable{Name: "big", Type: ListOf(TypeInt)},
		Variable{Name: "bigs", Type: TypeString},
	}
}

func testBindings() map[string]any {
	big := make([]int, 1000)
	for i := range big {
		big[i] = i
	}
	return map[string]any{
		"a":      3,
		"price":  12.5,
		"s":      "Hello",
		"name":   "  Ada Lovelace ",
		"active": true,
		"raw":    []byte("abc"),
		"due":    time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		"grace":  72 * time.Hour,
		"tags":   []string{"vip", "export"},
		"items": []map[string]any{
			{"name": "desk", "qty": 2, "price": 150.0},
			{"name": "lamp", "qty": 1, "price": 30.0},
		},
		"m":    map[string]any{"x": 1, "nested": map[string]any{"y": "z"}},
		"big":  big,
		"bigs": strings.Repeat("x", 40_000),
	}
}

func fixedClock() EvalOption {
	return WithClock(func() time.Time { return time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC) })
}

// compileAndEval runs src end to end the way the ERP will.
func compileAndEval(sb *Sandbox, src string, opts ...EvalOption) (Value, error) {
	p, err := sb.Compile(src, testVars()...)
	if err != nil {
		return nil, err
	}
	return p.Eval(context.Background(), testBindings(), opts...)
}
