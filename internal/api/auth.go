package api

import (
	"context"
	"errors"
	"net/http"
	"net/netip"

	"github.com/instant-erp/instanterp/internal/store"
)

// Client describes who is calling, for throttling and the security log.
type Client struct {
	Address   netip.Addr
	UserAgent string
}

// Principal is an authenticated caller: the user every call runs as, and the API
// key that proved it (0 for a password or a session).
type Principal struct {
	UID   int64
	KeyID int64
}

// ErrDenied is what an Authenticator returns for any refused credential. The API
// answers every refusal the same way ("Access Denied"), whatever the reason.
var ErrDenied = errors.New("access denied")

// Authenticator checks credentials against one tenant's database. Implementations
// must take the same time for an unknown login as for a wrong password, throttle
// failures, and record the use of API keys.
type Authenticator interface {
	// Login checks a login with a password or an API key (Odoo's authenticate).
	Login(ctx context.Context, db *store.DB, login, secret string, c Client) (Principal, error)
	// Verify checks that secret is uid's password or one of uid's API keys, as
	// execute_kw sends them with every call.
	Verify(ctx context.Context, db *store.DB, uid int64, secret string, c Client) (Principal, error)
	// Bearer checks an API key presented on its own (JSON-2).
	Bearer(ctx context.Context, db *store.DB, key string, c Client) (Principal, error)
	// Dummy spends the work of one failed check. The API calls it when a request is
	// refused before any check could be made (an unknown database), so that timing
	// does not tell an unknown database from a wrong password.
	Dummy(secret string)
}

// Sessions keeps the browser-style sessions of the /web/session endpoints. Sessions
// live in the tenant database, so one tenant's session means nothing to another.
type Sessions interface {
	// Start opens a session for p and returns the cookie that carries it.
	Start(ctx context.Context, db *store.DB, p Principal, c Client) (*http.Cookie, error)
	// Resume returns the principal of the live session r carries, or ErrDenied.
	Resume(ctx context.Context, db *store.DB, r *http.Request) (Principal, error)
	// End closes the session r carries (if any) and returns the cookie that clears it.
	End(ctx context.Context, db *store.DB, r *http.Request) (*http.Cookie, error)
}
