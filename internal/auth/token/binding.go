package token

import (
	"encoding/binary"
	"strconv"
	"time"
)

// Bind joins the pieces of state a token depends on into one unambiguous byte string
// (each piece length-prefixed), for Sign and Verify.
func Bind(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	return out
}

// ResetBinding is the state a password-reset or invitation token is bound to: the
// user, their current password hash and their last login. Setting a password changes
// the hash and logging in changes the last login, so either kills the token.
func ResetBinding(userID int64, passwordHash string, lastLogin time.Time) []byte {
	login := ""
	if !lastLogin.IsZero() {
		login = strconv.FormatInt(lastLogin.UnixNano(), 10)
	}
	return Bind("user", strconv.FormatInt(userID, 10), passwordHash, login)
}

// TrustedDeviceBinding is the state a trusted-device token is bound to: the tenant
// (two tenants restored from one copy share database.secret), the user, their
// password hash, the state of their second factor (a digest that changes when it is
// turned off and on again) and their trust generation (which changes each time they
// revoke their trusted devices). A change of any of them revokes every trusted device.
func TrustedDeviceBinding(tenant string, userID int64, passwordHash, secondFactor string, generation int64) []byte {
	return Bind("trusted-device", tenant, strconv.FormatInt(userID, 10), passwordHash, secondFactor, strconv.FormatInt(generation, 10))
}
