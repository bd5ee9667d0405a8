package domain

import (
	"strings"
	"testing"
)

func TestParseOperator(t *testing.T) {
	tests := []struct {
		in      string
		want    Operator
		wantErr string
	}{
		{"=", OpEqual, ""},
		{"!=", OpNotEqual, ""},
		{"<>", OpNotEqual, ""},
		{"<", OpLess, ""},
		{"<=", OpLessOrEqual, ""},
		{">", OpGreater, ""},
		{">=", OpGreaterOrEqual, ""},
		{"=?", opEqualOrUnset, ""},
		{"like", OpLike, ""},
		{"NOT LIKE", OpNotLike, ""},
		{"ilike", OpILike, ""},
		{"not ilike", OpNotILike, ""},
		{"=like", OpEqualLike, ""},
		{"=ilike", OpEqualILike, ""},
		{"in", OpIn, ""},
		{"Not In", OpNotIn, ""},
		{"child_of", OpChildOf, ""},
		{"parent_of", OpParentOf, ""},
		{"==", "", "unknown operator"},
		{"not  in", "", "unknown operator"},
		{" =", "", "unknown operator"},
		{"", "", "unknown operator"},
		{"|", "", "logical operator"},
		{"= OR 1=1", "", "unknown operator"},
		{strings.Repeat("x", 1<<20), "", "unknown operator"},
	}
	for _, tt := range tests {
		got, err := parseOperator(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Message, tt.wantErr) {
				t.Errorf("parseOperator(%s) error = %v, want %q", excerpt(tt.in), err, tt.wantErr)
			}
			if err != nil && len(err.Message) > 300 {
				t.Errorf("parseOperator(%s) message is %d bytes; it must not echo huge input", excerpt(tt.in), len(err.Message))
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseOperator(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
