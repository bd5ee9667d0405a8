// Package identity is the non-HTTP side of a tenant's user identity, used by the
// command line and the web UI alike:
//
//   - Accounts, res.users as sign-in sees it (the auth.Accounts implementation),
//     with each user's last sign-in time;
//   - Service: set-password (invitation) and reset links, applying a new password,
//     reset requests by mail with a per-user limit and no disclosure of which
//     addresses exist;
//   - external sign-in (OpenID Connect, LDAP) and passkeys live in internal/auth/oidc,
//     internal/auth/ldap and internal/auth/passkey, and map to users through
//     Accounts.
//
// Links are stateless tokens (internal/auth/token) bound to the user's password hash
// and last sign-in, so a link dies when it is used and on any sign-in.
package identity
