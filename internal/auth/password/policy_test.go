package password

import (
	"errors"
	"strings"
	"testing"
)

func TestCommonList(t *testing.T) {
	list, err := LoadCommonList()
	if err != nil {
		t.Fatal(err)
	}
	if list.Len() < 10_000 {
		t.Fatalf("common list has %d entries, want at least 10,000", list.Len())
	}
	for _, pw := range []string{"password", "PASSWORD", "Password1", "123456", "qwerty", "iloveyou", "baseball"} {
		if !list.Contains(pw) {
			t.Errorf("%q not on the common list", pw)
		}
	}
	for _, pw := range []string{"gUq7-tram-Ovid-prism", "correct horse battery staple instant"} {
		if list.Contains(pw) {
			t.Errorf("%q is on the common list", pw)
		}
	}
}

func TestPolicy(t *testing.T) {
	list, err := LoadCommonList()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy(0, list)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, password string
		ok             bool
	}{
		{"empty", "", false},
		{"spaces only", "          ", false},
		{"unicode spaces only", "\u00a0\u2003\t\n\u3000\u2002\u2009\u200a", false},
		{"seven characters", "tr9#Kxq", false},
		{"eight characters", "tr9#Kxqz", true},
		{"eight runes, more bytes", "żółćęśąń", true},
		{"seven runes, many bytes", "żółćęśą", false},
		{"lowercase only is fine", "purple elephants dance", true},
		{"common", "password1", false},
		{"common, other case", "BaseBall1", false},
		{"common with surrounding spaces", "  iloveyou1  ", false},
		{"invalid utf-8", "abcdefgh\xff", false},
		{"at the byte limit", strings.Repeat("ab", MaxLength/2), true},
		{"over the byte limit", strings.Repeat("ab", MaxLength/2) + "c", false},
	}
	for _, c := range cases {
		err := p.Check(c.password)
		if (err == nil) != c.ok {
			t.Errorf("%s: Check = %v, want ok=%v", c.name, err, c.ok)
		}
		var pe *PolicyError
		if err != nil && !errors.As(err, &pe) {
			t.Errorf("%s: error %T is not a *PolicyError", c.name, err)
		}
		if err != nil && c.password != "" && strings.TrimSpace(c.password) != "" && strings.Contains(err.Error(), c.password) {
			t.Errorf("%s: error %q repeats the password", c.name, err)
		}
	}
}

func TestPolicyMinLength(t *testing.T) {
	list, err := LoadCommonList()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{-1, 1, 7, 129} {
		if _, err := NewPolicy(n, list); err == nil {
			t.Errorf("NewPolicy(%d) accepted", n)
		}
	}
	p, err := NewPolicy(12, list)
	if err != nil {
		t.Fatal(err)
	}
	if p.Check("tr9#Kxqz-ab") == nil || p.Check("tr9#Kxqz-abc") != nil {
		t.Fatal("minimum of 12 not applied")
	}
	if _, err := NewPolicy(8, nil); err == nil {
		t.Fatal("NewPolicy without a list accepted")
	}
}
