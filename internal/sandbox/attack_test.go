package sandbox

import (
	"errors"
	"strings"
	"testing"
)

// TestAttacksAreRefused is the attack corpus: the classes of input Odoo's
// safe_eval refuses, the resource attacks a cost budget exists for, and
// source-level tricks. Each must fail with the stated kind and no value.
func TestAttacksAreRefused(t *testing.T) {
	sb := newTestSandbox(t, attackConfig())
	nested := func(open, inner, close string, n int) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	cases := []struct {
		name string
		src  string
		want error
	}{
		// Reflection and attribute access.
		{"dunder class on int", `a.__class__`, ErrType},
		{"dunder subclasses on undeclared", `x.__subclasses__()`, ErrType},
		{"python tuple class chain", `().__class__.__bases__[0].__subclasses__()`, ErrSyntax},
		{"getattr", `getattr(a, "__class__")`, ErrType},
		{"type of value", `type(a)`, ErrType},
		{"type comparison", `type(a) == int`, ErrType},
		{"type identifier as value", `int`, ErrType},
		{"dyn escape", `dyn(a).foo`, ErrType},
		{"dunder on map is only a missing key", `m.__class__`, ErrEval},
		{"protobuf message construction", `google.protobuf.Any{type_url: "x", value: b"\x08\x01"}`, ErrType},
		{"protobuf wrapper construction", `google.protobuf.Int64Value{value: 1}`, ErrType},
		{"protobuf enum", `google.protobuf.NullValue.NULL_VALUE`, ErrType},
		{"method on wrong type", `a.lower()`, ErrType},

		// Unknown functions and modules.
		{"open file", `open("/etc/passwd")`, ErrType},
		{"exec", `exec("import os")`, ErrType},
		{"import keyword", `import("os")`, ErrSyntax},
		{"eval", `eval("1 + 1")`, ErrType},
		{"dunder import", `__import__("os").system("id")`, ErrType},
		{"module attribute", `os.system("id")`, ErrType},
		{"lambda", `lambda: 1`, ErrSyntax},
		{"assignment", `a = 1`, ErrSyntax},
		{"statement sequence", `a; open("x")`, ErrSyntax},

		// Undeclared names and presence tests.
		{"undeclared variable", `secret + 1`, ErrType},
		{"undeclared qualified name", `env.HOME`, ErrType},
		{"has on undeclared variable", `has(nope.field)`, ErrType},
		{"has on scalar", `has(a.field)`, ErrType},
		{"has on literal", `has(1)`, ErrSyntax},
		{"comprehension variable not a name", `[1].all(1, true)`, ErrSyntax},
		{"optional syntax is off", `m.?x`, ErrSyntax},

		// Resource attacks.
		{"comprehension nested past the limit", `[1].map(x, [1].map(y, [1].map(z, [1].map(w, w))))`, ErrBudget},
		{"range blow-up over a large list", `big.map(x, big.map(y, big.map(z, x + y + z))).size() > 0`, ErrBudget},
		{"quadratic product", `big.map(x, big.filter(y, y > x)).size()`, ErrBudget},
		{"literal range blow-up", literalBlowUp(), ErrBudget},
		{"1000 nested parentheses", nested("(", "1", ")", 1000), ErrBudget},
		{"deep list literal", nested("[", "1", "]", 500), ErrBudget},
		{"deep map literal", nested(`{"k": `, "1", "}", 300), ErrBudget},
		{"deep logical not", nested("!(", "active", ")", 500), ErrBudget},
		{"deep arithmetic nesting", nested("(a + ", "1", ")", 200), ErrBudget},
		{"deep conditional", strings.Repeat("true ? ", 500) + "1" + strings.Repeat(" : 0", 500), ErrBudget},
		{"long call chain", "s" + strings.Repeat(".lower()", 400), ErrBudget},
		{"very long expression", "1" + strings.Repeat(" + 1", 5000), ErrBudget},
		{"string doubling by concatenation", "bigs + bigs", ErrBudget},
		{"string growth inside a comprehension", `big.map(x, bigs).size()`, ErrBudget},
		{"replace blow-up", `s.replace("", bigs)`, ErrBudget},
		{"join blow-up", `[bigs, bigs, bigs].join(bigs)`, ErrBudget},
		{"split into characters", `bigs.split("").size()`, ErrBudget},
		{"case mapping of a huge string", `(bigs + bigs).upper()`, ErrBudget},
		{"result larger than allowed", `bigs`, ErrBudget},
		{"string repetition operator", `"a" * 100000`, ErrType},
		{"list repetition operator", `[1] * 100000`, ErrType},

		// Type confusion.
		{"int plus string", `1 + "a"`, ErrType},
		{"bool plus int", `true + 1`, ErrType},
		{"list compared to int", `[1, 2] < 3`, ErrType},
		{"list equals int", `[1] == 1`, ErrType},
		{"string index", `"abc"[0]`, ErrType},
		{"bytes plus string", `raw + "b"`, ErrType},
		{"map with int keys as result", `{1: 2}`, ErrType},
		{"bad timestamp literal", `timestamp("yesterday")`, ErrType},
		{"bad regex literal", `s.matches("(")`, ErrType},

		// Arithmetic failures.
		{"division by zero", `1 / 0`, ErrEval},
		{"modulo by zero", `a % 0`, ErrEval},
		{"integer overflow", `9223372036854775807 + a`, ErrEval},
		{"integer underflow", `-9223372036854775807 - a`, ErrEval},
		{"double to int out of range", `int(1e300)`, ErrEval},
		{"index out of range", `tags[5]`, ErrEval},
		{"missing map key", `m["nope"]`, ErrEval},
		{"now without a clock", `now()`, ErrEval},
		{"time zone name as a path", `due.getHours("../../../../etc/passwd")`, ErrEval},
		{"time zone name as an absolute path", `due.getHours("/etc/passwd")`, ErrEval},
		{"function name as value", `now`, ErrType},

		// Source-level tricks.
		{"NUL byte", "a > 1\x00", ErrSyntax},
		{"NUL byte inside a string literal", "\"a\x00b\"", ErrSyntax},
		{"invalid UTF-8", "\"\xff\xfe\"", ErrSyntax},
		{"Cyrillic look-alike identifier", "\u0430 > 1", ErrSyntax},
		{"Greek look-alike identifier", "\u03bfpen(\"x\")", ErrSyntax},
		{"fullwidth digit", "\uff11 + 1", ErrSyntax},
		{"right-to-left override", "a > 1 \u202e || true", ErrSyntax},
		{"zero-width space in identifier", "a\u200b > 1", ErrSyntax},
		{"escape character", "a\x1b[2J > 1", ErrSyntax},
		{"block comment", `/* hidden */ 1`, ErrSyntax},
		{"line comment ends at newline", "1 // harmless\n + open(\"x\")", ErrType},
	}
	if len(cases) < 30 {
		t.Fatalf("the corpus must hold at least 30 attacks, has %d", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := compileAndEval(sb, tc.src)
			if err == nil {
				t.Fatalf("%.80q was accepted and yielded %#v", tc.src, got)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("%.80q: got %v, want kind %v", tc.src, err, tc.want)
			}
			if got != nil {
				t.Errorf("a refused expression must yield no value, got %#v", got)
			}
			var e *Error
			if !errors.As(err, &e) || e.Message == "" {
				t.Errorf("error %v carries no message for the user", err)
			}
		})
	}
}

// literalBlowUp nests three comprehensions over a 100-element literal list,
// a million steps written in a few hundred bytes.
func literalBlowUp() string {
	var b strings.Builder
	b.WriteString("[")
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("0")
	}
	b.WriteString("]")
	r := b.String()
	return r + ".map(x, " + r + ".map(y, " + r + ".map(z, x + y + z))).size()"
}
