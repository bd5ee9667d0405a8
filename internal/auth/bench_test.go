package auth_test

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha512"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkLogin compares a whole successful login (throttle check, account lookup,
// verification, success bookkeeping, security log) with one bare 600,000-round
// PBKDF2-SHA512 derivation measured in the same run.
func BenchmarkLogin(b *testing.B) {
	b.Run("pbkdf2-600k-baseline", func(b *testing.B) {
		salt := make([]byte, password.SaltSize)
		for b.Loop() {
			if _, err := pbkdf2.Key(sha512.New, "alice's long passphrase", salt, password.DefaultRounds, 64); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, e := range storetest.Engines() {
		b.Run("authenticate-"+string(e.Name), func(b *testing.B) {
			hasher, err := password.NewHasher(0)
			if err != nil {
				b.Fatal(err)
			}
			hash, err := hasher.Hash("alice's long passphrase")
			if err != nil {
				b.Fatal(err)
			}
			accounts := &memoryAccounts{byLogin: map[string]auth.Account{"alice": {ID: 1, Login: "alice", PasswordHash: hash, Active: true}}}
			f := newFixture(b, e.Open(b), hasher, accounts)
			attempt := auth.Attempt{Login: "alice", Password: "alice's long passphrase", Address: "192.0.2.1", UserAgent: "bench"}
			for b.Loop() {
				if _, err := f.auth.Authenticate(context.Background(), attempt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
