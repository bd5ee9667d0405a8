package oidc

import "testing"

// FuzzSettingsValidate checks that accepted settings hold nothing that could
// change a request: an https issuer without query, a client id and scopes without
// control characters or separators.
func FuzzSettingsValidate(f *testing.F) {
	f.Add("https://login.example.com", "erp", "groups")
	f.Add("http://login.example.com", "erp", "")
	f.Add("https://login.example.com?x=1", "a\nb", "a b")
	f.Fuzz(func(t *testing.T, issuer, clientID, scope string) {
		s := Settings{Issuer: issuer, ClientID: clientID}
		if scope != "" {
			s.Scopes = []string{scope}
		}
		if s.Validate() != nil {
			return
		}
		for _, r := range clientID {
			if isControl(r) {
				t.Fatalf("client id %q accepted", clientID)
			}
		}
		for _, r := range scope {
			if r <= ' ' || r > '~' {
				t.Fatalf("scope %q accepted", scope)
			}
		}
	})
}
