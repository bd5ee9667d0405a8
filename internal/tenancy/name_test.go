package tenancy

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	refused := []string{
		"", "a", "../evil", "a/b", "UPPER", "Acme", "www", "admin", "localhost",
		strings.Repeat("a", 64), "1acme", "acme-", "-acme", "ac me", "acme.", "a.b",
		"acme\x00", "\x00", "аcme", // Cyrillic а
		"acmе", // Cyrillic е
		"ａｃｍｅ", "xn--acme-9za", "a--b", "acme_corp", "acme\n", " acme", "acme;drop",
	}
	for _, name := range refused {
		if err := ValidateName(name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateName(%q) = %v, want refusal", name, err)
		}
	}
	accepted := []string{"ab", "acme", "acme-corp", "a1", "shop-2026", strings.Repeat("a", 63)}
	for _, name := range accepted {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want ok", name, err)
		}
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"acme", "../x", "a--b", "www", "аcme"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateName(name) != nil {
			return
		}
		// Whatever is accepted is safe as a DNS label, a path element and an identifier part.
		if strings.ContainsAny(name, "/\\.\x00 _") || name != strings.ToLower(name) || len(name) > 63 {
			t.Fatalf("accepted unsafe name %q", name)
		}
		for _, r := range name {
			if r > 127 {
				t.Fatalf("accepted non-ASCII name %q", name)
			}
		}
	})
}
