// Package password hashes and checks user passwords and enforces the password policy.
//
// Hashes are PBKDF2-HMAC-SHA512 in passlib's format, so hashes imported from Odoo
// verify unchanged and ours can be read by passlib.
package password

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"sync/atomic"
)

const (
	// DefaultRounds is the PBKDF2 iteration count for new hashes (OWASP's figure for
	// PBKDF2-HMAC-SHA512). A Hasher may be configured higher, never lower.
	DefaultRounds = 600_000
	// MaxRounds bounds both configuration and stored hashes.
	MaxRounds = 20_000_000
	// SaltSize is the length of the random salt of every new hash.
	SaltSize = 16
	// MaxLength is the longest password accepted, in bytes.
	MaxLength = 4096
)

// ErrTooLong means a password exceeds MaxLength; nothing is hashed.
var ErrTooLong = fmt.Errorf("password is longer than %d bytes", MaxLength)

// Hasher hashes and verifies passwords. It is safe for concurrent use.
type Hasher struct {
	rounds int
	// dummy is the hash DummyVerify checks against: a random password nobody knows,
	// at the configured rounds, so the work is identical to a real verification.
	dummy parsedHash

	derivations atomic.Int64
	dummies     atomic.Int64
}

// NewHasher returns a Hasher producing hashes with the given rounds; 0 means
// DefaultRounds. Fewer rounds than DefaultRounds are refused.
func NewHasher(rounds int) (*Hasher, error) {
	if rounds == 0 {
		rounds = DefaultRounds
	}
	if rounds < DefaultRounds || rounds > MaxRounds {
		return nil, fmt.Errorf("password hash rounds %d: must be between %d and %d", rounds, DefaultRounds, MaxRounds)
	}
	return newHasher(rounds)
}

func newHasher(rounds int) (*Hasher, error) {
	h := &Hasher{rounds: rounds}
	salt := make([]byte, SaltSize)
	unknowable := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("dummy hash salt: %w", err)
	}
	if _, err := rand.Read(unknowable); err != nil {
		return nil, fmt.Errorf("dummy hash password: %w", err)
	}
	// The dummy checksum does not have to be a real derivation: nothing can match it
	// except by breaking SHA-512, and computing it would cost a full hash at start-up.
	h.dummy = parsedHash{rounds: rounds, salt: salt, checksum: make([]byte, checksumSize)}
	if _, err := rand.Read(h.dummy.checksum); err != nil {
		return nil, fmt.Errorf("dummy hash checksum: %w", err)
	}
	return h, nil
}

// Rounds returns the iteration count of new hashes.
func (h *Hasher) Rounds() int { return h.rounds }

// Derivations counts PBKDF2 computations since the Hasher was made (hashes,
// verifications and dummy verifications alike).
func (h *Hasher) Derivations() int64 { return h.derivations.Load() }

// DummyVerifications counts the verifications done without a real stored hash
// (unknown login, empty or legacy stored value), so tests can show that every login
// path pays the same hashing work.
func (h *Hasher) DummyVerifications() int64 { return h.dummies.Load() }

// Hash returns a new passlib-format hash of password with a fresh random salt.
func (h *Hasher) Hash(password string) (string, error) {
	if len(password) > MaxLength {
		return "", ErrTooLong
	}
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	sum, err := h.derive(password, salt, h.rounds)
	if err != nil {
		return "", err
	}
	return formatHash(h.rounds, salt, sum), nil
}

// Verify checks password against a stored value in constant time. ok reports a match;
// needsRehash reports that the caller should store a fresh Hash of the password
// (other rounds, a short salt, or a legacy plaintext row). An empty stored value
// (no local password, e.g. an external sign-in user) never matches.
//
// A stored value that claims the pbkdf2-sha512 scheme but does not parse gives
// ErrMalformedHash; the dummy work is still done so that timing does not tell.
func (h *Hasher) Verify(password, stored string) (ok, needsRehash bool, err error) {
	if len(password) > MaxLength {
		h.DummyVerify(password[:MaxLength])
		return false, false, nil
	}
	if !isPBKDF2(stored) {
		// Legacy plaintext rows (as Odoo's "plaintext" scheme) and empty values.
		h.DummyVerify(password)
		if stored == "" {
			return false, false, nil
		}
		a, b := sha512.Sum512([]byte(password)), sha512.Sum512([]byte(stored))
		match := subtle.ConstantTimeCompare(a[:], b[:]) == 1
		return match, match, nil
	}
	parsed, err := parseHash(stored)
	if err != nil {
		h.DummyVerify(password)
		return false, false, err
	}
	sum, err := h.derive(password, parsed.salt, parsed.rounds)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(sum, parsed.checksum) != 1 {
		return false, false, nil
	}
	return true, parsed.rounds != h.rounds || len(parsed.salt) < SaltSize, nil
}

// DummyVerify does the work of one verification at the configured rounds against a
// hash nobody knows the password of. Call it when the login does not exist so that
// the answer takes as long as for a wrong password.
func (h *Hasher) DummyVerify(password string) {
	h.dummies.Add(1)
	if len(password) > MaxLength {
		password = password[:MaxLength]
	}
	sum, err := h.derive(password, h.dummy.salt, h.dummy.rounds)
	if err == nil {
		subtle.ConstantTimeCompare(sum, h.dummy.checksum)
	}
}

func (h *Hasher) derive(password string, salt []byte, rounds int) ([]byte, error) {
	h.derivations.Add(1)
	sum, err := pbkdf2.Key(sha512.New, password, salt, rounds, checksumSize)
	if err != nil {
		// Only FIPS-mode restrictions can fail here; the password is not in err.
		return nil, fmt.Errorf("derive password hash: %w", err)
	}
	return sum, nil
}
