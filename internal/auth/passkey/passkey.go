// Package passkey registers and checks passkeys (WebAuthn credentials) of a
// tenant's users, as a second factor after the password or for passwordless
// sign-in, with github.com/go-webauthn/webauthn doing the ceremonies.
//
// Credentials (public keys, counters, flags; nothing secret) live in the tenant
// database. Each ceremony's challenge is kept server-side through
// internal/auth/ceremony: single use, bound to the browser that began it, expiring
// after five minutes. A user handle is 32 random bytes per user, never the user id.
package passkey

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/instant-erp/instanterp/internal/auth/ceremony"
	"github.com/instant-erp/instanterp/internal/store"
)

const (
	ceremonyTime = 5 * time.Minute
	// MaxResponse bounds a browser's answer to a ceremony.
	MaxResponse = 64 << 10
	// MaxPerUser bounds how many passkeys one user registers.
	MaxPerUser  = 20
	maxName     = 64
	handleBytes = 32
)

var (
	// ErrRefused is the one answer to a ceremony that does not verify: unknown or
	// used challenge, other browser, bad signature, wrong origin, unknown
	// credential, a counter that went backwards.
	ErrRefused = errors.New("the passkey was not accepted")
	// ErrTooMany refuses a registration beyond MaxPerUser.
	ErrTooMany = fmt.Errorf("at most %d passkeys per user", MaxPerUser)
)

// Config names the relying party: the tenant's host and origin.
type Config struct {
	// Origin is the tenant's origin, such as https://acme.erp.example.com; its host
	// is the relying party id.
	Origin      string
	DisplayName string
	Now         func() time.Time
}

// Manager runs passkey ceremonies for one tenant database.
type Manager struct {
	db         *store.DB
	wa         *webauthn.WebAuthn
	ceremonies *ceremony.Store
	now        func() time.Time
}

// New checks cfg.
func New(db *store.DB, cfg Config) (*Manager, error) {
	u, err := url.Parse(cfg.Origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("passkey: origin %q: want https://host", cfg.Origin)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = "Instant-ERP"
	}
	origin := u.Scheme + "://" + u.Host
	wa, err := webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: cfg.DisplayName, RPOrigins: []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTime, TimeoutUVD: ceremonyTime},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTime, TimeoutUVD: ceremonyTime},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &Manager{db: db, wa: wa, ceremonies: ceremony.New(db, cfg.Now), now: cfg.Now}, nil
}

// User is the account a ceremony is for.
type User struct {
	ID    int64
	Login string
	Name  string
}

// Passkey is a registered credential as the user sees it.
type Passkey struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// waUser adapts a user and their credentials to the library.
type waUser struct {
	User
	handle []byte
	creds  []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.handle }
func (u *waUser) WebAuthnName() string                       { return u.Login }
func (u *waUser) WebAuthnDisplayName() string                { return u.Name }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// BeginRegistration starts adding a passkey for u (who has just proven who they
// are). It returns the options for navigator.credentials.create (JSON) and the
// handle to bring back with the answer.
func (m *Manager) BeginRegistration(ctx context.Context, u User, browser string) (options []byte, handle string, err error) {
	wu, err := m.load(ctx, u, true)
	if err != nil {
		return nil, "", err
	}
	if len(wu.creds) >= MaxPerUser {
		return nil, "", ErrTooMany
	}
	exclude := make([]protocol.CredentialDescriptor, len(wu.creds))
	for i := range wu.creds {
		exclude[i] = wu.creds[i].Descriptor()
	}
	creation, session, err := m.wa.BeginRegistration(wu,
		webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithCredentialParameters([]protocol.CredentialParameter{
			{Type: protocol.PublicKeyCredentialType, Algorithm: -7},   // ES256
			{Type: protocol.PublicKeyCredentialType, Algorithm: -8},   // EdDSA
			{Type: protocol.PublicKeyCredentialType, Algorithm: -257}, // RS256
		}))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey registration: %w", err)
	}
	return m.begin(ctx, ceremony.PasskeyRegistration, u.ID, creation, session, browser)
}

