package passkey_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softAuthenticator is a passkey authenticator in software: an ES256 key pair,
// attestation "none", a signature counter. It speaks the browser's side of the
// WebAuthn JSON, so the library under test sees what a real browser would send.
type softAuthenticator struct {
	t      *testing.T
	key    *ecdsa.PrivateKey
	credID []byte
	handle []byte // user handle learnt at registration
	rpID   string
	origin string
	count  uint32
	// Misbehaviour knobs.
	flags       byte // overrides the authenticator flags when set
	wrongRPID   bool
	badSig      bool
	countBefore bool // report a counter that did not move forward
}

const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

func newAuthenticator(t *testing.T, rpID, origin string) *softAuthenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &softAuthenticator{t: t, key: key, credID: id, rpID: rpID, origin: origin, count: 1}
}

var b64 = base64.RawURLEncoding

type publicKeyOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func (a *softAuthenticator) options(raw []byte) publicKeyOptions {
	a.t.Helper()
	var o publicKeyOptions
	if err := json.Unmarshal(raw, &o); err != nil || o.PublicKey.Challenge == "" {
		a.t.Fatalf("options %s: %v", raw, err)
	}
	return o
}

func (a *softAuthenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

func (a *softAuthenticator) rpHash() []byte {
	id := a.rpID
	if a.wrongRPID {
		id = "evil.example.com"
	}
	h := sha256.Sum256([]byte(id))
	return h[:]
}

func (a *softAuthenticator) authData(flags byte, withCredential bool) []byte {
	if a.flags != 0 {
		flags = a.flags
	}
	out := append([]byte{}, a.rpHash()...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, a.count)
	if withCredential {
		out = append(out, make([]byte, 16)...) // AAGUID: none
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.credID)))
		out = append(out, a.credID...)
		cose, err := webauthncbor.Marshal(map[int]any{
			1: 2, 3: -7, -1: 1,
			-2: a.key.PublicKey.X.FillBytes(make([]byte, 32)),
			-3: a.key.PublicKey.Y.FillBytes(make([]byte, 32)),
		})
		if err != nil {
			a.t.Fatal(err)
		}
		out = append(out, cose...)
	}
	return out
}

// create answers navigator.credentials.create.
func (a *softAuthenticator) create(optionsJSON []byte) []byte {
	a.t.Helper()
	o := a.options(optionsJSON)
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		a.t.Fatalf("user id %q: %v", o.PublicKey.User.ID, err)
	}
	a.handle = handle
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(flagUP|flagUV|flagAT, true)})
	if err != nil {
		a.t.Fatal(err)
	}
	resp, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
	return resp
}

// get answers navigator.credentials.get.
func (a *softAuthenticator) get(optionsJSON []byte) []byte {
	a.t.Helper()
	o := a.options(optionsJSON)
	if a.countBefore {
		a.count--
	} else {
		a.count++
	}
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	ad := a.authData(flagUP|flagUV, false)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	if a.badSig {
		sig[len(sig)-1] ^= 0x01
	}
	resp, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.handle),
		},
	})
	return resp
}
