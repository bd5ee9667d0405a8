package site

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"acme/2026/01/02/full-20260102t030405z.age", true},
		{"a", true},
		{"a_b-c.d/e", true},
		{"2026..01", true}, // dots inside a segment are fine
		{"", false},
		{"/abs", false},
		{"trailing/", false},
		{"double//slash", false},
		{"..", false},
		{"../up", false},
		{"a/../b", false},
		{"a/./b", false},
		{".", false},
		{".hidden", false},
		{"a/" + TempPrefix + "0123-b", false},
		{"Upper", false},
		{"sp ace", false},
		{`back\slash`, false},
		{"nul\x00", false},
		{"new\nline", false},
		{"caf\u00e9", false},
		{"percent%2e%2e", false},
		{strings.Repeat("a", maxSegmentLength), true},
		{strings.Repeat("a", maxSegmentLength+1), false},
		{strings.Repeat("abc/", MaxKeyLength/4) + "x", false},
		{strings.Repeat("a/", MaxKeyLength/2-1) + "bc", true},
	}
	for _, tt := range tests {
		err := ValidateKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) error does not wrap ErrInvalidKey: %v", tt.key, err)
		}
	}
}

func TestValidatePrefix(t *testing.T) {
	for prefix, ok := range map[string]bool{
		"": true, "acme/": true, "acme": true, "acme/2026-0": true,
		"/": false, "../": false, "acme//": false, ".x": false, "A/": false,
	} {
		if err := validatePrefix(prefix); (err == nil) != ok {
			t.Errorf("validatePrefix(%q) = %v, want ok=%v", prefix, err, ok)
		}
	}
}

func TestTempNamesAreUniqueAndRecognised(t *testing.T) {
	a, err := tempName("x.age")
	if err != nil {
		t.Fatal(err)
	}
	b, err := tempName("x.age")
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !isTempName(a) || !strings.HasSuffix(a, "-x.age") {
		t.Fatalf("temp names %q, %q", a, b)
	}
	if ValidateKey(a) == nil {
		t.Fatalf("temp name %q is a valid key, so List could show it", a)
	}
}
