package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/auth/totp"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/web"
)

// tenantServices are the identity services of the request's tenant. They are cheap
// values over the tenant's database handle, built per request.
type tenantServices struct {
	name     string
	db       *store.DB
	sessions *session.Store
	throttle *throttle.Throttle
	seclog   *securitylog.Log
	totp     *totp.Manager
	accounts *identity.Accounts
	auth     *auth.Authenticator
	// identity is the tenant's identity service (external sign-in and its
	// providers); its links and mails start at the request's tenant origin.
	identity *identity.Service
	// envOptions give record environments the tenant's filestore.
	envOptions []orm.EnvOption
}

var errNoTenant = errors.New("request reached the application without a tenant")

func (u *UI) services(r *http.Request) (*tenantServices, error) {
	lease := web.Tenant(r.Context())
	if lease == nil {
		return nil, errNoTenant
	}
	s := &tenantServices{name: lease.Tenant.Name, db: lease.DB}
	if u.cfg.FilestoreDir != nil {
		fs, err := orm.NewFilestore(u.cfg.FilestoreDir(lease.Tenant))
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", lease.Tenant.Name, err)
		}
		s.envOptions = append(s.envOptions, orm.WithFilestore(fs))
	}
	cfg := u.cfg.Sessions
	if cfg.Now == nil {
		cfg.Now = u.now
	}
	var err error
	if s.sessions, err = session.NewStore(lease.DB, cfg); err != nil {
		return nil, err
	}
	if s.throttle, err = throttle.New(lease.DB, u.throttle); err != nil {
		return nil, err
	}
	s.seclog = securitylog.New(lease.DB, u.now)
	if s.totp, err = totp.New(lease.DB, totp.Config{Tenant: lease.Tenant.Name, Key: u.cfg.Key, Now: u.now}); err != nil {
		return nil, err
	}
	s.identity, err = identity.New(identity.Config{DB: lease.DB, Registry: u.cfg.Registry, BaseURL: absoluteURL(r, ""),
		Tenant: lease.Tenant.Name, Hasher: u.hasher, Policy: u.policy, Mail: u.cfg.Mail, Key: u.cfg.Key, Throttle: u.throttle,
		HTTPClient: u.cfg.IdentityHTTPClient, LDAPRoots: u.cfg.LDAPRoots, Logger: u.log, Now: u.now})
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", lease.Tenant.Name, err)
	}
	// Sign-in and the password confirmations read users through the identity
	// service's accounts, like the API and the command line.
	s.accounts = s.identity.Accounts()
	if s.auth, err = auth.NewAuthenticator(s.accounts, u.hasher, s.throttle, s.seclog, u.log); err != nil {
		return nil, err
	}
	return s, nil
}

// signer returns the tenant's token signer (database.secret); it reads the database,
// so only the screens that use tokens ask for it.
func (u *UI) signer(ctx context.Context, s *tenantServices) (*token.Signer, error) {
	sg, err := token.LoadSigner(ctx, s.db, u.now)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", s.name, err)
	}
	return sg, nil
}
