package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/instant-erp/instanterp/internal/auth/ldap"
	"github.com/instant-erp/instanterp/internal/auth/oidc"
	"github.com/instant-erp/instanterp/internal/erp/base"
)

// ProviderKind is the protocol of an external identity provider.
type ProviderKind string

const (
	KindOIDC ProviderKind = "oidc"
	KindLDAP ProviderKind = "ldap"
)

// Provider is an external identity provider a tenant administrator configured.
// Its secret (OIDC client secret, LDAP search-account password) is not here: it is
// stored sealed under the master key and only unsealed to talk to the provider.
type Provider struct {
	ID      int64
	Kind    ProviderKind
	Name    string // shown on the sign-in page; unique in the tenant
	Enabled bool
	// CreateUsers lets a person the provider vouches for, with no user yet, get one
	// in DefaultGroup (an xml id such as base.group_user or base.group_portal).
	// Otherwise only users mapped to the provider, or matched by login, may sign in.
	CreateUsers  bool
	DefaultGroup string
	OIDC         *oidc.Settings `json:",omitempty"`
	LDAP         *ldap.Settings `json:",omitempty"`
	// HasSecret tells whether a secret is stored (the value never leaves).
	HasSecret bool
}

var providerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$`)

// ErrNoProvider is returned for an unknown or disabled provider.
var ErrNoProvider = errors.New("no such sign-in provider")

// CheckProviderName tells whether name may name a provider (it appears in sign-in
// URLs and buttons), so a form can show the error next to the field.
func CheckProviderName(name string) error {
	if !providerName.MatchString(name) {
		return errors.New("provider name: 1 to 64 letters, digits, spaces, '.', '_' or '-'")
	}
	return nil
}

func (p Provider) validate() error {
	if err := CheckProviderName(p.Name); err != nil {
		return err
	}
	switch p.Kind {
	case KindOIDC:
		if p.OIDC == nil || p.LDAP != nil {
			return errors.New("an OpenID Connect provider needs its settings, and only those")
		}
		if err := p.OIDC.Validate(); err != nil {
			return fmt.Errorf("provider %s: %w", p.Name, err)
		}
	case KindLDAP:
		if p.LDAP == nil || p.OIDC != nil {
			return errors.New("an LDAP provider needs its settings, and only those")
		}
		if err := p.LDAP.Validate(); err != nil {
			return fmt.Errorf("provider %s: %w", p.Name, err)
		}
	default:
		return fmt.Errorf("unknown provider kind %q", p.Kind)
	}
	if p.CreateUsers && p.DefaultGroup != base.GroupUser && p.DefaultGroup != base.GroupPortal {
		return fmt.Errorf("new users' group must be %s or %s", base.GroupUser, base.GroupPortal)
	}
	return nil
}

func (p Provider) settingsJSON() ([]byte, error) {
	if p.Kind == KindOIDC {
		return json.Marshal(p.OIDC)
	}
	return json.Marshal(p.LDAP)
}

// secretAD binds a sealed secret to its tenant and provider row, so a ciphertext
// copied elsewhere does not open.
func (s *Service) secretAD(id int64) []byte {
	return []byte("instanterp/auth-provider\x00" + s.cfg.Tenant + "\x00" + strconv.FormatInt(id, 10))
}

// SaveProvider creates (ID 0) or updates a provider. secret replaces the stored
// secret when not empty; an update with an empty secret keeps the old one.
func (s *Service) SaveProvider(ctx context.Context, p Provider, secret string) (int64, error) {
	if s.cfg.Key == nil {
		return 0, errors.New("identity: external providers need the master key")
	}
	if err := p.validate(); err != nil {
		return 0, err
	}
	settings, err := p.settingsJSON()
	if err != nil {
		return 0, err
	}
	if len(secret) > 4096 {
		return 0, errors.New("the secret is longer than 4096 bytes")
	}
	db, now := s.cfg.DB, s.cfg.Now().Unix()
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if p.ID == 0 {
			err := tx.QueryRowContext(ctx, db.Rebind(`INSERT INTO auth_provider
				(kind, name, enabled, settings, create_users, default_group, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				string(p.Kind), p.Name, p.Enabled, string(settings), p.CreateUsers, p.DefaultGroup, now, now).Scan(&p.ID)
			if err != nil {
				return fmt.Errorf("save provider %s: %w", p.Name, err)
			}
		} else {
			res, err := tx.ExecContext(ctx, db.Rebind(`UPDATE auth_provider SET kind = ?, name = ?, enabled = ?, settings = ?,
				create_users = ?, default_group = ?, updated_at = ? WHERE id = ?`),
				string(p.Kind), p.Name, p.Enabled, string(settings), p.CreateUsers, p.DefaultGroup, now, p.ID)
			if err != nil {
				return fmt.Errorf("save provider %s: %w", p.Name, err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return ErrNoProvider
			}
		}
		if secret == "" {
			return nil
		}
		sealed, err := s.cfg.Key.Seal([]byte(secret), s.secretAD(p.ID))
		if err != nil {
			return fmt.Errorf("seal provider secret: %w", err)
		}
		_, err = tx.ExecContext(ctx, db.Rebind(`UPDATE auth_provider SET secret_sealed = ? WHERE id = ?`), sealed, p.ID)
		return err
	})
	return p.ID, err
}

