package secrets

import (
	"bytes"
	"testing"
)

func BenchmarkSeal(b *testing.B) {
	key := testKey(b, 0x11)
	plaintext := bytes.Repeat([]byte{'p'}, 32)
	ad := []byte("tenant:acme:pg-password")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := key.Seal(plaintext, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	key := testKey(b, 0x11)
	ad := []byte("tenant:acme:pg-password")
	sealed, err := key.Seal(bytes.Repeat([]byte{'p'}, 32), ad)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := key.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
