package password

import (
	"strconv"
	"strings"
	"testing"
)

func TestNewTestHasher(t *testing.T) {
	cases := []struct {
		rounds  int
		wantErr bool
	}{
		{rounds: 1000},
		{rounds: 1},
		{rounds: 0, wantErr: true},
		{rounds: -5, wantErr: true},
		{rounds: MaxRounds + 1, wantErr: true},
	}
	for _, c := range cases {
		h, err := NewTestHasher(c.rounds)
		if c.wantErr {
			if err == nil {
				t.Errorf("NewTestHasher(%d): no error", c.rounds)
			}
			continue
		}
		if err != nil {
			t.Fatalf("NewTestHasher(%d): %v", c.rounds, err)
		}
		stored, err := h.Hash("correct horse battery staple")
		if err != nil {
			t.Fatal(err)
		}
		if prefix := "$pbkdf2-sha512$" + strconv.Itoa(c.rounds) + "$"; !strings.HasPrefix(stored, prefix) {
			t.Errorf("hash %q does not start with %q", stored, prefix)
		}
		if ok, rehash, err := h.Verify("correct horse battery staple", stored); !ok || rehash || err != nil {
			t.Errorf("verify its own hash: ok %v, rehash %v, err %v", ok, rehash, err)
		}
		if h.Rounds() != c.rounds {
			t.Errorf("Rounds() = %d, want %d", h.Rounds(), c.rounds)
		}
	}
}
