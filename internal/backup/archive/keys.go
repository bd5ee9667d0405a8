package archive

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// maxRecipients bounds how many recipients one object is encrypted to.
const maxRecipients = 32

// GenerateIdentity returns a new X25519 identity. Its Recipient() is what
// Write encrypts to; the identity itself must be kept secret.
func GenerateIdentity() (*age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("generate backup identity: %w", err)
	}
	return id, nil
}

// ParseRecipients parses age public keys ("age1…"), one per string. Every
// key must be an X25519 key: the platform key is one, and mixing it with a
// post-quantum key is refused by age. Empty, duplicate or malformed keys are
// errors naming the offending position.
func ParseRecipients(keys []string) ([]age.Recipient, error) {
	if len(keys) == 0 {
		return nil, errors.New("no recipients given")
	}
	if len(keys) > maxRecipients {
		return nil, fmt.Errorf("%d recipients given, at most %d allowed", len(keys), maxRecipients)
	}
	seen := make(map[string]int, len(keys))
	recipients := make([]age.Recipient, 0, len(keys))
	for i, raw := range keys {
		key := strings.TrimSpace(raw)
		switch {
		case key == "":
			return nil, fmt.Errorf("recipient %d is empty", i+1)
		case strings.HasPrefix(key, "AGE-SECRET-KEY-"):
			return nil, fmt.Errorf("recipient %d is a secret key; give its public key (age1…) instead", i+1)
		case strings.HasPrefix(key, "age1pq1"):
			return nil, fmt.Errorf("recipient %d is a post-quantum key, which cannot be combined with the platform's X25519 key", i+1)
		case !strings.HasPrefix(key, "age1"):
			return nil, fmt.Errorf("recipient %d is not an age public key (it must start with \"age1\")", i+1)
		}
		r, err := age.ParseX25519Recipient(key)
		if err != nil {
			return nil, fmt.Errorf("recipient %d is not a valid age public key: %w", i+1, err)
		}
		canonical := r.String()
		if j, dup := seen[canonical]; dup {
			return nil, fmt.Errorf("recipient %d repeats recipient %d", i+1, j)
		}
		seen[canonical] = i + 1
		recipients = append(recipients, r)
	}
	return recipients, nil
}

// ParseIdentity parses an X25519 secret key ("AGE-SECRET-KEY-1…").
func ParseIdentity(key string) (*age.X25519Identity, error) {
	id, err := age.ParseX25519Identity(strings.TrimSpace(key))
	if err != nil {
		return nil, fmt.Errorf("parse backup identity: %w", err)
	}
	return id, nil
}
