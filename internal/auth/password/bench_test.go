package password

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"testing"
)

// BenchmarkPBKDF2Raw is the baseline: one bare 600,000-round derivation.
func BenchmarkPBKDF2Raw(b *testing.B) {
	salt := make([]byte, SaltSize)
	for b.Loop() {
		if _, err := pbkdf2.Key(sha512.New, "correct horse battery staple", salt, DefaultRounds, checksumSize); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is Verify of a stored 600,000-round hash, to compare with the baseline.
func BenchmarkVerify(b *testing.B) {
	h, err := NewHasher(0)
	if err != nil {
		b.Fatal(err)
	}
	stored, err := h.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, _ := h.Verify("correct horse battery staple", stored); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkPolicyCheck(b *testing.B) {
	list, err := LoadCommonList()
	if err != nil {
		b.Fatal(err)
	}
	p, _ := NewPolicy(0, list)
	for b.Loop() {
		_ = p.Check("purple elephants dance")
	}
}