// FinishRegistration checks the authenticator's answer and stores the passkey
// under name.
func (m *Manager) FinishRegistration(ctx context.Context, u User, handle, browser string, response []byte, name string) (Passkey, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		name = "Passkey"
	}
	if len(name) > maxName || !utf8.ValidString(name) {
		return Passkey{}, fmt.Errorf("a passkey name has at most %d bytes", maxName)
	}
	session, err := m.take(ctx, ceremony.PasskeyRegistration, handle, browser, u.ID)
	if err != nil {
		return Passkey{}, err
	}
	if len(response) > MaxResponse {
		return Passkey{}, ErrRefused
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	wu, err := m.load(ctx, u, false)
	if err != nil {
		return Passkey{}, err
	}
	if wu.handle == nil {
		return Passkey{}, ErrRefused
	}
	cred, err := m.wa.CreateCredential(wu, session, parsed)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return Passkey{}, err
	}
	now := m.now()
	p := Passkey{Name: name, CreatedAt: time.Unix(now.Unix(), 0)}
	err = m.db.Write.QueryRowContext(ctx, m.db.Rebind(`INSERT INTO auth_passkey (user_id, credential_id, name, credential, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), u.ID, cred.ID, name, string(raw), now.Unix()).Scan(&p.ID)
	if err != nil {
		// A credential id registered before (by anyone) is refused by the unique index.
		return Passkey{}, fmt.Errorf("%w: store passkey: %v", ErrRefused, err)
	}
	return p, nil
}

// BeginLogin starts a second-factor check for user u: only their passkeys are allowed.
func (m *Manager) BeginLogin(ctx context.Context, u User, browser string) (options []byte, handle string, err error) {
	wu, err := m.load(ctx, u, false)
	if err != nil {
		return nil, "", err
	}
	if len(wu.creds) == 0 {
		return nil, "", ErrRefused
	}
	assertion, session, err := m.wa.BeginLogin(wu, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey login: %w", err)
	}
	return m.begin(ctx, ceremony.PasskeyLogin, u.ID, assertion, session, browser)
}

// FinishLogin checks the answer to BeginLogin.
func (m *Manager) FinishLogin(ctx context.Context, u User, handle, browser string, response []byte) error {
	session, err := m.take(ctx, ceremony.PasskeyLogin, handle, browser, u.ID)
	if err != nil {
		return err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return err
	}
	wu, err := m.load(ctx, u, false)
	if err != nil {
		return err
	}
	cred, err := m.wa.ValidateLogin(wu, session, parsed)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRefused, err)
	}
	return m.used(ctx, u.ID, cred)
}

// BeginPasswordless starts a sign-in where the authenticator names the user (a
// discoverable credential), with user verification required.
func (m *Manager) BeginPasswordless(ctx context.Context, browser string) (options []byte, handle string, err error) {
	assertion, session, err := m.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey sign-in: %w", err)
	}
	return m.begin(ctx, ceremony.PasskeyLogin, 0, assertion, session, browser)
}

// FinishPasswordless checks the answer to BeginPasswordless and returns the user
// id the passkey belongs to. The caller checks that the user is active and records
// the sign-in.
func (m *Manager) FinishPasswordless(ctx context.Context, handle, browser string, response []byte) (int64, error) {
	session, err := m.take(ctx, ceremony.PasskeyLogin, handle, browser, 0)
	if err != nil {
		return 0, err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return 0, err
	}
	var owner *waUser
	lookup := func(rawID, userHandle []byte) (webauthn.User, error) {
		var uid int64
		err := m.db.Read.QueryRowContext(ctx, m.db.Rebind(`SELECT user_id FROM auth_passkey_user WHERE handle = ?`), userHandle).Scan(&uid)
		if err != nil {
			return nil, errors.New("unknown user handle")
		}
		wu, err := m.load(ctx, User{ID: uid}, false)
		if err != nil {
			return nil, err
		}
		owner = wu
		return wu, nil
	}
	_, cred, err := m.wa.ValidatePasskeyLogin(lookup, session, parsed)
	if err != nil || owner == nil {
		return 0, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	if err := m.used(ctx, owner.ID, cred); err != nil {
		return 0, err
	}
	return owner.ID, nil
}

// List returns user id's passkeys, oldest first.
func (m *Manager) List(ctx context.Context, userID int64) ([]Passkey, error) {
	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(`SELECT id, name, created_at, last_used_at FROM auth_passkey
		WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var (
			p        Passkey
			created  int64
			lastUsed sql.NullInt64
		)
		if err := rows.Scan(&p.ID, &p.Name, &created, &lastUsed); err != nil {
			return nil, fmt.Errorf("list passkeys: %w", err)
		}
		p.CreatedAt = time.Unix(created, 0)
		if lastUsed.Valid {
			p.LastUsedAt = time.Unix(lastUsed.Int64, 0)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Delete removes one of user id's passkeys; another user's id is not found.
func (m *Manager) Delete(ctx context.Context, userID, passkeyID int64) error {
	res, err := m.db.Write.ExecContext(ctx, m.db.Rebind(`DELETE FROM auth_passkey WHERE id = ? AND user_id = ?`), passkeyID, userID)
	if err != nil {
		return fmt.Errorf("delete passkey: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return sql.ErrNoRows
	}
	return nil
}

func (m *Manager) begin(ctx context.Context, kind ceremony.Kind, userID int64, options any, session *webauthn.SessionData, browser string) ([]byte, string, error) {
	data, err := json.Marshal(session)
	if err != nil {
		return nil, "", err
	}
	handle, err := m.ceremonies.Begin(ctx, ceremony.Ceremony{Kind: kind, UserID: userID, Data: data}, browser, ceremonyTime)
	if err != nil {
		return nil, "", err
	}
	out, err := json.Marshal(options)
	if err != nil {
		return nil, "", err
	}
	return out, handle, nil
}

// take consumes a ceremony begun for userID (0: passwordless).
func (m *Manager) take(ctx context.Context, kind ceremony.Kind, handle, browser string, userID int64) (webauthn.SessionData, error) {
	c, err := m.ceremonies.Take(ctx, kind, handle, browser)
	if err != nil {
		return webauthn.SessionData{}, ErrRefused
	}
	var session webauthn.SessionData
	if c.UserID != userID || json.Unmarshal(c.Data, &session) != nil {
		return webauthn.SessionData{}, ErrRefused
	}
	return session, nil
}

func parseAssertion(response []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(response) > MaxResponse {
		return nil, ErrRefused
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	return parsed, nil
}

// used stores the counter the authenticator reported; a counter that did not move
// forward means a cloned authenticator, and the sign-in is refused.
func (m *Manager) used(ctx context.Context, userID int64, cred *webauthn.Credential) error {
	if cred.Authenticator.CloneWarning {
		return fmt.Errorf("%w: the authenticator's counter went backwards", ErrRefused)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	res, err := m.db.Write.ExecContext(ctx, m.db.Rebind(`UPDATE auth_passkey SET credential = ?, last_used_at = ?
		WHERE user_id = ? AND credential_id = ?`), string(raw), m.now().Unix(), userID, cred.ID)
	if err != nil {
		return fmt.Errorf("record passkey use: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrRefused
	}
	return nil
}

// load reads u's handle and credentials; create makes the handle if missing.
func (m *Manager) load(ctx context.Context, u User, create bool) (*waUser, error) {
	wu := &waUser{User: u}
	err := m.db.Read.QueryRowContext(ctx, m.db.Rebind(`SELECT handle FROM auth_passkey_user WHERE user_id = ?`), u.ID).Scan(&wu.handle)
	switch {
	case errors.Is(err, sql.ErrNoRows) && create:
		h := make([]byte, handleBytes)
		if _, err := rand.Read(h); err != nil {
			return nil, err
		}
		if _, err := m.db.Write.ExecContext(ctx, m.db.Rebind(`INSERT INTO auth_passkey_user (user_id, handle) VALUES (?, ?)
			ON CONFLICT (user_id) DO NOTHING`), u.ID, h); err != nil {
			return nil, fmt.Errorf("create passkey user handle: %w", err)
		}
		return m.load(ctx, u, false)
	case errors.Is(err, sql.ErrNoRows):
		return wu, nil
	case err != nil:
		return nil, fmt.Errorf("read passkey user handle: %w", err)
	}
	rows, err := m.db.Read.QueryContext(ctx, m.db.Rebind(`SELECT credential FROM auth_passkey WHERE user_id = ? ORDER BY id`), u.ID)
	if err != nil {
		return nil, fmt.Errorf("read passkeys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("read passkeys: %w", err)
		}
		var c webauthn.Credential
		if err := json.NewDecoder(bytes.NewReader([]byte(raw))).Decode(&c); err != nil {
			return nil, fmt.Errorf("read passkeys: %w", err)
		}
		wu.creds = append(wu.creds, c)
	}
	return wu, rows.Err()
}
