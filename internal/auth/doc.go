// Package auth checks passwords at login, composing its sub-packages: password
// (hashing and policy), throttle (lock-outs shared through the tenant database) and
// securitylog (the tenant's record of security events). The other pieces of identity
// live beside it: session, token (signed reset/invitation/portal links), totp and
// apikey.
//
// The ORM owns res.users; it plugs in through the Accounts interface.
package auth
