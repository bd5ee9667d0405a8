package money

import (
	"strings"
	"testing"
)

func TestFromAndRound(t *testing.T) {
	cases := []struct {
		in     any
		digits int
		want   string
		err    bool
	}{
		{"10.005", 2, "10.01", false},
		{"-10.005", 2, "-10.01", false}, // half away from zero
		{"2.675", 2, "2.68", false},
		{2.675, 2, "2.68", false}, // a float is read at its shortest decimal form
		{0.1, 1, "0.1", false},
		{int64(7), 3, "7.000", false},
		{"1999.5", 0, "2000", false},
		{" 3.10 ", 2, "3.10", false},
		{nil, 2, "0.00", false},
		{false, 2, "0.00", false},
		{"1e3", 0, "1000", false},
		{"abc", 0, "", true},
		{"NaN", 0, "", true},
		{"Infinity", 0, "", true},
		{true, 0, "", true},
		{[]any{1}, 0, "", true},
		{strings.Repeat("9", 65), 0, "", true},
		{"1e31", 0, "", true},
		{"1e-13", 0, "", true},
	}
	for _, c := range cases {
		d, err := From(c.in)
		if (err != nil) != c.err {
			t.Errorf("From(%#v): error %v", c.in, err)
			continue
		}
		if err == nil {
			if got := Format(d, c.digits); got != c.want {
				t.Errorf("From(%#v) to %d digits = %s, want %s", c.in, c.digits, got, c.want)
			}
		}
	}
}

func TestDecimals(t *testing.T) {
	for in, want := range map[string]int{"1": 0, "1.50": 1, "0.001": 3, "100": 0, "1E+2": 0, "-2.25": 2} {
		if got := Decimals(MustParse(in)); got != want {
			t.Errorf("Decimals(%s) = %d, want %d", in, got, want)
		}
	}
}

func FuzzFrom(f *testing.F) {
	for _, s := range []string{"10.005", "-0", "1e-12", "1E+30", "00012.3400", "", "  ", "0x10", "1_000", "9.999999999999999999999999999", "1.0000000E+37", "9E+29"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := From(s)
		if err != nil {
			return
		}
		if d.NumDigits() > 30 {
			t.Fatalf("From(%q) kept %d digits", s, d.NumDigits())
		}
		// Rounding never panics and leaves at most the digits asked for.
		for _, digits := range []int{0, 2, 3} {
			if r := Round(d, digits); Decimals(r) > digits {
				t.Fatalf("Round(%s, %d) = %s", d, digits, r)
			}
		}
		if back, err := From(d.Text('f')); err == nil && back.Cmp(d) != 0 {
			t.Fatalf("From(%q) = %s does not survive a round trip (%s)", s, d, back)
		}
	})
}
