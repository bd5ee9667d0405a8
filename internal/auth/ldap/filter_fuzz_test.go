package ldap

import (
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
)

// FuzzSearchFilter checks that no login changes the shape of the search filter: it
// compiles, and decompiles to the fixed prefix with the login as one escaped value.
func FuzzSearchFilter(f *testing.F) {
	for _, s := range []string{"ada", "*", "ada)(uid=*", "*)(|(uid=*", "a\\2a", "\x00", "é", "(", ")"} {
		f.Add(s)
	}
	d, err := New(Settings{URL: "ldaps://dir.example.com", BaseDN: "dc=example,dc=com", LoginAttribute: "uid",
		UserFilter: "(objectClass=inetOrgPerson)"}, "", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, login string) {
		filter := d.searchFilter(login)
		packet, err := goldap.CompileFilter(filter)
		if err != nil {
			t.Fatalf("login %q made an invalid filter %q: %v", login, filter, err)
		}
		back, err := goldap.DecompileFilter(packet)
		if err != nil {
			t.Fatal(err)
		}
		prefix := "(&(objectClass=inetOrgPerson)(uid="
		if !strings.HasPrefix(back, prefix) || !strings.HasSuffix(back, "))") {
			t.Fatalf("login %q changed the filter: %q", login, back)
		}
		if strings.ContainsAny(back[len(prefix):len(back)-2], "()*") {
			t.Fatalf("login %q left filter syntax unescaped: %q", login, back)
		}
	})
}

// FuzzSettingsValidate checks that settings which validate always make a Directory.
func FuzzSettingsValidate(f *testing.F) {
	f.Add("ldaps://dir.example.com", "ou=people,dc=example,dc=com", "uid", "(objectClass=person)", "")
	f.Add("ldap://dir:389", "dc=x", "mail", "", "cn=r,dc=x")
	f.Add("ldaps://u:p@x", "x", "uid=*", "(", "bad")
	f.Fuzz(func(t *testing.T, url, base, attr, filter, bindDN string) {
		s := Settings{URL: url, BaseDN: base, LoginAttribute: attr, UserFilter: filter, BindDN: bindDN}
		if s.Validate() != nil {
			return
		}
		if _, err := New(s, "pw", nil); err != nil {
			t.Fatalf("valid settings %+v refused by New: %v", s, err)
		}
		if !attributeName.MatchString(attr) {
			t.Fatalf("attribute %q accepted", attr)
		}
	})
}
