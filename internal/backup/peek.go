package backup

import (
	"encoding/base64"
	"errors"
)

// peekPayload reads the payload of a token without authenticating it, only
// to find which export to verify it against; the caller must verify it.
// Layout (internal/auth/token): version(1) | expiry(8) | payload | mac(32).
func peekPayload(tok string) ([]byte, error) {
	if len(tok) > 2048 {
		return nil, errors.New("token too long")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil || len(raw) < 1+8+32 {
		return nil, errors.New("malformed token")
	}
	return raw[9 : len(raw)-32], nil
}
