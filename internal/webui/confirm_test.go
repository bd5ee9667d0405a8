package webui_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Every screen that asks for the current password counts wrong answers against
// the sign-in throttle: after ten from one address even the right password is
// refused without being checked, and nothing changes.
func TestPasswordConfirmationIsThrottled(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		form         url.Values
	}{
		{"password change", "/odoo/account/password", url.Values{"new": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}}},
		{"API key", "/odoo/account/api-keys", url.Values{"op": {"create"}, "name": {"integration"}, "scope": {"rpc"}, "days": {"30"}}},
		{"passkey", "/odoo/account/passkey", url.Values{"name": {"laptop"}, "response": {"{}"}, "handle": {"x"}}},
		{"second factor", "/odoo/account/security", url.Values{"op": {"enable"}, "secret": {"JBSWY3DPEHPK3PXP"}, "code": {"000000"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.signIn("user")
			post := func(current string) string {
				form := url.Values{"current": {current}}
				for k, v := range tc.form {
					form[k] = v
				}
				return c.post(tc.target, form).Body.String()
			}
			for i := range 10 {
				if body := post(fmt.Sprintf("wrong guess %d", i)); !strings.Contains(body, "This is not your current password.") {
					t.Fatalf("guess %d: no refusal of the password: %s", i, body)
				}
			}
			body := post(testPassword)
			if !strings.Contains(body, "too many failed login attempts") || strings.Contains(body, "This is not your current password.") {
				t.Fatalf("the right password after ten wrong ones: %s", body)
			}
		})
	}
}
