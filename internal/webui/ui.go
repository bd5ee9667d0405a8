package webui

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Config is what the web application needs from the composition root.
type Config struct {
	// Registry is the frozen model registry of the installed modules.
	Registry *orm.Registry
	// Key seals second-factor secrets at rest.
	Key *secrets.MasterKey
	// Hasher hashes passwords; nil means password.NewHasher(0).
	Hasher *password.Hasher
	// Policy decides which new passwords are accepted; nil means the default
	// policy with the shipped common-password list.
	Policy *password.Policy
	// Sessions and Throttle tune sign-in; zero values take the packages' defaults.
	Sessions session.Config
	Throttle throttle.Config
	// Mail sends reset and invitation links (internal/mail: SMTP when configured,
	// the outbox directory otherwise); nil means links cannot be mailed.
	Mail mail.Sender
	// IdentityHTTPClient talks to tenants' OpenID providers; nil means a client
	// with a timeout. LDAPRoots replaces the system's trusted roots for directories
	// (tests); a provider's own CA certificates are trusted either way.
	IdentityHTTPClient *http.Client
	LDAPRoots          *x509.CertPool
	// Downloads redeems the signed links of backup exports served at
	// /backup/download/<token>; nil answers that route with not found.
	Downloads BackupDownloads
	// FilestoreDir is where a tenant keeps binary content (the company logo),
	// tenancy.Storage.FilestoreDir; nil means binary fields are not offered.
	FilestoreDir func(t tenancy.Tenant) string
	// Views are the screens; nil means DefaultViews for the registry.
	Views []*View
	// Log receives operational logs; nil means slog.Default.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Mounter is where the application's handlers go (internal/web.Server).
type Mounter interface {
	HandleTenant(pattern string, h http.Handler)
}

// UI is the web application of every tenant.
type UI struct {
	cfg      Config
	log      *slog.Logger
	pages    pages
	views    map[string]*View // by slug
	order    []*View
	byModel  map[string]*View
	origin   *http.CrossOriginProtection
	hasher   *password.Hasher
	policy   *password.Policy
	now      func() time.Time
	assets   http.Handler
	throttle throttle.Config
	// mails counts the reset requests whose mails are still being sent.
	mails sync.WaitGroup
}

// New checks the configuration and the view declarations against the registry.
func New(cfg Config) (*UI, error) {
	if cfg.Registry == nil {
		return nil, errors.New("webui: a registry is required")
	}
	if cfg.Key == nil {
		return nil, errors.New("webui: the master key is required (second-factor secrets)")
	}
	u := &UI{cfg: cfg, log: cfg.Log, now: cfg.Now, hasher: cfg.Hasher, policy: cfg.Policy}
	if u.log == nil {
		u.log = slog.Default()
	}
	if u.now == nil {
		u.now = time.Now
	}
	var err error
	if u.hasher == nil {
		if u.hasher, err = password.NewHasher(0); err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
	}
	if u.policy == nil {
		common, err := password.LoadCommonList()
		if err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
		if u.policy, err = password.NewPolicy(0, common); err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
	}
	u.throttle = cfg.Throttle
	if u.throttle.Address.Failures == 0 && u.throttle.Account.Failures == 0 {
		u.throttle = throttle.DefaultConfig()
	}
	if u.throttle.Now == nil {
		u.throttle.Now = u.now
	}
	if u.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("webui: %w", err)
	}
	views := cfg.Views
	if views == nil {
		views = DefaultViews(cfg.Registry)
	}
	u.views, u.byModel = map[string]*View{}, map[string]*View{}
	for _, v := range views {
		if err := v.validate(cfg.Registry); err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
		if _, dup := u.views[v.Slug]; dup {
			return nil, fmt.Errorf("webui: two views named %q", v.Slug)
		}
		u.views[v.Slug] = v
		u.order = append(u.order, v)
		// Links to records open the users' views, never an administrator's editor.
		if _, ok := u.byModel[v.Model]; !ok && !v.Admin {
			u.byModel[v.Model] = v
		}
	}
	for _, v := range u.order {
		if err := u.checkRelated(v); err != nil {
			return nil, fmt.Errorf("webui: %w", err)
		}
	}
	u.origin = http.NewCrossOriginProtection()
	u.origin.SetDenyHandler(http.HandlerFunc(u.crossOriginRefused))
	u.assets = assetHandler()
	return u, nil
}

// Mount registers every route of the application and the portal on m. Paths avoid
// those of the external API (/web/session/…, /web/dataset/…, /xmlrpc, /jsonrpc,
// /json/2, /doc).
func (u *UI) Mount(m Mounter) {
	guard := func(h http.HandlerFunc) http.Handler { return u.origin.Handler(h) }
	m.HandleTenant("GET /web/assets/", u.assets)
	m.HandleTenant("/web/login", guard(u.login))
	m.HandleTenant("POST /web/login/totp", guard(u.loginSecondFactor))
	m.HandleTenant("POST /web/login/enrol", guard(u.loginEnrol))
	m.HandleTenant("POST /web/login/passkey/options", guard(u.loginPasskeyOptions))
	m.HandleTenant("POST /web/login/passkey", guard(u.loginPasskey))
	m.HandleTenant("POST /web/logout", guard(u.logout))
	m.HandleTenant("POST /web/login/oidc/{provider}", guard(u.loginOIDCStart))
	m.HandleTenant("GET "+identity.OIDCCallbackPath, guard(u.loginOIDCCallback))
	m.HandleTenant("/web/reset_password", guard(u.resetPassword))
	m.HandleTenant("/web/signup", guard(u.signup))
	m.HandleTenant("/odoo", guard(u.appRoot))
	m.HandleTenant("/odoo/", guard(u.appRoot))
	m.HandleTenant("GET /backup/download/{token}", guard(u.backupDownload))
	m.HandleTenant("/my", guard(u.portalRoot))
	m.HandleTenant("/my/", guard(u.portalRoot))
}
