package webui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const (
	providersURL  = "/odoo/settings/providers"
	oidcSecret    = "client-secret-that-must-never-show-9c1e"
	bindPassword  = "bind-password-that-must-never-show-4b7d"
	typedNotSaved = "typed-secret-of-a-refused-form-2a8f"
)

func oidcForm(name string) url.Values {
	return url.Values{"op": {"save"}, "kind": {"oidc"}, "name": {name}, "enabled": {"on"}, "issuer": {"https://id.example.com"},
		"client_id": {"erp"}, "secret": {oidcSecret}, "default_group": {"base.group_user"}}
}

// fieldError finds the error shown in the field holding input name.
func fieldError(body, name string) string {
	re := regexp.MustCompile(`(?s)<div class="field invalid">[^<]*<label[^>]*>[^<]*</label>\s*<(?:input|textarea|select)[^>]*name="` +
		regexp.QuoteMeta(name) + `".*?<span class="field-error" role="alert">([^<]*)</span>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// Only administrators reach the screen: anonymous visitors are sent to sign in,
// other users get "not found" for every page and post, portal users their portal.
func TestProviderSettingsAccess(t *testing.T) {
	f := newFixture(t)
	anon := f.client()
	for _, target := range []string{providersURL, providersURL + "/new?kind=oidc", providersURL + "/1"} {
		if w := anon.get(target); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/web/login") {
			t.Errorf("anonymous %s: %d %q", target, w.Code, w.Header().Get("Location"))
		}
	}
	anon.get("/web/login")
	if w := anon.post(providersURL+"/new", oidcForm("Anon")); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/web/login") {
		t.Errorf("anonymous post: %d", w.Code)
	}
	user := f.signIn("user")
	for _, target := range []string{providersURL, providersURL + "/new?kind=oidc", providersURL + "/new?kind=ldap"} {
		if w := user.get(target); w.Code != http.StatusNotFound {
			t.Errorf("user %s: %d", target, w.Code)
		}
	}
	if w := user.post(providersURL+"/new", oidcForm("Mine")); w.Code != http.StatusNotFound {
		t.Errorf("user post: %d", w.Code)
	}
	if w := f.signIn("portal").get(providersURL); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/my" {
		t.Errorf("portal user: %d", w.Code)
	}
	admin := f.signIn("admin")
	w := admin.get(providersURL)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "http://acme.localhost/web/auth/oidc/callback") ||
		!strings.Contains(w.Body.String(), "No external sign-in is configured") {
		t.Fatalf("admin: %d\n%s", w.Code, w.Body)
	}
	if w := admin.get(providersURL + "/new?kind=smtp"); w.Code != http.StatusNotFound {
		t.Errorf("unknown kind: %d", w.Code)
	}
}

// Invalid settings are refused with the error next to each field and nothing
// saved; secrets are write-only: never rendered back, kept when the field is left
// empty; every change is in the security log; posts need the anti-forgery token.
func TestProviderSettingsSecretsAndValidation(t *testing.T) {
	eachEngine(t, testProviderSettingsSecretsAndValidation)
}

func testProviderSettingsSecretsAndValidation(t *testing.T, f *fixture) {
	admin := f.signIn("admin")
	admin.get(providersURL + "/new?kind=oidc")

	bad := oidcForm("bad/name")
	bad.Set("issuer", "http://id.example.com")
	bad.Set("client_id", "")
	bad.Set("secret", typedNotSaved)
	bad.Set("default_group", "base.group_system")
	w := admin.post(providersURL+"/new", bad)
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", w.Code)
	}
	for _, field := range []string{"name", "issuer", "client_id", "default_group"} {
		if fieldError(body, field) == "" {
			t.Errorf("no error next to %s", field)
		}
	}
	if msg := fieldError(body, "scopes"); msg != "" {
		t.Errorf("an error next to the valid scopes: %q", msg)
	}
	if strings.Contains(body, typedNotSaved) || !strings.Contains(body, "Type the secret again") {
		t.Error("the typed secret came back in the form, or the form does not say to type it again")
	}

	ldapBad := url.Values{"op": {"save"}, "kind": {"ldap"}, "name": {"Dir"}, "url": {"http://ldap.example.com"},
		"bind_dn": {"cn=reader,dc=example,dc=com"}, "base_dn": {"not a dn"}, "login_attribute": {"uid)(x"},
		"user_filter": {"objectClass=*"}, "ca_pem": {"not a certificate"}, "default_group": {"base.group_user"}}
	w = admin.post(providersURL+"/new", ldapBad)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid directory: %d", w.Code)
	}
	for _, field := range []string{"url", "secret", "base_dn", "login_attribute", "user_filter", "ca_pem"} {
		if fieldError(w.Body.String(), field) == "" {
			t.Errorf("no error next to %s", field)
		}
	}
	if w := admin.get(providersURL); !strings.Contains(w.Body.String(), "No external sign-in is configured") {
		t.Fatal("a refused form saved something")
	}

	// Saved: the secret is stored, never shown.
	w = admin.post(providersURL+"/new", oidcForm("Corp SSO"))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	edit := w.Header().Get("Location")
	page := admin.get(edit)
	if page.Code != 200 || strings.Contains(page.Body.String(), oidcSecret) || !strings.Contains(page.Body.String(), "A secret is stored") {
		t.Fatalf("edit page: %d, secret shown or not said to be stored", page.Code)
	}
	// Saved again with the field empty: the secret stays.
	keep := oidcForm("Corp SSO")
	keep.Del("secret")
	keep.Set("client_id", "erp-2")
	if w := admin.post(edit, keep); w.Code != http.StatusSeeOther {
		t.Fatalf("update: %d %s", w.Code, w.Body)
	}
	list := admin.get(providersURL).Body.String()
	if !strings.Contains(list, "Corp SSO") || !strings.Contains(list, "Stored") || strings.Contains(list, oidcSecret) {
		t.Fatalf("list after update:\n%s", list)
	}
	// Names are unique, in any letter case.
	dup := oidcForm("corp sso")
	if w := admin.post(providersURL+"/new", dup); w.Code != http.StatusUnprocessableEntity || fieldError(w.Body.String(), "name") == "" {
		t.Fatalf("duplicate name: %d", w.Code)
	}

	// A directory with its bind password: not shown either.
	dirForm := url.Values{"op": {"save"}, "kind": {"ldap"}, "name": {"Directory"}, "url": {"ldap://ldap.example.com"},
		"bind_dn": {"cn=reader,dc=example,dc=com"}, "secret": {bindPassword}, "base_dn": {"ou=people,dc=example,dc=com"},
		"login_attribute": {"uid"}, "user_filter": {"(objectClass=inetOrgPerson)"}, "default_group": {"base.group_portal"}, "create_users": {"on"}}
	w = admin.post(providersURL+"/new", dirForm)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save directory: %d %s", w.Code, w.Body)
	}
	dirURL := w.Header().Get("Location")
	if page := admin.get(dirURL); strings.Contains(page.Body.String(), bindPassword) || !strings.Contains(page.Body.String(), "(objectClass=inetOrgPerson)") {
		t.Fatal("directory page shows the bind password, or not the settings")
	}
	// The kind of a saved provider does not change with the form.
	morph := oidcForm("Directory")
	if w := admin.post(dirURL, morph); w.Code != http.StatusUnprocessableEntity || fieldError(w.Body.String(), "url") == "" {
		t.Fatalf("posting OpenID fields to a directory: %d", w.Code)
	}

	// Anti-forgery: without the token, with another one, or cross-origin, nothing happens.
	del := url.Values{"op": {"delete"}}
	if w := admin.do("POST", dirURL, del); w.Code != http.StatusForbidden {
		t.Errorf("delete without token: %d", w.Code)
	}
	other := f.signIn("admin")
	forged := url.Values{"op": {"delete"}, "csrf_token": {other.csrf}}
	if w := admin.do("POST", dirURL, forged); w.Code != http.StatusForbidden {
		t.Errorf("delete with another session's token: %d", w.Code)
	}
	cross := url.Values{"op": {"delete"}, "csrf_token": {admin.csrf}}
	if w := admin.do("POST", dirURL, cross, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusForbidden {
		t.Errorf("cross-origin delete: %d", w.Code)
	}
	if w := admin.do("POST", providersURL+"/new", oidcForm("Forged")); w.Code != http.StatusForbidden {
		t.Errorf("create without token: %d", w.Code)
	}
	if list := admin.get(providersURL).Body.String(); !strings.Contains(list, "Directory") || strings.Contains(list, "Forged") {
		t.Fatal("a refused post changed the providers")
	}
	if w := admin.post(dirURL, del); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: %d", w.Code)
	}
	if w := admin.get(dirURL); w.Code != http.StatusNotFound {
		t.Fatalf("deleted provider: %d", w.Code)
	}

	seclog := admin.get("/odoo/settings/security-log").Body.String()
	for _, ref := range []string{"saved:Corp SSO", "saved:Directory", "deleted:Directory"} {
		if !strings.Contains(seclog, ref) {
			t.Errorf("security log lacks %q", ref)
		}
	}
	for _, secret := range []string{oidcSecret, bindPassword, typedNotSaved} {
		if strings.Contains(f.logs.String(), secret) || strings.Contains(seclog, secret) {
			t.Errorf("a secret reached the logs")
		}
	}
}

// Another tenant's administrator neither sees nor reaches the providers of the
// first, even by their ids.
func TestProviderSettingsOtherTenant(t *testing.T) {
	eachEngine(t, testProviderSettingsOtherTenant, "acme", "globex")
}

func testProviderSettingsOtherTenant(t *testing.T, f *fixture) {
	admin := f.signIn("admin")
	admin.get(providersURL + "/new?kind=oidc")
	w := admin.post(providersURL+"/new", oidcForm("Acme SSO"))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", w.Code)
	}
	acmeURL := w.Header().Get("Location")

	g := f.client()
	g.host = "globex.localhost"
	g.get("/web/login")
	if w := g.post("/web/login", url.Values{"login": {"admin@example.com"}, "password": {testPassword}}); w.Code != http.StatusSeeOther {
		t.Fatalf("globex sign-in: %d", w.Code)
	}
	if list := g.get(providersURL).Body.String(); strings.Contains(list, "Acme SSO") {
		t.Fatal("another tenant lists the provider")
	}
	if w := g.get(acmeURL); w.Code != http.StatusNotFound {
		t.Fatalf("another tenant opens the provider by id: %d", w.Code)
	}
	if w := g.post(acmeURL, url.Values{"op": {"delete"}}); w.Code != http.StatusNotFound {
		t.Fatalf("another tenant deletes the provider by id: %d", w.Code)
	}
	if list := admin.get(providersURL).Body.String(); !strings.Contains(list, "Acme SSO") {
		t.Fatal("the provider is gone")
	}
}
