package password

import (
	"errors"
	"fmt"
	"testing"
)

// NewTestHasher returns a Hasher with fewer rounds than DefaultRounds, for the tests
// of packages that sign in hundreds of times under the race detector. It refuses to
// work outside a test binary, so neither configuration nor any code path of the
// server can obtain a cheaper hash.
func NewTestHasher(rounds int) (*Hasher, error) {
	if !testing.Testing() {
		return nil, errors.New("password: a hasher below the default rounds exists only in tests")
	}
	if rounds < 1 || rounds > MaxRounds {
		return nil, fmt.Errorf("test password hash rounds %d: must be between 1 and %d", rounds, MaxRounds)
	}
	return newHasher(rounds)
}
