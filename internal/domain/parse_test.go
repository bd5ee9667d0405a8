package domain

import (
	"math"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	a1 := leaf("a", OpEqual, Int(1))
	b2 := leaf("b", OpEqual, Int(2))
	c3 := leaf("c", OpEqual, Int(3))
	tests := []struct {
		name string
		src  string
		want Node
	}{
		{"empty list", `[]`, True},
		{"empty with spaces", " \n[ ]\t", True},
		{"Odoo multi-company rule", `['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]`,
			or(leaf("company_id", OpEqual, Bool(false)), leaf("company_id", OpIn, List{Int(1), Int(2)}))},
		{"user.id name", `[('user_id', '=', user.id)]`, leaf("user_id", OpEqual, Int(7))},
		{"deeper dotted name", `[('partner_id', 'child_of', [user.partner_id.id])]`, leaf("partner_id", OpChildOf, List{Int(3)})},
		{"name resolving to None", `[('login', '=', user.login)]`, leaf("login", OpEqual, None{})},
		{"implicit and", `[('a','=',1), ('b','=',2), ('c','=',3)]`, and(a1, b2, c3)},
		{"tuples and lists as leaves", `[['a','=',1], ('b','=',2)]`, and(a1, b2)},
		{"trailing commas", `[('a','=',1,), ('b','=',2),]`, and(a1, b2)},
		{"nested ! | &", `['!', '|', '&', ('a','=',1), ('b','=',2), ('c','=',3)]`, not(or(and(a1, b2), c3))},
		{"or then implicit and", `['|', ('a','=',1), ('b','=',2), ('c','=',3)]`, and(or(a1, b2), c3)},
		{"dotted field path", `[('partner_id.country_id.code', '=', 'BE')]`, leaf("partner_id.country_id.code", OpEqual, String("BE"))},
		{"TRUE leaf", `[(1, '=', 1)]`, True},
		{"FALSE leaf", `[(0, '=', 1)]`, False},
		{"TRUE leaf in or", `['|', (1, '=', 1), ('a','=',1)]`, True},
		{"FALSE leaf in and", `[('a','=',1), (0, '=', 1)]`, False},
		{"alias <>", `[('a', '<>', 1)]`, leaf("a", OpNotEqual, Int(1))},
		{"scalar wrapped for in", `[('id', 'in', 5)]`, leaf("id", OpIn, List{Int(5)})},
		{"name scalar wrapped for in", `[('user_id', 'in', user.id)]`, leaf("user_id", OpIn, List{Int(7)})},
		{"names inside a list", `[('user_id', 'in', [user.id, False])]`, leaf("user_id", OpIn, List{Int(7), Bool(false)})},
		{"tuple value", `[('id', 'in', (1, 2))]`, leaf("id", OpIn, List{Int(1), Int(2)})},
		{"one-element tuple", `[('id', 'in', (1,))]`, leaf("id", OpIn, List{Int(1)})},
		{"parenthesised scalar is the scalar", `[('id', '=', (1))]`, leaf("id", OpEqual, Int(1))},
		{"parenthesised name is its value", `[('id', 'in', (company_ids))]`, leaf("id", OpIn, List{Int(1), Int(2)})},
		{"empty tuple", `[('id', 'not in', ())]`, leaf("id", OpNotIn, List{})},
		{"None and False differ", `[('a','=',None), ('b','=',False)]`, and(leaf("a", OpEqual, None{}), leaf("b", OpEqual, Bool(false)))},
		{"True value", `[('active','=',True)]`, leaf("active", OpEqual, Bool(true))},
		{"negative int", `[('a','>',-5)]`, leaf("a", OpGreater, Int(-5))},
		{"min int64", `[('a','>',-9223372036854775808)]`, leaf("a", OpGreater, Int(math.MinInt64))},
		{"zero", `[('a','=',0)]`, leaf("a", OpEqual, Int(0))},
		{"float", `[('a','<',2.5)]`, leaf("a", OpLess, Float(2.5))},
		{"float forms", `[('a','in',[1., .5, -.5, 1e3, 1E-3, 2.5e+2])]`, leaf("a", OpIn, List{Float(1), Float(0.5), Float(-0.5), Float(1000), Float(0.001), Float(250)})},
		{"negative zero float", `[('a','=',-0.0)]`, leaf("a", OpEqual, Float(math.Copysign(0, -1)))},
		{"double-quoted string", `[("name", "ilike", "it's")]`, leaf("name", OpILike, String("it's"))},
		{"escapes", `[('a','=','\\ \' \" \n \t \r \x41 \u00e9 \u65e5')]`, leaf("a", OpEqual, String("\\ ' \" \n \t \r A é 日"))},
		{"escaped NUL", `[('a','=','x\x00y')]`, leaf("a", OpEqual, String("x\x00y"))},
		{"raw UTF-8 and tab in string", "[('a','=','日本\tx')]", leaf("a", OpEqual, String("日本\tx"))},
		{"upper-case operator", `[('name','NOT ILIKE','x')]`, leaf("name", OpNotILike, String("x"))},
		{"=? with name", `[('company_id', '=?', company_id)]`, leaf("company_id", OpEqual, Int(1))},
		{"=? with False", `[('company_id', '=?', False)]`, True},
		{"multi-line rule", "[\n    '|',\n        ('user_id', '=', user.id),\n        ('user_id', '=', False),\n]\n",
			or(leaf("user_id", OpEqual, Int(7)), leaf("user_id", OpEqual, Bool(false)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.src, testResolver, DefaultLimits())
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.src, err)
			}
			assertTree(t, d, tt.want)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		wantOffset int
		wantErr    string
	}{
		{"empty text", ``, 0, "must be a list starting with '['"},
		{"tuple at top", `(('a','=',1),)`, 0, "not a tuple"},
		{"string at top", `'a'`, 0, "must be a list"},
		{"unclosed domain", `[('a','=',1)`, 12, "the domain list opened at offset 0 is never closed"},
		{"unclosed after comma", `[('a','=',1),`, 13, "unterminated domain list"},
		{"unclosed leaf", `[('a','=',1`, 11, "the leaf opened at offset 1 is never closed"},
		{"text after domain", `[], []`, 2, "after the end of the domain list"},
		{"subscript on domain", `[][0]`, 2, "subscripts are not allowed"},
		{"wrong arity or", `['|', ('a','=',1)]`, 1, `operator "|" needs 2 operands after it, found 1`},
		{"wrong arity not", `[('a','=',1), '!']`, 14, `operator "!" needs 1 operands`},
		{"unknown logical", `['^', ('a','=',1)]`, 1, "not a logical operator"},
		{"unknown operator", `[('a', 'lik', 1)]`, 7, `unknown operator "lik"`},
		{"operator not a string", `[('a', 1, 1)]`, 7, "operator must be a quoted string"},
		{"bare logical operator", `[|, ('a','=',1), ('b','=',1)]`, 1, `'|' must be written as a quoted string`},
		{"leaf of 2", `[('a', '=')]`, 10, "found 2"},
		{"leaf of 1", `[('a',)]`, 6, "found 1"},
		{"leaf of 0", `[()]`, 2, "found 0"},
		{"leaf of 4", `[('a', '=', 1, 2)]`, 15, "exactly 3 elements"},
		{"field not a string", `[(True, '=', 1)]`, 2, "field name as a quoted string"},
		{"field is a name", `[(user.id, '=', 1)]`, 2, `found name "user.id"`},
		{"numeric field not constant", `[(2, '=', 1)]`, 2, "only (1, '=', 1) and (0, '=', 1)"},
		{"constant with wrong value", `[(1, '=', 2)]`, 2, "only (1, '=', 1)"},
		{"bad field path", `[('Name', '=', 1)]`, 2, "invalid field path"},
		{"value shape", `[('a', 'like', 5)]`, 15, "needs a string"},
		{"child_of name of wrong kind", `[('a', 'child_of', user.name)]`, 19, "needs a record id"},
		{"list inside list", `[('a', 'in', [[1]])]`, 14, "lists inside lists"},
		{"list name inside list", `[('a', 'in', [company_ids])]`, 14, "this name is a list"},
		{"unknown name", `[('a', '=', usr.id)]`, 12, `unknown name "usr.id"`},
		{"name as term", `[user]`, 1, "expected an operator"},
		{"missing comma between leaves", `[('a','=',1) ('b','=',2)]`, 13, "calls are not allowed"},
		{"missing comma in leaf", `[('a' '=', 1)]`, 6, "unexpected string"},
		{"empty element", `[('a',,'=',1)]`, 6, "operator must be a quoted string"},
		{"leading comma", `[,]`, 1, "expected an operator"},
		{"unterminated string", `[('a', '=', 'abc)]`, 12, "unterminated string"},
		{"string across lines", "[('a', '=', 'ab\ncd')]", 12, "line break"},
		{"invalid escape", `[('a', '=', 'a\qb')]`, 14, `invalid escape \q`},
		{"octal escape", `[('a', '=', '\0')]`, 13, `invalid escape \0`},
		{"short hex escape", `[('a', '=', '\x4')]`, 13, `\x needs 2 hex digits`},
		{"bad hex escape", `[('a', '=', '\xzz')]`, 13, `\x needs 2 hex digits`},
		{"bad unicode escape", `[('a', '=', '\u12')]`, 13, `\u needs 4 hex digits`},
		{"surrogate escape", `[('a', '=', '\ud800')]`, 13, "surrogate"},
		{"raw NUL in string", "[('a', '=', 'a\x00b')]", 14, "raw NUL"},
		{"invalid UTF-8", "[('a', '=', '\xff')]", 13, "not valid UTF-8"},
		{"triple quotes", `[('a', '=', '''x''')]`, 12, "triple-quoted"},
		{"bytes prefix", `[('a', '=', b'x')]`, 12, "string prefixes"},
		{"f-string", `[('a', '=', f'{x}')]`, 12, "string prefixes"},
		{"hex number", `[('a', '=', 0x1F)]`, 12, "only decimal numbers"},
		{"digit separator", `[('a', '=', 1_000)]`, 12, "digit separators"},
		{"complex number", `[('a', '=', 1j)]`, 12, "only decimal numbers"},
		{"leading zero", `[('a', '=', 007)]`, 12, "leading zeros"},
		{"int overflow", `[('a', '=', 9223372036854775808)]`, 12, "does not fit in 64 bits"},
		{"float overflow", `[('a', '=', 1e999)]`, 12, "out of range"},
		{"bad exponent", `[('a', '=', 1e)]`, 12, "malformed exponent"},
		{"spaced minus", `[('a', '=', - 1)]`, 12, "operators such as '-'"},
		{"dict", `[('a', '=', {})]`, 12, "dictionaries and sets"},
		{"comment", "[('a', '=', 1)] # x", 16, "comments are not supported"},
		{"semicolon", `[]; import os`, 2, "';' is not allowed"},
		{"line continuation", "[('a', '=', \\\n1)]", 12, "backslash"},
		{"non-ASCII outside strings", `[('a', '=', é)]`, 12, "unexpected character 'é'"},
		{"control character", "[('a', '=', \x01)]", 12, "control character"},
		{"True as attribute", `[('a', '=', user.True)]`, 17, "cannot be part of a dotted name"},
		{"dangling dot", `[('a', '=', user.)]`, 16, "attribute access is not allowed"},
		{"spaced attribute", `[('a', '=', user .id)]`, 17, "attribute access is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.src, testResolver, DefaultLimits())
			if err == nil {
				t.Fatalf("Parse(%q) accepted as %s", tt.src, d)
			}
			de := asDomainError(t, err)
			if !strings.Contains(de.Message, tt.wantErr) {
				t.Errorf("Parse(%q) error %q, want it to contain %q", tt.src, de.Message, tt.wantErr)
			}
			if de.Offset != tt.wantOffset {
				t.Errorf("Parse(%q) error at offset %d, want %d (%v)", tt.src, de.Offset, tt.wantOffset, err)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	lim := Limits{MaxTerms: 4, MaxDepth: 3, MaxListLen: 2, MaxStringLen: 4, MaxSourceLen: 100}
	tests := []struct {
		name    string
		src     string
		wantErr string
	}{
		{"source", "[" + strings.Repeat(" ", 100) + "]", "102 bytes; the limit is 100"},
		{"terms", `[('a','=',1), ('a','=',1), ('a','=',1), ('a','=',1), ('a','=',1)]`, "more than 4 terms"},
		{"depth", `['!', '!', '!', ('a','=',1)]`, "nests 4 levels deep; the limit is 3"},
		{"list", `[('a','in',[1,2,3])]`, "more than 2 elements"},
		{"string", `[('a','=','12345')]`, "exceeds the limit of 4 bytes"},
		{"escaped string", `[('a','=','\x41\x41\x41\x41\x41')]`, "exceeds the limit of 4 bytes"},
		{"multi-byte string", `[('a','=','ééé')]`, "exceeds the limit of 4 bytes"},
		{"resolved list", `[('a','in',company_ids)]`, "exceeds the limit of 2"},
	}
	wide := func(name string) (Value, bool) {
		if name == "company_ids" {
			return List{Int(1), Int(2), Int(3)}, true
		}
		return nil, false
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src, wide, lim)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	atLimits := `['!', '!', ('a','in',[1,2])]`
	if _, err := Parse(atLimits, nil, lim); err != nil {
		t.Errorf("domain at the limits refused: %v", err)
	}
}

func TestParseRefusesMegabyteString(t *testing.T) {
	src := "[('name', '=', '" + strings.Repeat("A", 1<<20) + "')]"
	_, err := Parse(src, nil, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "the limit is 262144") {
		t.Fatalf("1 MiB text: error %v, want the source limit", err)
	}
	roomy := DefaultLimits()
	roomy.MaxSourceLen = 2 << 20
	_, err = Parse(src, nil, roomy)
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit of 65536 bytes") {
		t.Fatalf("1 MiB string: error %v, want the string limit", err)
	}
}

func TestParseResolverValuesAreChecked(t *testing.T) {
	tests := []struct {
		name    string
		value   Value
		wantErr string
	}{
		{"nil", nil, "has no value"},
		{"nested list", List{List{}}, "lists inside lists"},
		{"NaN", Float(math.NaN()), "finite"},
		{"invalid UTF-8", String("\xff"), "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolve := func(string) (Value, bool) { return tt.value, true }
			_, err := Parse(`[('a', 'in', x)]`, resolve, DefaultLimits())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if de := asDomainError(t, err); de.Offset != 13 {
				t.Errorf("offset %d, want 13", de.Offset)
			}
		})
	}
}

func TestParseNilResolverKnowsNoNames(t *testing.T) {
	_, err := Parse(`[('user_id', '=', user.id)]`, nil, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), `unknown name "user.id"`) {
		t.Fatalf("error %v, want unknown name", err)
	}
}
