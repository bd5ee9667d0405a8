package site

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

const (
	// MaxKeyLength bounds an object key in bytes.
	MaxKeyLength = 512
	// maxSegmentLength leaves room for the temporary prefix within the
	// 255-byte file name limit of common file systems.
	maxSegmentLength = 200
	// TempPrefix starts the name of every object still being written.
	TempPrefix = ".instanterp-tmp-"
)

// ValidateKey checks an object key: a relative, slash-separated path of
// segments made of [a-z0-9._-], none empty, none starting with "." (which
// rules out "..", "." and temporary names), at most MaxKeyLength bytes.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > MaxKeyLength {
		return fmt.Errorf("%w: %d bytes, longer than %d", ErrInvalidKey, len(key), MaxKeyLength)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := validateSegment(seg); err != nil {
			return fmt.Errorf("%w: %q: %s", ErrInvalidKey, key, err)
		}
	}
	return nil
}

func validateSegment(seg string) error {
	switch {
	case seg == "":
		return fmt.Errorf("empty segment (leading, trailing or double slash)")
	case seg[0] == '.':
		return fmt.Errorf("segment %q starts with a dot", seg)
	case len(seg) > maxSegmentLength:
		return fmt.Errorf("segment longer than %d bytes", maxSegmentLength)
	}
	for _, c := range []byte(seg) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("byte %q is not allowed (only a-z 0-9 . _ -)", c)
		}
	}
	return nil
}

// validatePrefix checks a List prefix: empty, or a key optionally followed
// by a slash (its last segment may be partial).
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := ValidateKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return fmt.Errorf("list prefix: %w", err)
	}
	return nil
}

// tempName returns a fresh temporary name for an object whose final base
// name is base.
func tempName(base string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random temporary name: %w", err)
	}
	return TempPrefix + hex.EncodeToString(b[:]) + "-" + base, nil
}

func isTempName(base string) bool { return strings.HasPrefix(base, TempPrefix) }
