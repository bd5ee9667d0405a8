package domain

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func decodeJSON(t *testing.T, src string, useNumber bool) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(src))
	if useNumber {
		dec.UseNumber()
	}
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", src, err)
	}
	return v
}

func TestFromValueValid(t *testing.T) {
	a1 := leaf("a", OpEqual, Int(1))
	b2 := leaf("b", OpEqual, Int(2))
	c3 := leaf("c", OpEqual, Int(3))
	d4 := leaf("d", OpEqual, Int(4))
	tests := []struct {
		name      string
		json      string
		useNumber bool
		want      Node
	}{
		{"empty matches all", `[]`, false, True},
		{"single leaf", `[["name", "=", "Acme"]]`, false, leaf("name", OpEqual, String("Acme"))},
		{"implicit and", `[["a","=",1],["b","=",2],["c","=",3]]`, false, and(a1, b2, c3)},
		{"explicit and", `["&",["a","=",1],["b","=",2]]`, false, and(a1, b2)},
		{"or", `["|",["a","=",1],["b","=",2]]`, false, or(a1, b2)},
		{"nested or flattened", `["|","|",["a","=",1],["b","=",2],["c","=",3]]`, false, or(a1, b2, c3)},
		{"not", `["!",["a","=",1]]`, false, not(a1)},
		{"double not kept", `["!","!",["a","=",1]]`, false, not(not(a1))},
		{"or then implicit and", `["|",["a","=",1],["b","=",2],["c","=",3]]`, false, and(or(a1, b2), c3)},
		{"nested ! | &", `["!","|","&",["a","=",1],["b","=",2],["c","=",3]]`, false, not(or(and(a1, b2), c3))},
		{"and of ors", `["&","|",["a","=",1],["b","=",2],"|",["c","=",3],["d","=",4]]`, false, and(or(a1, b2), or(c3, d4))},
		{"implicit and flattens explicit and", `[["a","=",1],"&",["b","=",2],["c","=",3]]`, false, and(a1, b2, c3)},
		{"dotted path", `[["partner_id.country_id.code","=","BE"]]`, false, leaf("partner_id.country_id.code", OpEqual, String("BE"))},
		{"TRUE leaf", `[[1,"=",1]]`, false, True},
		{"FALSE leaf", `[[0,"=",1]]`, false, False},
		{"TRUE leaf with json.Number", `[[1,"=",1]]`, true, True},
		{"TRUE absorbs or", `["|",[1,"=",1],["a","=",1]]`, false, True},
		{"FALSE absorbs and", `[["a","=",1],[0,"=",1]]`, false, False},
		{"TRUE dropped from and", `[["a","=",1],[1,"=",1],["b","=",2]]`, false, and(a1, b2)},
		{"FALSE dropped from or", `["|",[0,"=",1],["a","=",1]]`, false, a1},
		{"not TRUE is FALSE", `["!",[1,"=",1]]`, false, False},
		{"alias <>", `[["a","<>",1]]`, false, leaf("a", OpNotEqual, Int(1))},
		{"scalar wrapped for in", `[["id","in",5]]`, false, leaf("id", OpIn, List{Int(5)})},
		{"list for in", `[["id","not in",[1,2,3]]]`, false, leaf("id", OpNotIn, List{Int(1), Int(2), Int(3)})},
		{"null is None", `[["a","=",null]]`, false, leaf("a", OpEqual, None{})},
		{"false is False", `[["a","=",false]]`, false, leaf("a", OpEqual, Bool(false))},
		{"integral float is Int", `[["a","=",7.0]]`, false, leaf("a", OpEqual, Int(7))},
		{"fraction is Float", `[["a","<",2.5]]`, false, leaf("a", OpLess, Float(2.5))},
		{"huge float stays Float", `[["a","<",1e300]]`, false, leaf("a", OpLess, Float(1e300))},
		{"json.Number int", `[["a","=",7]]`, true, leaf("a", OpEqual, Int(7))},
		{"json.Number float keeps form", `[["a","=",7.0]]`, true, leaf("a", OpEqual, Float(7))},
		{"json.Number big int", `[["a","=",9223372036854775807]]`, true, leaf("a", OpEqual, Int(math.MaxInt64))},
		{"=? false is TRUE", `[["a","=?",false],["b","=",2]]`, false, b2},
		{"child_of", `[["parent_id","child_of",3]]`, false, leaf("parent_id", OpChildOf, List{Int(3)})},
		{"upper-case operator", `[["name","ILIKE","x"]]`, false, leaf("name", OpILike, String("x"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := FromValue(decodeJSON(t, tt.json, tt.useNumber), DefaultLimits())
			if err != nil {
				t.Fatalf("FromValue(%s): %v", tt.json, err)
			}
			assertTree(t, d, tt.want)
		})
	}
}

func TestFromValueGoTypes(t *testing.T) {
	tests := []struct {
		name  string
		value any
		want  Node
	}{
		{"int64 ids", []any{[]any{"id", "in", []int64{1, 2}}}, leaf("id", OpIn, List{Int(1), Int(2)})},
		{"int ids", []any{[]any{"id", "in", []int{3}}}, leaf("id", OpIn, List{Int(3)})},
		{"strings", []any{[]any{"code", "in", []string{"BE", "FR"}}}, leaf("code", OpIn, List{String("BE"), String("FR")})},
		{"floats", []any{[]any{"x", "in", []float64{0.5}}}, leaf("x", OpIn, List{Float(0.5)})},
		{"uint8", []any{[]any{"x", "=", uint8(9)}}, leaf("x", OpEqual, Int(9))},
		{"float32", []any{[]any{"x", "=", float32(0.5)}}, leaf("x", OpEqual, Float(0.5))},
		{"domain Value", []any{[]any{"x", "=", String("v")}}, leaf("x", OpEqual, String("v"))},
		{"domain List", []any{[]any{"x", "in", List{Int(1)}}}, leaf("x", OpIn, List{Int(1)})},
		{"TRUE leaf with int", []any{[]any{1, "=", 1}}, True},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := FromValue(tt.value, DefaultLimits())
			if err != nil {
				t.Fatalf("FromValue: %v", err)
			}
			assertTree(t, d, tt.want)
		})
	}
}

