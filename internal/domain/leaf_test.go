package domain

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"name", []string{"name"}, ""},
		{"_private", []string{"_private"}, ""},
		{"partner_id.country_id.code", []string{"partner_id", "country_id", "code"}, ""},
		{"a1.b2", []string{"a1", "b2"}, ""},
		{"a.b.c.d.e.f.g.h", []string{"a", "b", "c", "d", "e", "f", "g", "h"}, ""},
		{strings.Repeat("a", 63), []string{strings.Repeat("a", 63)}, ""},
		{"", nil, "empty"},
		{"a.b.c.d.e.f.g.h.i", nil, "at most 8"},
		{strings.Repeat(".", 1<<16), nil, "at most 8"},
		{strings.Repeat("a", 64), nil, "longer than 63"},
		{"a..b", nil, "empty"},
		{".a", nil, "empty"},
		{"a.", nil, "empty"},
		{"Name", nil, "lower-case"},
		{"1abc", nil, "lower-case"},
		{"a-b", nil, "lower-case"},
		{"a b", nil, "lower-case"},
		{"é", nil, "lower-case"},
		{"name'; DROP TABLE res_partner;--", nil, "lower-case"},
		{`name"`, nil, "lower-case"},
		{"id) OR (1=1", nil, "lower-case"},
		{"name\x00", nil, "lower-case"},
		{"name/**/", nil, "lower-case"},
	}
	for _, tt := range tests {
		got, err := parsePath(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Message, tt.wantErr) {
				t.Errorf("parsePath(%s) = %v, %v; want error containing %q", excerpt(tt.in), got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("parsePath(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestMakeLeafShapes(t *testing.T) {
	path := []string{"f"}
	tests := []struct {
		name    string
		op      Operator
		value   Value
		want    Node
		wantErr string
	}{
		{"equal None stays None", OpEqual, None{}, leaf("f", OpEqual, None{}), ""},
		{"equal False stays False", OpEqual, Bool(false), leaf("f", OpEqual, Bool(false)), ""},
		{"not equal string", OpNotEqual, String("x"), leaf("f", OpNotEqual, String("x")), ""},
		{"equal list refused", OpEqual, List{Int(1)}, nil, "use 'in'"},
		{"less than int", OpLess, Int(3), leaf("f", OpLess, Int(3)), ""},
		{"greater date string", OpGreaterOrEqual, String("2024-01-01"), leaf("f", OpGreaterOrEqual, String("2024-01-01")), ""},
		{"less than None refused", OpLess, None{}, nil, "needs a number or a string, got None"},
		{"less than bool refused", OpLessOrEqual, Bool(true), nil, "got a boolean"},
		{"less than list refused", OpGreater, List{}, nil, "got a list"},
		{"like string", OpLike, String("%a%"), leaf("f", OpLike, String("%a%")), ""},
		{"ilike int refused", OpILike, Int(1), nil, `"ilike" needs a string, got an integer`},
		{"=ilike None refused", OpEqualILike, None{}, nil, "needs a string"},
		{"not like list refused", OpNotLike, List{String("a")}, nil, "needs a string"},
		{"in list", OpIn, List{Int(1), Int(2)}, leaf("f", OpIn, List{Int(1), Int(2)}), ""},
		{"in scalar wrapped", OpIn, Int(5), leaf("f", OpIn, List{Int(5)}), ""},
		{"not in False wrapped", OpNotIn, Bool(false), leaf("f", OpNotIn, List{Bool(false)}), ""},
		{"in empty list", OpIn, List{}, leaf("f", OpIn, List{}), ""},
		{"in mixed scalars", OpIn, List{Int(1), String("a"), None{}}, leaf("f", OpIn, List{Int(1), String("a"), None{}}), ""},
		{"in nested list refused", OpIn, List{List{}}, nil, "lists inside lists"},
		{"child_of id wrapped", OpChildOf, Int(4), leaf("f", OpChildOf, List{Int(4)}), ""},
		{"parent_of ids", OpParentOf, List{Int(4), Int(5)}, leaf("f", OpParentOf, List{Int(4), Int(5)}), ""},
		{"child_of string refused", OpChildOf, String("Acme"), nil, "needs a record id or a list of ids, got a string"},
		{"child_of False refused", OpChildOf, Bool(false), nil, "got a boolean"},
		{"child_of list with float refused", OpChildOf, List{Int(1), Float(2.5)}, nil, "got a float"},
		{"=? False is TRUE", opEqualOrUnset, Bool(false), True, ""},
		{"=? None is TRUE", opEqualOrUnset, None{}, True, ""},
		{"=? True is =", opEqualOrUnset, Bool(true), leaf("f", OpEqual, Bool(true)), ""},
		{"=? value is =", opEqualOrUnset, Int(3), leaf("f", OpEqual, Int(3)), ""},
		{"=? list refused", opEqualOrUnset, List{Int(3)}, nil, "use 'in'"},
		{"NaN refused", OpEqual, Float(math.NaN()), nil, "finite"},
		{"Inf refused", OpLess, Float(math.Inf(1)), nil, "finite"},
		{"invalid UTF-8 refused", OpEqual, String("\xff"), nil, "UTF-8"},
		{"nil value refused", OpEqual, nil, nil, "missing"},
		{"unknown operator refused", Operator("~"), Int(1), nil, "unknown operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := makeLeaf(path, tt.op, tt.value, DefaultLimits())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Message, tt.wantErr) {
					t.Fatalf("makeLeaf = %#v, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("makeLeaf: %v", err)
			}
			if !nodesEqual(got, tt.want) {
				t.Errorf("makeLeaf = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestValueLimits(t *testing.T) {
	lim := Limits{MaxStringLen: 10, MaxListLen: 3}.withDefaults()
	tests := []struct {
		name    string
		value   Value
		wantErr string
	}{
		{"string at limit", String(strings.Repeat("x", 10)), ""},
		{"string over limit", String(strings.Repeat("x", 11)), "exceeds the limit of 10 bytes"},
		{"list at limit", List{Int(1), Int(2), Int(3)}, ""},
		{"list over limit", List{Int(1), Int(2), Int(3), Int(4)}, "exceeds the limit of 3"},
		{"string in list over limit", List{String(strings.Repeat("x", 11))}, "element 0"},
	}
	for _, tt := range tests {
		err := checkValue(tt.value, lim)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Message, tt.wantErr)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestDefaultLimitsFillZeroFields(t *testing.T) {
	got := Limits{MaxDepth: 5, MaxTerms: -1}.withDefaults()
	want := DefaultLimits()
	want.MaxDepth = 5
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
}
