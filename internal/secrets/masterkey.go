// Package secrets holds the operator's master key and the envelope encryption
// of stored credentials (tenant database passwords, TOTP secrets, backup
// identities) under it.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the length of a master key and of every per-secret data key.
const KeySize = 32

// keyIDSize is the number of bytes of the key fingerprint stored in every
// sealed value. 64 bits tell keys apart; they are not a security boundary.
const keyIDSize = 8

// keyIDLabel separates the key fingerprint from any other hash of the key.
const keyIDLabel = "instanterp/secrets master key id v1\x00"

// MasterKey encrypts and decrypts sealed secrets. It is safe for concurrent use.
type MasterKey struct {
	id   [keyIDSize]byte
	wrap cipher.AEAD
}

// NewMasterKey builds a master key from exactly KeySize bytes of key material.
// The slice is copied; the caller may clear it afterwards.
func NewMasterKey(key []byte) (*MasterKey, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", KeySize, len(key))
	}
	wrap, err := newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("master key cipher: %w", err)
	}
	m := &MasterKey{wrap: wrap}
	m.id = keyID(key)
	return m, nil
}

// KeyID is a short, stable, non-secret identifier of the key (16 hex
// characters), suitable for logs and for recording which key sealed a value.
func (m *MasterKey) KeyID() string {
	return hex.EncodeToString(m.id[:])
}

func keyID(key []byte) [keyIDSize]byte {
	h := sha256.New()
	h.Write([]byte(keyIDLabel))
	h.Write(key)
	var id [keyIDSize]byte
	copy(id[:], h.Sum(nil))
	return id
}

// newAEAD returns AES-256-GCM that draws a fresh random nonce for every
// message and stores it in front of the ciphertext.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, errors.New("key has the wrong size")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}
