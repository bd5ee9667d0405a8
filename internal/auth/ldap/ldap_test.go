package ldap_test

import (
	"crypto/x509"
	"errors"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/ldap"
	"github.com/instant-erp/instanterp/internal/auth/ldap/ldaptest"
)

func settings(url string) ldap.Settings {
	return ldap.Settings{URL: url, BaseDN: ldaptest.BaseDN, LoginAttribute: "uid", UserFilter: "(objectClass=inetOrgPerson)",
		BindDN: ldaptest.ReaderDN}
}

func TestAuthenticateAgainstSlapd(t *testing.T) {
	srv := ldaptest.Start(t)
	srv.AddUser("ada", "analytical engine", "ada@example.com", "Ada Lovelace")
	srv.AddUser("bob", "bob's secret", "", "Bob")
	srv.AddUser("*", "star password", "", "Star")

	for _, url := range []string{srv.LDAPS, srv.LDAP} {
		t.Run(url[:5], func(t *testing.T) {
			d, err := ldap.New(settings(url), ldaptest.ReaderPassword, srv.Roots)
			if err != nil {
				t.Fatal(err)
			}
			e, err := d.Authenticate("ada", "analytical engine")
			if err != nil {
				t.Fatal(err)
			}
			if e.DN != "uid=ada,"+ldaptest.BaseDN || e.Login != "ada" || e.Email != "ada@example.com" || e.Name != "Ada Lovelace" {
				t.Fatalf("entry %+v", e)
			}
			refusals := []struct{ login, password string }{
				{"ada", "wrong"},
				{"ada", ""}, // would be an anonymous bind
				{"nobody", "analytical engine"},
				{"a*", "analytical engine"}, // wildcard stays literal
				{"*", "analytical engine"},  // matches only the entry whose uid is "*"
				{"ada)(uid=*", "analytical engine"},
				{"*)(|(uid=*", "analytical engine"},
				{"ada\x00", "analytical engine"},
				{"bob", "analytical engine"},
			}
			for _, r := range refusals {
				if _, err := d.Authenticate(r.login, r.password); !errors.Is(err, ldap.ErrInvalidCredentials) {
					t.Errorf("Authenticate(%q, %q) = %v, want ErrInvalidCredentials", r.login, r.password, err)
				}
			}
			// The literal "*" login is its own entry, found only with its own password.
			if e, err := d.Authenticate("*", "star password"); err != nil || e.Login != "*" {
				t.Errorf("literal star: %+v, %v", e, err)
			}
		})
	}
}

func TestTLSIsVerifiedAndRequired(t *testing.T) {
	srv := ldaptest.Start(t)
	srv.AddUser("ada", "analytical engine", "", "Ada")
	// A certificate nobody vouches for is refused, on both transports.
	for _, url := range []string{srv.LDAPS, srv.LDAP} {
		d, err := ldap.New(settings(url), ldaptest.ReaderPassword, x509.NewCertPool())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Authenticate("ada", "analytical engine"); err == nil || errors.Is(err, ldap.ErrInvalidCredentials) {
			t.Errorf("%s with an untrusted certificate: %v", url, err)
		}
	}
	// The CA given in the settings is trusted.
	s := settings(srv.LDAPS)
	s.CAPEM = srv.CAPEM
	d, err := ldap.New(s, ldaptest.ReaderPassword, x509.NewCertPool())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate("ada", "analytical engine"); err != nil {
		t.Fatalf("with the CA in the settings: %v", err)
	}
	// A wrong search-account password is an operator's error, not a user's.
	d, err = ldap.New(settings(srv.LDAPS), "wrong", srv.Roots)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate("ada", "analytical engine"); err == nil || errors.Is(err, ldap.ErrInvalidCredentials) {
		t.Errorf("wrong search account password: %v", err)
	}
}

func TestSettingsValidation(t *testing.T) {
	good := ldap.Settings{URL: "ldaps://dir.example.com", BaseDN: "ou=people,dc=example,dc=com", LoginAttribute: "uid"}
	cases := []struct {
		name   string
		change func(*ldap.Settings)
		ok     bool
	}{
		{"good", func(*ldap.Settings) {}, true},
		{"starttls", func(s *ldap.Settings) { s.URL = "ldap://dir.example.com:389" }, true},
		{"http", func(s *ldap.Settings) { s.URL = "http://dir.example.com" }, false},
		{"ldapi", func(s *ldap.Settings) { s.URL = "ldapi:///" }, false},
		{"credentials in url", func(s *ldap.Settings) { s.URL = "ldaps://u:p@dir.example.com" }, false},
		{"no base", func(s *ldap.Settings) { s.BaseDN = "" }, false},
		{"bad base", func(s *ldap.Settings) { s.BaseDN = "not a dn" }, false},
		{"no login attribute", func(s *ldap.Settings) { s.LoginAttribute = "" }, false},
		{"attribute injection", func(s *ldap.Settings) { s.LoginAttribute = "uid=*)(cn" }, false},
		{"bad filter", func(s *ldap.Settings) { s.UserFilter = "(objectClass=person" }, false},
		{"filter without parentheses", func(s *ldap.Settings) { s.UserFilter = "objectClass=person" }, false},
		{"bad CA", func(s *ldap.Settings) { s.CAPEM = "not pem" }, false},
	}
	for _, c := range cases {
		s := good
		c.change(&s)
		if err := s.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, err := ldap.New(ldap.Settings{URL: good.URL, BaseDN: good.BaseDN, LoginAttribute: "uid", BindDN: "cn=r,dc=example,dc=com"}, "", nil); err == nil {
		t.Error("a bind DN without password was accepted")
	}
}
