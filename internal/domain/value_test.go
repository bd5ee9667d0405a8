package domain

import (
	"math"
	"testing"
)

func TestValueString(t *testing.T) {
	tests := []struct {
		value Value
		want  string
	}{
		{None{}, "None"},
		{Bool(true), "True"},
		{Bool(false), "False"},
		{Int(0), "0"},
		{Int(-42), "-42"},
		{Int(math.MinInt64), "-9223372036854775808"},
		{Float(1), "1.0"},
		{Float(-0.0), "0.0"},
		{Float(math.Copysign(0, -1)), "-0.0"},
		{Float(2.5), "2.5"},
		{Float(1e15), "1000000000000000.0"},
		{Float(1e16), "1e+16"},
		{Float(0.0001), "0.0001"},
		{Float(0.00001), "1e-05"},
		{Float(5e-324), "5e-324"},
		{String(""), "''"},
		{String("it's"), `'it\'s'`},
		{String(`a\b`), `'a\\b'`},
		{String("line\nbreak\ttab\rcr"), `'line\nbreak\ttab\rcr'`},
		{String("nul\x00bel\x07del\x7f"), `'nul\x00bel\x07del\x7f'`},
		{String("nbsp\u00a0zwsp\u200b"), `'nbsp\xa0zwsp\u200b'`},
		{String(`"double" é 日本 🙂`), `'"double" é 日本 🙂'`},
		{List{}, "[]"},
		{List{Int(1), String("x"), None{}, Bool(false), Float(0.5)}, "[1, 'x', None, False, 0.5]"},
	}
	for _, tt := range tests {
		if got := tt.value.String(); got != tt.want {
			t.Errorf("%#v.String() = %s, want %s", tt.value, got, tt.want)
		}
	}
}

func TestValuesEqual(t *testing.T) {
	tests := []struct {
		a, b Value
		want bool
	}{
		{None{}, None{}, true},
		{None{}, Bool(false), false},
		{Bool(false), Int(0), false},
		{Int(1), Float(1), false},
		{Float(0), Float(math.Copysign(0, -1)), false},
		{String("a"), String("a"), true},
		{List{Int(1)}, List{Int(1)}, true},
		{List{Int(1)}, List{Int(1), Int(2)}, false},
		{List{Int(1)}, List{String("1")}, false},
		{List{}, List(nil), true},
	}
	for _, tt := range tests {
		if got := valuesEqual(tt.a, tt.b); got != tt.want {
			t.Errorf("valuesEqual(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
