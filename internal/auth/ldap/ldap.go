// Package ldap signs users in against a directory: it finds the user's entry by a
// search in which the login is escaped (so it can never change the filter), then
// binds as that entry with the password the user typed. Connections are always
// encrypted: ldaps://, or ldap:// followed by a mandatory StartTLS; an empty password
// is refused before the directory is contacted, since LDAP would take it as an
// anonymous bind.
package ldap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// Settings describe one directory, as a tenant administrator enters them.
type Settings struct {
	// URL is ldaps://host[:636] or ldap://host[:389] (StartTLS is then required).
	URL string `json:"url"`
	// BindDN is the account that searches for users; empty searches anonymously.
	// Its password is kept apart, sealed.
	BindDN string `json:"bind_dn,omitempty"`
	BaseDN string `json:"base_dn"`
	// LoginAttribute holds what users type as their login (uid, mail,
	// sAMAccountName…).
	LoginAttribute string `json:"login_attribute"`
	// UserFilter narrows the search, such as (objectClass=inetOrgPerson).
	UserFilter    string `json:"user_filter,omitempty"`
	MailAttribute string `json:"mail_attribute,omitempty"` // default mail
	NameAttribute string `json:"name_attribute,omitempty"` // default cn
	// CAPEM adds trusted certificate authorities (PEM) for a directory with a
	// private CA; the system's roots are always trusted too.
	CAPEM string `json:"ca_pem,omitempty"`
}

var attributeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)

const (
	maxLogin    = 256
	maxPassword = 4096
	timeout     = 10 * time.Second
)

// Validate checks settings before they are stored.
func (s Settings) Validate() error {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "ldaps" && u.Scheme != "ldap") || u.Hostname() == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return errors.New("the URL must be ldaps://host:port or ldap://host:port (StartTLS)")
	}
	if _, err := goldap.ParseDN(s.BaseDN); err != nil || s.BaseDN == "" {
		return errors.New("a valid base DN is required, such as ou=people,dc=example,dc=com")
	}
	if s.BindDN != "" {
		if _, err := goldap.ParseDN(s.BindDN); err != nil {
			return errors.New("the bind DN is not a valid DN")
		}
	}
	for _, a := range []string{s.LoginAttribute, s.MailAttribute, s.NameAttribute} {
		if a != "" && !attributeName.MatchString(a) {
			return fmt.Errorf("invalid attribute name %q", a)
		}
	}
	if s.LoginAttribute == "" {
		return errors.New("a login attribute is required, such as uid")
	}
	if s.UserFilter != "" {
		if !strings.HasPrefix(s.UserFilter, "(") || len(s.UserFilter) > 1024 {
			return errors.New("the user filter must be a parenthesised LDAP filter")
		}
		if _, err := goldap.CompileFilter(s.UserFilter); err != nil {
			return fmt.Errorf("the user filter does not parse: %v", err)
		}
	}
	if s.CAPEM != "" {
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(s.CAPEM)) {
			return errors.New("the CA certificates are not valid PEM")
		}
	}
	return nil
}

// Directory is a configured directory.
type Directory struct {
	s            Settings
	bindPassword string
	tls          *tls.Config
}

// New checks s; bindPassword goes with s.BindDN. roots, when not nil, replaces the
// system roots (tests); CAPEM certificates are added either way.
func New(s Settings, bindPassword string, roots *x509.CertPool) (*Directory, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.BindDN != "" && bindPassword == "" {
		return nil, errors.New("the bind DN needs its password")
	}
	if s.MailAttribute == "" {
		s.MailAttribute = "mail"
	}
	if s.NameAttribute == "" {
		s.NameAttribute = "cn"
	}
	if s.UserFilter == "" {
		s.UserFilter = "(objectClass=*)"
	}
	if roots == nil {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
	} else {
		roots = roots.Clone()
	}
	if s.CAPEM != "" {
		roots.AppendCertsFromPEM([]byte(s.CAPEM))
	}
	u, _ := url.Parse(s.URL)
	return &Directory{s: s, bindPassword: bindPassword,
		tls: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: u.Hostname()}}, nil
}

// Entry is the directory's answer for a signed-in user.
type Entry struct {
	DN    string
	Login string // the login attribute's value, as stored in the directory
	Email string
	Name  string
}

// ErrInvalidCredentials is the one answer to an unknown login, an ambiguous one, a
// wrong password and an empty password.
var ErrInvalidCredentials = errors.New("wrong login or password")

// Authenticate checks login and password against the directory.
func (d *Directory) Authenticate(login, password string) (Entry, error) {
	if login == "" || password == "" || len(login) > maxLogin || len(password) > maxPassword {
		return Entry{}, ErrInvalidCredentials
	}
	conn, err := d.dial()
	if err != nil {
		return Entry{}, err
	}
	defer conn.Close()
	if d.s.BindDN != "" {
		if err := conn.Bind(d.s.BindDN, d.bindPassword); err != nil {
			return Entry{}, fmt.Errorf("ldap: bind as the search account: %w", err)
		}
	}
	res, err := conn.Search(goldap.NewSearchRequest(d.s.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		2, int(timeout/time.Second), false, d.searchFilter(login), []string{d.s.LoginAttribute, d.s.MailAttribute, d.s.NameAttribute}, nil))
	if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		return Entry{}, fmt.Errorf("ldap: search for the user: %w", err)
	}
	if res == nil || len(res.Entries) != 1 {
		// None, or several: a login must name exactly one entry.
		return Entry{}, ErrInvalidCredentials
	}
	e := res.Entries[0]
	if err := conn.Bind(e.DN, password); err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
			return Entry{}, ErrInvalidCredentials
		}
		return Entry{}, fmt.Errorf("ldap: bind as the user: %w", err)
	}
	return Entry{DN: e.DN, Login: e.GetAttributeValue(d.s.LoginAttribute),
		Email: e.GetAttributeValue(d.s.MailAttribute), Name: e.GetAttributeValue(d.s.NameAttribute)}, nil
}

// searchFilter finds the entry of login; the login is escaped, so whatever it holds
// it is one assertion value, never filter syntax.
func (d *Directory) searchFilter(login string) string {
	return fmt.Sprintf("(&%s(%s=%s))", d.s.UserFilter, d.s.LoginAttribute, goldap.EscapeFilter(login))
}

// dial connects over TLS: ldaps from the start, or ldap upgraded by StartTLS, which
// must succeed.
func (d *Directory) dial() (*goldap.Conn, error) {
	dialer := &net.Dialer{Timeout: timeout}
	conn, err := goldap.DialURL(d.s.URL, goldap.DialWithDialer(dialer), goldap.DialWithTLSConfig(d.tls))
	if err != nil {
		return nil, fmt.Errorf("ldap: connect to %s: %w", d.s.URL, err)
	}
	conn.SetTimeout(timeout)
	if strings.HasPrefix(d.s.URL, "ldap://") {
		if err := conn.StartTLS(d.tls); err != nil {
			conn.Close()
			return nil, fmt.Errorf("ldap: StartTLS with %s (required): %w", d.s.URL, err)
		}
	}
	return conn, nil
}
