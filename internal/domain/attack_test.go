package domain

import (
	"strings"
	"testing"
)

// Text that would execute something if a rule were evaluated as Python must
// be refused with a message naming what was attempted, and the resolver must
// never be asked about anything but plain names.
func TestParseRefusesCode(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		wantErr string
	}{
		{"import call", `__import__('os')`, "names containing '__'"},
		{"import call as value", `[('a', '=', __import__('os').system('id'))]`, "names containing '__'"},
		{"call of a name", `[('a', '=', eval('1'))]`, "calls are not allowed"},
		{"call of an allowed name", `[('a', '=', user.id())]`, "calls are not allowed"},
		{"call at top level", `open('/etc/passwd')`, "must be a list"},
		{"attribute on string", `[('a', '=', ''.join(['x']))]`, "attribute access is not allowed"},
		{"attribute on string at top", `''.join`, "must be a list"},
		{"attribute on number", `[('a', '=', 1 .real)]`, "attribute access is not allowed"},
		{"attribute on float", `[('a', '=', 1.5.hex())]`, "attribute access is not allowed"},
		{"attribute on number literal", `[('a', '=', 1.real)]`, "attribute access is not allowed"},
		{"attribute on list", `[('a', 'in', [1].copy())]`, "attribute access is not allowed"},
		{"attribute on tuple leaf", `[('a', '=', 1).count(1)]`, "attribute access is not allowed"},
		{"dunder attribute", `[('a', '=', user.__class__)]`, "names containing '__'"},
		{"class walk", `[('a', '=', ().__class__.__bases__[0].__subclasses__())]`, "attribute access is not allowed"},
		{"subscript on name", `[('a', 'in', company_ids[0])]`, "subscripts are not allowed"},
		{"subscript on list", `[('a', '=', [1, 2][0])]`, "subscripts are not allowed"},
		{"subscript on string", `[('a', '=', 'abc'[0])]`, "subscripts are not allowed"},
		{"slice", `[('a', 'in', company_ids[:1])]`, "subscripts are not allowed"},
		{"lambda", `[('a', '=', lambda: 1)]`, `keyword "lambda"`},
		{"list comprehension", `[('a', 'in', [x for x in company_ids])]`, `keyword "for"`},
		{"comprehension over known name", `[('a', 'in', [company_id for company_id in company_ids])]`, `keyword "for"`},
		{"generator", `[('a', 'in', (company_id for company_id in company_ids))]`, `keyword "for"`},
		{"conditional expression", `[('a', '=', 1 if True else 2)]`, `keyword "if"`},
		{"boolean operator", `[('a', '=', True or False)]`, `keyword "or"`},
		{"not keyword", `[('a', '=', not False)]`, `keyword "not"`},
		{"in keyword", `[('a', '=', 1 in company_ids)]`, `keyword "in"`},
		{"addition", `[('a', '=', 1+1)]`, "operators such as '+'"},
		{"subtraction", `[('a', '=', 2-1)]`, "operators such as '-'"},
		{"multiplication", `[('a', '=', 'x'*1000000000)]`, "operators such as '*'"},
		{"power", `[('a', '=', 10**100000)]`, "operators such as '*'"},
		{"comparison", `[('a', '=', 1 == 1)]`, "operators such as '='"},
		{"bitwise or", `[('a', '=', 1 | 2)]`, "must be written as a quoted string"},
		{"unary not", `[('a', '=', ~1)]`, "operators such as '~'"},
		{"walrus", `[('a', '=', (x := 1))]`, "':' is not allowed"},
		{"walrus on known name", `[('a', '=', (user.id := 1))]`, "':' is not allowed"},
		{"dict literal", `[('a', '=', {'x': 1})]`, "dictionaries and sets"},
		{"set literal", `[('a', 'in', {1, 2})]`, "dictionaries and sets"},
		{"starred", `[('a', 'in', [*company_ids])]`, "operators such as '*'"},
		{"f-string", `[('a', '=', f'{user.id}')]`, "string prefixes"},
		{"raw string", `[('a', '=', r'\d')]`, "string prefixes"},
		{"byte string", `[('a', '=', b'x')]`, "string prefixes"},
		{"statement separator", `[]; __import__('os')`, "';' is not allowed"},
		{"decorator-like", `@x`, "operators such as '@'"},
		{"backtick", "[('a', '=', `id`)]", "unexpected character '`'"},
		{"unicode lookalike identifier", `[('a', '=', ｕser.id)]`, "unexpected character"},
		{"BOM", "\ufeff[]", "unexpected character"},
		{"ellipsis", `[('a', '=', ...)]`, "expected a value, found '.'"},
		{"keyword import", `[('a', '=', import)]`, `keyword "import"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			resolve := func(name string) (Value, bool) {
				asked = append(asked, name)
				return testResolver(name)
			}
			d, err := Parse(tt.src, resolve, DefaultLimits())
			if err == nil {
				t.Fatalf("Parse(%q) accepted as %s", tt.src, d)
			}
			de := asDomainError(t, err)
			if !strings.Contains(de.Message, tt.wantErr) {
				t.Errorf("Parse(%q) error %q, want it to contain %q", tt.src, de.Message, tt.wantErr)
			}
			if de.Offset < 0 || de.Offset > len(tt.src) {
				t.Errorf("Parse(%q) error offset %d outside the text", tt.src, de.Offset)
			}
			for _, name := range asked {
				if strings.Contains(name, "__") || strings.ContainsAny(name, "()[]'\" ") {
					t.Errorf("resolver was asked about %q", name)
				}
			}
			if err := Validate(tt.src, []string{"user.id", "company_id", "company_ids"}, DefaultLimits()); err == nil {
				t.Errorf("Validate(%q) accepted it", tt.src)
			}
		})
	}
}

// Brackets nest at most three deep in a domain, so absurd nesting fails at
// the first bracket that cannot belong there, without recursion.
func TestParseDeepNestingFailsFast(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"10,000 '['", strings.Repeat("[", 10000)},
		{"10,000 balanced", strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
		{"10,000 '('", "[" + strings.Repeat("(", 10000)},
		{"nested value lists", "[('a', 'in', " + strings.Repeat("[", 10000) + ")]"},
		{"nested parentheses value", "[('a', '=', " + strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000) + ")]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src, testResolver, DefaultLimits())
			if err == nil {
				t.Fatal("accepted")
			}
			if de := asDomainError(t, err); de.Offset > 16 {
				t.Errorf("error at offset %d, want it at the first misplaced bracket: %v", de.Offset, err)
			}
		})
	}
}

// Long prefix chains are within the term limit yet would build a deep tree;
// they are refused by the depth limit, built without recursion.
func TestDeepPrefixChainsHitDepthLimit(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxTerms = 300000
	n := 100000
	tests := []struct {
		name    string
		src     string
		wantErr string
	}{
		{"not chain", "[" + strings.Repeat("'!', ", n) + "('a','=',1)]", "nests 100001 levels deep"},
		{"alternating and/or", "[" + strings.Repeat("'&', ('a','=',1), '|', ('b','=',2), ", n/4) + "('c','=',3)]", "levels deep; the limit is 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim.MaxSourceLen = len(tt.src)
			_, err := Parse(tt.src, nil, lim)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	// A long chain of one operator flattens into a single node and is fine.
	src := "[" + strings.Repeat("'|', ", n) + strings.Repeat("('a','=',1), ", n+1) + "]"
	lim.MaxSourceLen = len(src)
	d, err := Parse(src, nil, lim)
	if err != nil {
		t.Fatalf("flat or-chain refused: %v", err)
	}
	if or, ok := d.Root().(Or); !ok || len(or.Children) != n+1 {
		t.Fatalf("or-chain did not flatten into one Or of %d leaves", n+1)
	}
}

// Injection-looking text in values is preserved byte for byte.
func TestParseKeepsInjectionValuesLiteral(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{`[('name', '=', '1=1')]`, "1=1"},
		{`[('name', '=', "' OR 1=1 --")]`, "' OR 1=1 --"},
		{`[('name', '=', '\' OR \'1\'=\'1')]`, "' OR '1'='1"},
		{`[('name', '=', '/* */')]`, "/* */"},
		{`[('name', '=', 'a\x00b')]`, "a\x00b"},
		{`[('name', '=', '); DROP TABLE res_partner;--')]`, "); DROP TABLE res_partner;--"},
		{`[('name', '=', '__import__("os")')]`, `__import__("os")`},
		{`[('name', '=', 'user.id')]`, "user.id"},
		{`[('name', '=', '\\x00')]`, `\x00`},
	}
	for _, tt := range tests {
		d, err := Parse(tt.src, nil, DefaultLimits())
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.src, err)
			continue
		}
		assertTree(t, d, leaf("name", OpEqual, String(tt.want)))
	}
}

func TestParseRefusesInjectionFieldNames(t *testing.T) {
	fields := []string{
		`name'; DROP TABLE res_partner;--`,
		`name = 1 OR 1`,
		`id) OR (1=1`,
		`name--`,
		`"name"`,
		`name/**/`,
		`name\x00`,
	}
	for _, f := range fields {
		src := "[(" + quotePython(f) + ", '=', 1)]"
		_, err := Parse(src, nil, DefaultLimits())
		if err == nil || !strings.Contains(err.Error(), "invalid field path") {
			t.Errorf("field %q: error %v, want invalid field path", f, err)
		}
	}
}
