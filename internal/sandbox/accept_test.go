package sandbox

import (
	"reflect"
	"testing"
	"time"
)

func TestAcceptedExpressions(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	cases := []struct {
		name string
		src  string
		want Value
	}{
		{"int literal", `42`, int64(42)},
		{"double literal", `1.5`, 1.5},
		{"string literal", `"héllo"`, "héllo"},
		{"escaped NUL inside a literal is data", `size("a\x00b")`, int64(3)},
		{"bytes literal", `b"\x00\x01"`, []byte{0, 1}},
		{"null literal", `null`, nil},
		{"bool logic", `active && !(a > 10) || false`, true},
		{"arithmetic", `(a * 4 + 2) / 7 - 1 % 2`, int64(1)},
		{"double arithmetic", `price * 2.0 + 0.5`, 25.5},
		{"mixed numeric comparison", `a < 3.5`, true},
		{"conditional", `a > 1 ? "x" : "y"`, "x"},
		{"list literal", `[1, 2, a]`, []any{int64(1), int64(2), int64(3)}},
		{"map literal", `{"k": a, "s": s}`, map[string]any{"k": int64(3), "s": "Hello"}},
		{"membership", `"vip" in tags`, true},
		{"map membership", `"x" in m`, true},
		{"has on a map field", `has(m.x) && !has(m.y)`, true},
		{"nested dyn access", `m.nested.y`, "z"},
		{"all over declared list", `items.all(i, i.qty > 0)`, true},
		{"exists", `items.exists(i, i.name == "lamp")`, true},
		{"exists_one", `items.exists_one(i, i.qty == 2)`, true},
		{"map macro", `items.map(i, i.qty * 2)`, []any{int64(4), int64(2)}},
		{"filter macro", `items.filter(i, i.price > 100.0).map(i, i.name)`, []any{"desk"}},
		{"line total", `items.map(i, double(i.qty) * i.price)`, []any{300.0, 30.0}},
		{"nested comprehension within limit", `items.all(i, tags.exists(t, size(t) > 0))`, true},
		{"size of string counts code points", `size("héllo")`, int64(5)},
		{"size of list", `size(items)`, int64(2)},
		{"lower", `s.lower()`, "hello"},
		{"upper unicode", `"élan".upper()`, "ÉLAN"},
		{"trim", `name.trim()`, "Ada Lovelace"},
		{"startsWith", `name.trim().startsWith("Ada")`, true},
		{"endsWith", `s.endsWith("lo")`, true},
		{"contains", `s.contains("ell")`, true},
		{"matches", `s.matches("^H[a-z]+$")`, true},
		{"replace", `s.replace("l", "L")`, "HeLLo"},
		{"split", `"a,b,,c".split(",")`, []any{"a", "b", "", "c"}},
		{"join", `tags.join(", ")`, "vip, export"},
		{"string concatenation", `s + " " + name.trim()`, "Hello Ada Lovelace"},
		{"string conversion", `string(a) + "x"`, "3x"},
		{"int conversion", `int("42") + a`, int64(45)},
		{"double conversion", `double(a) / 2.0`, 1.5},
		{"bytes size", `size(raw)`, int64(3)},
		{"timestamp arithmetic", `due + grace`, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"timestamp comparison", `due < timestamp("2026-04-01T00:00:00Z")`, true},
		{"timestamp accessor", `due.getMonth() + 1`, int64(3)},
		{"duration literal", `duration("1h30m")`, 90 * time.Minute},
		{"now from the injected clock", `now()`, time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC)},
		{"today from the injected clock", `today()`, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"overdue check", `now() - due > duration("72h")`, true},
		{"line comment", "a + 1 // add one", int64(4)},
		{"multi-line", "a +\n  1", int64(4)},
		{"list of maps result", `items.filter(i, i.qty == 1)`, []any{map[string]any{"name": "lamp", "qty": int64(1), "price": 30.0}}},
		{"uint literal", `1u + 2u`, uint64(3)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := compileAndEval(sb, tc.src, fixedClock())
			if err != nil {
				t.Fatalf("%q: %v", tc.src, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("%q = %#v, want %#v", tc.src, got, tc.want)
			}
		})
	}
}
