package totp

import (
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1, secret "12345678901234567890"; the RFC prints 8
// digits, a 6-digit code is the last six.
func TestRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	cases := []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, c := range cases {
		step, ok := matchStep(secret, c.code, time.Unix(c.unix, 0), -1)
		if !ok || step != c.unix/30 {
			t.Errorf("t=%d code %s: step %d, %v", c.unix, c.code, step, ok)
		}
	}
}

func TestNormaliseCode(t *testing.T) {
	cases := map[string]string{
		"123456":              "123456",
		" 123 456 ":           "123456",
		"12345a":              "",
		"１２３４５６":              "",
		"+12345":              "",
		"1234567890123456789": "",
	}
	for in, want := range cases {
		if got := normaliseCode(in); got != want {
			t.Errorf("normaliseCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRecoveryCode(f *testing.F) {
	f.Add("abcd-efgh-ijkl-mnop")
	f.Add("ABCD EFGH IJKL MNOP")
	f.Add("")
	f.Add("aaaa-aaaa-aaaa-aaa1")
	f.Fuzz(func(t *testing.T, code string) {
		n, ok := normaliseRecoveryCode(code)
		if !ok {
			return
		}
		if len(n) != 16 {
			t.Fatalf("normalised %q to %q", code, n)
		}
		if again, ok := normaliseRecoveryCode(n); !ok || again != n {
			t.Fatalf("normalising %q is not idempotent", n)
		}
	})
}