func TestFromValueInvalid(t *testing.T) {
	tests := []struct {
		name     string
		value    any
		wantTerm int
		wantErr  string
	}{
		{"null domain", nil, -1, "must be a list of terms, got null"},
		{"object domain", map[string]any{"a": 1}, -1, "got an object"},
		{"string domain", "[('a','=',1)]", -1, "got a string"},
		{"or with one operand", []any{"|", []any{"a", "=", 1}}, 0, `operator "|" needs 2 operands after it, found 1`},
		{"and with none", []any{"&"}, 0, "found 0"},
		{"not at end", []any{[]any{"a", "=", 1}, "!"}, 1, `operator "!" needs 1 operands after it, found 0`},
		{"unknown logical", []any{"^", []any{"a", "=", 1}}, 0, "not a logical operator"},
		{"comparison as term", []any{"="}, 0, "not a logical operator"},
		{"number term", []any{1}, 0, "got a number"},
		{"leaf of 2", []any{[]any{"a", "="}}, 0, "exactly 3 elements"},
		{"leaf of 4", []any{[]any{"a", "=", 1, 2}}, 0, "got 4"},
		{"leaf of 0", []any{[]any{}}, 0, "got 0"},
		{"unknown operator", []any{[]any{"a", "lik", "x"}}, 0, `unknown operator "lik"`},
		{"operator not string", []any{[]any{"a", 1, "x"}}, 0, "operator must be a string"},
		{"field not string", []any{[]any{true, "=", 1}}, 0, "field name must be a string"},
		{"field list", []any{[]any{[]any{"a"}, "=", 1}}, 0, "field name must be a string"},
		{"numeric field not constant", []any{[]any{2, "=", 1}}, 0, "only (1, '=', 1) and (0, '=', 1)"},
		{"constant with other operator", []any{[]any{1, "!=", 1}}, 0, "only (1, '=', 1)"},
		{"bad path", []any{[]any{"a.B", "=", 1}}, 0, "invalid field path"},
		{"nested list value", []any{[]any{"a", "in", []any{[]any{1}}}}, 0, "lists inside lists"},
		{"nested typed list value", []any{[]any{"a", "in", []any{[]int{1}}}}, 0, "lists inside lists"},
		{"object value", []any{[]any{"a", "=", map[string]any{}}}, 0, "unsupported value an object"},
		{"like needs string", []any{[]any{"a", "like", 1}}, 0, "needs a string"},
		{"in list element bad", []any{[]any{"a", "in", []any{1, map[string]any{}}}}, 0, "element 1"},
		{"second term bad", []any{[]any{"a", "=", 1}, []any{"b", "=", struct{}{}}}, 1, "unsupported value"},
		{"NaN", []any{[]any{"a", "=", math.NaN()}}, 0, "finite"},
		{"uint64 overflow", []any{[]any{"a", "=", uint64(math.MaxUint64)}}, 0, "does not fit in 64 bits"},
		{"json.Number overflow", []any{[]any{"a", "=", json.Number("9223372036854775808")}}, 0, "not a valid 64-bit integer"},
		{"json.Number inf", []any{[]any{"a", "=", json.Number("1e400")}}, 0, "not a finite"},
		{"json.Number garbage", []any{[]any{"a", "=", json.Number("NaN")}}, 0, "not a valid"},
		{"invalid UTF-8 string", []any{[]any{"a", "=", "\xc3"}}, 0, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := FromValue(tt.value, DefaultLimits())
			if err == nil {
				t.Fatalf("FromValue accepted %#v as %s", tt.value, d)
			}
			de := asDomainError(t, err)
			if !strings.Contains(de.Message, tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", de.Message, tt.wantErr)
			}
			if de.Term != tt.wantTerm || de.Offset != -1 {
				t.Errorf("error at term %d offset %d, want term %d offset -1", de.Term, de.Offset, tt.wantTerm)
			}
		})
	}
}

