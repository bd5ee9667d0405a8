package secrets

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to Open: it must never panic, never return
// plaintext for input it did not seal, and fail only with the documented errors.
func FuzzOpen(f *testing.F) {
	key := testKey(f, 0x11)
	// Seal is randomized and fuzz workers are separate processes, so the one
	// genuine value must come from a file rather than from Seal.
	raw, err := os.ReadFile(filepath.Join("testdata", "v1-sealed.hex"))
	if err != nil {
		f.Fatal(err)
	}
	valid, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid, []byte("tenant:acme:pg-password"))
	f.Add(valid[:Overhead-1], []byte("tenant:acme:pg-password"))
	f.Add(valid[:headerSize], []byte{})
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("x"))
	f.Add(bytes.Repeat([]byte{1}, Overhead+8), []byte("x"))

	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		plaintext, err := key.Open(sealed, ad)
		if err != nil {
			if plaintext != nil {
				t.Fatal("Open returned plaintext together with an error")
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		// Only a genuine seal authenticates; the seeds hold exactly one.
		if !bytes.Equal(sealed, valid) || string(plaintext) != "stored in format 1" {
			t.Fatalf("Open accepted forged input %x", sealed)
		}
	})
}

// FuzzParseKeyFile checks that any key file content either yields exactly
// KeySize bytes or an error, and never panics.
func FuzzParseKeyFile(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0xab}, KeySize))
	f.Add([]byte("abababababababababababababababababababababababababababababababab\n"))
	f.Add([]byte("abababababababababababababababababababababababababababababababab\r\n"))
	f.Add([]byte{})
	f.Add([]byte("\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		key, err := parseKeyFile(content)
		if err != nil {
			return
		}
		if len(key) != KeySize {
			t.Fatalf("parsed key has %d bytes", len(key))
		}
	})
}
