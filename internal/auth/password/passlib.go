package password

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// schemePrefix starts every hash this package writes or reads, exactly as passlib's
// pbkdf2_sha512 (and therefore Odoo) writes it.
const schemePrefix = "$pbkdf2-sha512$"

const (
	checksumSize = 64 // SHA-512 output, as passlib stores it
	maxSaltSize  = 1024
	// maxStoredLength bounds the parser: the longest valid string is far shorter.
	maxStoredLength = len(schemePrefix) + 10 + 1 + (maxSaltSize*4+2)/3 + 1 + (checksumSize*4+2)/3
)

// ErrMalformedHash means a stored value claims the pbkdf2-sha512 scheme but does not
// parse. The message never repeats the value.
var ErrMalformedHash = errors.New("stored password hash is malformed")

// ab64 is passlib's "adapted base64": the standard alphabet with '.' for '+', no padding.
var ab64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./").
	WithPadding(base64.NoPadding).Strict()

// parsedHash is a decoded "$pbkdf2-sha512$<rounds>$<salt>$<checksum>" string.
type parsedHash struct {
	rounds   int
	salt     []byte
	checksum []byte
}

func formatHash(rounds int, salt, checksum []byte) string {
	var b strings.Builder
	b.Grow(len(schemePrefix) + 8 + ab64.EncodedLen(len(salt)) + ab64.EncodedLen(len(checksum)) + 2)
	b.WriteString(schemePrefix)
	b.WriteString(strconv.Itoa(rounds))
	b.WriteByte('$')
	b.WriteString(ab64.EncodeToString(salt))
	b.WriteByte('$')
	b.WriteString(ab64.EncodeToString(checksum))
	return b.String()
}

// isPBKDF2 reports whether stored claims this package's scheme (as opposed to a legacy
// plaintext row).
func isPBKDF2(stored string) bool {
	return strings.HasPrefix(stored, schemePrefix)
}

func parseHash(stored string) (parsedHash, error) {
	if len(stored) > maxStoredLength || !isPBKDF2(stored) {
		return parsedHash{}, ErrMalformedHash
	}
	fields := strings.Split(stored[len(schemePrefix):], "$")
	if len(fields) != 3 {
		return parsedHash{}, ErrMalformedHash
	}
	rounds, err := parseRounds(fields[0])
	if err != nil {
		return parsedHash{}, err
	}
	if !isAB64(fields[1]) || !isAB64(fields[2]) {
		return parsedHash{}, ErrMalformedHash
	}
	salt, err := ab64.DecodeString(fields[1])
	if err != nil || len(salt) == 0 || len(salt) > maxSaltSize {
		return parsedHash{}, ErrMalformedHash
	}
	checksum, err := ab64.DecodeString(fields[2])
	if err != nil || len(checksum) != checksumSize {
		return parsedHash{}, ErrMalformedHash
	}
	return parsedHash{rounds: rounds, salt: salt, checksum: checksum}, nil
}

// parseRounds accepts a decimal without sign or leading zeros, within the bounds a
// stored hash may have (so a crafted row cannot make one login cost hours).
func parseRounds(s string) (int, error) {
	if s == "" || len(s) > 10 || s[0] == '0' {
		return 0, ErrMalformedHash
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, ErrMalformedHash
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxRounds {
		return 0, ErrMalformedHash
	}
	return n, nil
}

// isAB64 checks the alphabet itself, because encoding/base64 silently skips '\r' and
// '\n', which would give one hash two spellings.
func isAB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}
