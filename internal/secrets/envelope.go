package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// Sealed layout, version 1:
//
//	version (1) | key id (8) | wrapped data key (12 nonce + 32 key + 16 tag) | nonce (12) | ciphertext + tag (16)
//
// The data key is wrapped under the master key with the header and the
// caller's associated data bound in; the secret is encrypted under the data
// key with the header, the wrapped key and the associated data bound in.
const (
	formatV1       byte = 1
	gcmNonceSize        = 12
	gcmTagSize          = 16
	headerSize          = 1 + keyIDSize
	wrappedKeySize      = gcmNonceSize + KeySize + gcmTagSize
	payloadOffset       = headerSize + wrappedKeySize

	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = payloadOffset + gcmNonceSize + gcmTagSize

	// MaxPlaintextSize bounds what Seal accepts. Stored secrets are
	// passwords and keys; anything larger is a caller bug.
	MaxPlaintextSize = 64 << 10
)

// Domain labels keep the two encryptions' associated data from ever
// coinciding, so a wrapped key can never be replayed as a payload.
const (
	wrapLabel    = "instanterp/secrets wrap\x00"
	payloadLabel = "instanterp/secrets payload\x00"
)

var (
	// ErrKeyMismatch means the value was sealed under a different master key.
	ErrKeyMismatch = errors.New("master key mismatch")
	// ErrCorrupt means the value is truncated, was altered, or belongs to
	// different associated data (deliberately not told apart).
	ErrCorrupt = errors.New("sealed secret is corrupt or bound to other data")
)

// Seal encrypts plaintext under a fresh random data key and wraps that key
// with the master key. associatedData names the secret's owner (for example
// "tenant:acme:pg-password"); Open succeeds only with the same value.
func (m *MasterKey) Seal(plaintext, associatedData []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintextSize {
		return nil, fmt.Errorf("seal: plaintext is %d bytes, limit is %d", len(plaintext), MaxPlaintextSize)
	}
	dataKey := make([]byte, KeySize)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, fmt.Errorf("seal: generate data key: %w", err)
	}
	payloadAEAD, err := newAEAD(dataKey)
	if err != nil {
		return nil, fmt.Errorf("seal: data key cipher: %w", err)
	}

	out := make([]byte, headerSize, Overhead+len(plaintext))
	out[0] = formatV1
	copy(out[1:headerSize], m.id[:])
	header := out[:headerSize]

	out = m.wrap.Seal(out, nil, dataKey, wrapAD(header, associatedData))
	clear(dataKey)
	out = payloadAEAD.Seal(out, nil, plaintext, payloadAD(out[:payloadOffset], associatedData))
	return out, nil
}

// Open reverses Seal. It returns ErrKeyMismatch when sealed was made under
// another master key and ErrCorrupt for anything else that does not
// authenticate, including the wrong associated data.
func (m *MasterKey) Open(sealed, associatedData []byte) ([]byte, error) {
	id, err := sealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	if id != m.id {
		return nil, fmt.Errorf("%w: sealed under key %x, this key is %x", ErrKeyMismatch, id[:], m.id[:])
	}
	if len(sealed) < Overhead || len(sealed) > Overhead+MaxPlaintextSize {
		return nil, fmt.Errorf("%w: length %d", ErrCorrupt, len(sealed))
	}

	header := sealed[:headerSize]
	dataKey, err := m.wrap.Open(nil, nil, sealed[headerSize:payloadOffset], wrapAD(header, associatedData))
	if err != nil {
		return nil, ErrCorrupt
	}
	payloadAEAD, err := newAEAD(dataKey)
	clear(dataKey)
	if err != nil {
		return nil, ErrCorrupt
	}
	plaintext, err := payloadAEAD.Open(nil, nil, sealed[payloadOffset:], payloadAD(sealed[:payloadOffset], associatedData))
	if err != nil {
		return nil, ErrCorrupt
	}
	return plaintext, nil
}

// SealedKeyID reports the KeyID of the master key that sealed a value, so a
// caller can tell which key it needs (for example during key rotation)
// without being able to decrypt.
func SealedKeyID(sealed []byte) (string, error) {
	id, err := sealedKeyID(sealed)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(id[:]), nil
}

func sealedKeyID(sealed []byte) ([keyIDSize]byte, error) {
	var id [keyIDSize]byte
	if len(sealed) < headerSize {
		return id, fmt.Errorf("%w: length %d", ErrCorrupt, len(sealed))
	}
	if sealed[0] != formatV1 {
		return id, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, sealed[0])
	}
	copy(id[:], sealed[1:headerSize])
	return id, nil
}

// wrapAD and payloadAD end with the caller's data, and everything before it
// has a fixed length, so no two different inputs produce the same bytes.
func wrapAD(header, associatedData []byte) []byte {
	ad := make([]byte, 0, len(wrapLabel)+len(header)+len(associatedData))
	ad = append(ad, wrapLabel...)
	ad = append(ad, header...)
	return append(ad, associatedData...)
}

func payloadAD(headerAndWrappedKey, associatedData []byte) []byte {
	ad := make([]byte, 0, len(payloadLabel)+len(headerAndWrappedKey)+len(associatedData))
	ad = append(ad, payloadLabel...)
	ad = append(ad, headerAndWrappedKey...)
	return append(ad, associatedData...)
}