func TestFromValueLimits(t *testing.T) {
	lim := Limits{MaxTerms: 5, MaxDepth: 3, MaxListLen: 4, MaxStringLen: 8}
	leafA := []any{"a", "=", 1}
	tests := []struct {
		name    string
		value   []any
		wantErr string
	}{
		{"terms", []any{leafA, leafA, leafA, leafA, leafA, leafA}, "6 terms; the limit is 5"},
		{"depth", []any{"!", "!", "!", leafA}, "nests 4 levels deep; the limit is 3"},
		{"list length", []any{[]any{"a", "in", []any{1, 2, 3, 4, 5}}}, "list of 5 values exceeds the limit of 4"},
		{"typed list length", []any{[]any{"a", "in", []int64{1, 2, 3, 4, 5}}}, "exceeds the limit of 4"},
		{"string length", []any{[]any{"a", "=", "123456789"}}, "9 bytes exceeds the limit of 8"},
		{"string in list", []any{[]any{"a", "in", []any{"123456789"}}}, "exceeds the limit of 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromValue(tt.value, lim)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	// At the limits everything is accepted.
	atLimit := []any{"!", "!", leafA}
	if _, err := FromValue(atLimit, lim); err != nil {
		t.Errorf("domain at the depth limit refused: %v", err)
	}
	atLimit = []any{"!", leafA, leafA, []any{"a", "in", []any{1, 2, 3, 4}}, []any{"a", "=", "12345678"}}
	if _, err := FromValue(atLimit, lim); err != nil {
		t.Errorf("domain at the limits refused: %v", err)
	}
}

func TestFromValueRefusesMegabyteString(t *testing.T) {
	big := strings.Repeat("A", 1<<20)
	_, err := FromValue([]any{[]any{"name", "=", big}}, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit of 65536 bytes") {
		t.Fatalf("1 MiB string: error %v, want the string limit", err)
	}
	if len(err.Error()) > 300 {
		t.Errorf("error message is %d bytes; it must not echo the value", len(err.Error()))
	}
}

// Odd-looking values are data: they must come out exactly as they went in.
func TestFromValueKeepsInjectionValuesLiteral(t *testing.T) {
	values := []string{
		"1=1",
		"' OR 1=1 --",
		"\" OR \"\"=\"",
		"/* */",
		"x\x00y",
		"\x00",
		"'); DROP TABLE res_partner;--",
		"%' UNION SELECT password FROM res_users --",
		"\\",
		"__import__('os').system('id')",
	}
	for _, v := range values {
		d, err := FromValue([]any{[]any{"name", "ilike", v}}, DefaultLimits())
		if err != nil {
			t.Errorf("FromValue(%q): %v", v, err)
			continue
		}
		assertTree(t, d, leaf("name", OpILike, String(v)))
		back, err := Parse(d.String(), nil, DefaultLimits())
		if err != nil || !back.Equal(d) {
			t.Errorf("round trip of %q through %s: %v", v, d, err)
		}
	}
}

func TestFromValueRefusesInjectionFieldNames(t *testing.T) {
	fields := []string{
		"name'; DROP TABLE res_partner;--",
		"name = 1 OR 1",
		"id) OR (1=1",
		"name--",
		"name/**/",
		`"name"`,
		"res_partner.name; SELECT 1",
		"name\x00",
		"NAME",
	}
	for _, f := range fields {
		_, err := FromValue([]any{[]any{f, "=", 1}}, DefaultLimits())
		if err == nil || !strings.Contains(err.Error(), "field") {
			t.Errorf("field %q: error %v, want a field name error", f, err)
		}
	}
}

// The caller's slices are copied: changing them later cannot change a Domain.
func TestFromValueCopiesInput(t *testing.T) {
	ids := List{Int(1), Int(2)}
	d, err := FromValue([]any{[]any{"id", "in", ids}}, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	before := d.String()
	ids[0] = Int(99)
	if after := d.String(); after != before {
		t.Errorf("domain changed from %s to %s after the input was modified", before, after)
	}
}

func TestFromJSONDecodeErrorsDoNotReachFromValue(t *testing.T) {
	// A JSON document nested far beyond any domain is still just a value
	// whose shape FromValue refuses quickly.
	deep := bytes.Repeat([]byte("["), 5000)
	deep = append(deep, bytes.Repeat([]byte("]"), 5000)...)
	var v any
	if err := json.Unmarshal(deep, &v); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if _, err := FromValue(v, DefaultLimits()); err == nil {
		t.Fatal("deeply nested lists accepted")
	}
}