// DeleteProvider removes a provider and its users' mappings; the users remain.
func (s *Service) DeleteProvider(ctx context.Context, id int64) error {
	db := s.cfg.DB
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.Rebind(`DELETE FROM auth_external_identity WHERE provider_id = ?`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.Rebind(`DELETE FROM auth_provider WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNoProvider
		}
		return nil
	})
}

// UserProviders returns the names of the enabled providers of kind through which
// user id has signed in before, by name: the sign-in form sends such a user's
// password to their directory rather than checking a local one.
func (s *Service) UserProviders(ctx context.Context, userID int64, kind ProviderKind) ([]string, error) {
	rows, err := s.cfg.DB.Read.QueryContext(ctx, s.cfg.DB.Rebind(`SELECT p.name FROM auth_external_identity e
		JOIN auth_provider p ON p.id = e.provider_id
		WHERE e.user_id = ? AND p.kind = ? AND p.enabled = ? ORDER BY p.name`), userID, string(kind), true)
	if err != nil {
		return nil, fmt.Errorf("providers of user %d: %w", userID, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("providers of user %d: %w", userID, err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

const providerColumns = `SELECT id, kind, name, enabled, settings, create_users, default_group, secret_sealed FROM auth_provider`

// Providers lists the tenant's providers (enabled or not), by name.
func (s *Service) Providers(ctx context.Context) ([]Provider, error) {
	rows, err := s.cfg.DB.Read.QueryContext(ctx, providerColumns+" ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list providers: %w", err)
	}
	defer rows.Close()
	var out []Provider
	for rows.Next() {
		p, _, err := scanProvider(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ProviderByName returns an enabled provider, or ErrNoProvider.
func (s *Service) ProviderByName(ctx context.Context, name string) (Provider, error) {
	p, _, err := s.provider(ctx, "name = ?", name)
	return p, err
}

// provider loads an enabled provider with its sealed secret.
func (s *Service) provider(ctx context.Context, where string, arg any) (Provider, []byte, error) {
	p, sealed, err := scanProvider(s.cfg.DB.Read.QueryRowContext(ctx, s.cfg.DB.Rebind(providerColumns+" WHERE "+where), arg))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !p.Enabled) {
		return Provider{}, nil, ErrNoProvider
	}
	return p, sealed, err
}

func scanProvider(row interface{ Scan(...any) error }) (Provider, []byte, error) {
	var (
		p        Provider
		kind     string
		settings string
		sealed   []byte
	)
	if err := row.Scan(&p.ID, &kind, &p.Name, &p.Enabled, &settings, &p.CreateUsers, &p.DefaultGroup, &sealed); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Provider{}, nil, err
		}
		return Provider{}, nil, fmt.Errorf("read provider: %w", err)
	}
	p.Kind, p.HasSecret = ProviderKind(kind), len(sealed) > 0
	var err error
	switch p.Kind {
	case KindOIDC:
		p.OIDC = &oidc.Settings{}
		err = json.Unmarshal([]byte(settings), p.OIDC)
	case KindLDAP:
		p.LDAP = &ldap.Settings{}
		err = json.Unmarshal([]byte(settings), p.LDAP)
	default:
		err = fmt.Errorf("unknown kind %q", kind)
	}
	if err != nil {
		return Provider{}, nil, fmt.Errorf("read provider %s: %w", p.Name, err)
	}
	return p, sealed, nil
}

// unsealSecret opens a provider's secret ("" when none is stored).
func (s *Service) unsealSecret(p Provider, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	if s.cfg.Key == nil {
		return "", errors.New("identity: external providers need the master key")
	}
	plain, err := s.cfg.Key.Open(sealed, s.secretAD(p.ID))
	if err != nil {
		return "", fmt.Errorf("unseal the secret of provider %s: %w", p.Name, err)
	}
	return string(plain), nil
}
