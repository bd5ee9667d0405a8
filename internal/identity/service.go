package identity

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/ceremony"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store"
)

// Config is what a tenant's identity service needs.
type Config struct {
	DB       *store.DB
	Registry *orm.Registry
	// BaseURL is the tenant's origin, such as https://acme.erp.example.com, which
	// links start with.
	BaseURL string
	// Tenant names the tenant in mails.
	Tenant string
	Hasher *password.Hasher
	Policy *password.Policy
	// Mail sends links; nil means links can be created and printed but not mailed.
	Mail mail.Sender
	// Key seals the secrets of external identity providers; needed only for them.
	Key *secrets.MasterKey
	// Throttle limits LDAP password guessing like local sign-in; zero values take
	// throttle.DefaultConfig.
	Throttle throttle.Config
	// HTTPClient talks to OpenID providers; nil means a client with a timeout.
	HTTPClient *http.Client
	// LDAPRoots replaces the system's trusted roots for directories (tests); a
	// provider's own CA certificates are trusted either way.
	LDAPRoots *x509.CertPool
	Logger    *slog.Logger
	Now       func() time.Time
}

// Service is the identity procedures of one tenant.
type Service struct {
	cfg        Config
	accounts   *Accounts
	sessions   *session.Store
	log        *securitylog.Log
	throttle   *throttle.Throttle
	ceremonies *ceremony.Store
	base       *url.URL
	// background holds reset mails sent after the request has been answered.
	background sync.WaitGroup
}

// ErrNoMail is returned when mailing a link with no mail sender configured.
var ErrNoMail = errors.New("no mail sender is configured")

// New checks cfg and returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Registry == nil || cfg.Hasher == nil || cfg.Policy == nil {
		return nil, errors.New("identity: database, registry, hasher and policy are required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme != "https" && base.Scheme != "http" || base.Host == "" ||
		strings.Trim(base.Path, "/") != "" || base.RawQuery != "" || base.User != nil {
		return nil, fmt.Errorf("identity: base URL %q: want https://host", cfg.BaseURL)
	}
	base.Path = ""
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sessions, err := session.NewStore(cfg.DB, session.Config{Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	thCfg := cfg.Throttle
	if thCfg.Address.Failures == 0 && thCfg.Account.Failures == 0 {
		thCfg = throttle.DefaultConfig()
	}
	if thCfg.Now == nil {
		thCfg.Now = cfg.Now
	}
	th, err := throttle.New(cfg.DB, thCfg)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return &Service{
		cfg: cfg, base: base, sessions: sessions, throttle: th,
		accounts:   NewAccounts(cfg.DB, cfg.Registry),
		log:        securitylog.New(cfg.DB, cfg.Now),
		ceremonies: ceremony.New(cfg.DB, cfg.Now),
	}, nil
}

// Accounts is the tenant's user store.
func (s *Service) Accounts() *Accounts { return s.accounts }

// SecurityLog is the tenant's security log.
func (s *Service) SecurityLog() *securitylog.Log { return s.log }

// Wait blocks until reset mails accepted by RequestReset have been handed to the
// mail sender (for shutdown and tests).
func (s *Service) Wait() { s.background.Wait() }

// Origin is where a request came from, for the security log.
type Origin struct {
	Address   string
	UserAgent string
	// ActorID is the administrator acting on another user's account (0: the user).
	ActorID int64
}
