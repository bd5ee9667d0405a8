package sandbox

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckSource(t *testing.T) {
	cases := []struct {
		name         string
		src          string
		want         error
		line, column int
	}{
		{"plain", `a + 1`, nil, 0, 0},
		{"tabs and newlines", "a +\r\n\t1", nil, 0, 0},
		{"accented text in a literal", `"café"`, nil, 0, 0},
		{"at the length limit", strings.Repeat("1", 16), nil, 0, 0},
		{"past the length limit", strings.Repeat("1", 17), ErrBudget, 0, 0},
		{"NUL", "a\x00", ErrSyntax, 1, 2},
		{"NUL on the second line", "a\n b\x00", ErrSyntax, 2, 3},
		{"invalid byte", "ab\xc3", ErrSyntax, 1, 3},
		{"overlong encoding", "\xc0\xaf", ErrSyntax, 1, 1},
		{"escape", "\x1b", ErrSyntax, 1, 1},
		{"delete", "\x7f", ErrSyntax, 1, 1},
		{"C1 control", "\u0085", ErrSyntax, 1, 1},
		{"bidi isolate", "a\u2066", ErrSyntax, 1, 2},
		{"byte order mark", "\ufeffa", ErrSyntax, 1, 1},
		{"soft hyphen", "a\u00ad", ErrSyntax, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkSource(tc.src, 16)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if e.Line != tc.line || e.Column != tc.column {
				t.Errorf("position %d:%d, want %d:%d", e.Line, e.Column, tc.line, tc.column)
			}
		})
	}
}
