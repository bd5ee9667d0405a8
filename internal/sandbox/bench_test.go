package sandbox

import (
	"context"
	"testing"
)

const benchCondition = `items.all(i, i.qty > 0) && s.lower().startsWith("he") && a > 1`

func BenchmarkCompile(b *testing.B) {
	sb := newTestSandbox(b, Config{})
	vars := testVars()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sb.Compile(benchCondition, vars...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalCondition(b *testing.B) {
	sb := newTestSandbox(b, Config{})
	vars := []CompileOption{
		Variable{Name: "a", Type: TypeInt},
		Variable{Name: "s", Type: TypeString},
		Variable{Name: "items", Type: ListOf(MapOf(TypeDyn))},
	}
	p, err := sb.Compile(benchCondition, vars...)
	if err != nil {
		b.Fatal(err)
	}
	bindings := map[string]any{
		"a": 3, "s": "Hello",
		"items": []map[string]any{{"qty": 2, "price": 150.0}, {"qty": 1, "price": 30.0}},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ok, err := p.EvalBool(ctx, bindings)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkEvalOverThousandLines measures a comprehension over an order of
// 1000 lines, the size an automation condition may meet.
func BenchmarkEvalOverThousandLines(b *testing.B) {
	sb := newTestSandbox(b, Config{})
	p, err := sb.Compile(`lines.filter(l, l.qty * l.price > 100.0).size()`,
		Variable{Name: "lines", Type: ListOf(MapOf(TypeDyn))})
	if err != nil {
		b.Fatal(err)
	}
	lines := make([]map[string]any, 1000)
	for i := range lines {
		lines[i] = map[string]any{"qty": 1.0 + float64(i%5), "price": float64(i)}
	}
	bindings := map[string]any{"lines": lines}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.EvalInt(ctx, bindings); err != nil {
			b.Fatal(err)
		}
	}
}
