package apikey

import (
	"strings"
	"testing"
)

func FuzzParseKey(f *testing.F) {
	f.Add("iek_aebagbaf_" + strings.Repeat("a", 32))
	f.Add("iek__")
	f.Add("")
	f.Add("iek_aebagbaf_" + strings.Repeat("a", 31) + "1")
	f.Fuzz(func(t *testing.T, key string) {
		index, ok := parseKey(key)
		if !ok {
			return
		}
		if len(key) != KeyLength || !strings.HasPrefix(key, keyPrefix+index+"_") || len(index) != indexLength {
			t.Fatalf("accepted %q with index %q", key, index)
		}
		for _, c := range key[len(keyPrefix):] {
			if c != '_' && !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz234567", c) {
				t.Fatalf("accepted %q with character %q", key, c)
			}
		}
	})
}
