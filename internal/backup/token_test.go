package backup

import (
	"encoding/hex"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/token"
)

func signerFor(t *testing.T, secretHex string) *token.Signer {
	t.Helper()
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		t.Fatal(err)
	}
	s, err := token.NewSigner(secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
