// Package passkeytest is a passkey authenticator in software for tests: an ES256
// key pair, attestation "none" and a signature counter, answering with the JSON a
// browser sends, so the WebAuthn library under test sees what a real one would.
package passkeytest

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

// Authenticator is one software authenticator holding one credential.
type Authenticator struct {
	t      testing.TB
	key    *ecdsa.PrivateKey
	credID []byte
	// Handle is the user handle learnt at registration, sent back when signing in.
	Handle []byte
	rpID   string
	// Origin is what the client data claims the page's origin is.
	Origin string
	// Count is the signature counter; each assertion moves it by one.
	Count uint32
	// Misbehaviour knobs.
	Flags       byte // overrides the authenticator flags when not zero
	WrongRPID   bool
	BadSig      bool
	CountBefore bool // move the counter backwards instead of forwards
}

// Authenticator data flags.
const (
	FlagUP = 0x01 // user present
	FlagUV = 0x04 // user verified
	flagAT = 0x40 // attested credential data included
)

// New returns an authenticator for relying party rpID, used from origin.
func New(t testing.TB, rpID, origin string) *Authenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &Authenticator{t: t, key: key, credID: id, rpID: rpID, Origin: origin, Count: 1}
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

func (a *Authenticator) options(raw []byte) publicKeyOptions {
	a.t.Helper()
	var o publicKeyOptions
	if err := json.Unmarshal(raw, &o); err != nil || o.PublicKey.Challenge == "" {
		a.t.Fatalf("options %s: %v", raw, err)
	}
	return o
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) rpHash() []byte {
	id := a.rpID
	if a.WrongRPID {
		id = "evil.example.com"
	}
	h := sha256.Sum256([]byte(id))
	return h[:]
}

func (a *Authenticator) authData(flags byte, withCredential bool) []byte {
	if a.Flags != 0 {
		flags = a.Flags
	}
	out := append([]byte{}, a.rpHash()...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, a.Count)
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

// Create answers navigator.credentials.create with a new credential.
func (a *Authenticator) Create(optionsJSON []byte) []byte {
	a.t.Helper()
	o := a.options(optionsJSON)
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		a.t.Fatalf("user id %q: %v", o.PublicKey.User.ID, err)
	}
	a.Handle = handle
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(FlagUP|FlagUV|flagAT, true)})
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

// Get answers navigator.credentials.get by signing the challenge.
func (a *Authenticator) Get(optionsJSON []byte) []byte {
	a.t.Helper()
	o := a.options(optionsJSON)
	if a.CountBefore {
		a.Count--
	} else {
		a.Count++
	}
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	ad := a.authData(FlagUP|FlagUV, false)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	if a.BadSig {
		sig[len(sig)-1] ^= 0x01
	}
	resp, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.Handle),
		},
	})
	return resp
}
