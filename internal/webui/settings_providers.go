package webui

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/instant-erp/instanterp/internal/auth/ldap"
	"github.com/instant-erp/instanterp/internal/auth/oidc"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/identity"
)

// Settings → External sign-in: the tenant's OpenID Connect providers and LDAP
// directories. Secrets (client secret, bind password) are write-only: the form never
// shows them, an empty field keeps the stored one, and identity seals them under the
// master key. Only administrators reach these pages (settingsRoute).

const (
	providersPath = "/odoo/settings/providers"
	// maxProviderField bounds every text field but the CA certificates.
	maxProviderField = 1024
	maxCAPEM         = 64 << 10
)

func (u *UI) providersRoute(get, post bool, seg []string) handlerFunc {
	switch {
	case len(seg) == 0 && get:
		return u.providersPage
	case len(seg) == 1:
		id, ok := recordID(seg[0])
		if !ok {
			return nil
		}
		if get {
			return func(rq *request) error { return u.providerPage(rq, id) }
		}
		if post {
			return func(rq *request) error { return u.providerPost(rq, id) }
		}
	}
	return nil
}

type providerRow struct {
	ID                  int64
	Name, Kind, Address string
	Enabled, Create     bool
	HasSecret           bool
}

type providersData struct {
	Rows        []providerRow
	CallbackURL string
}

func kindLabel(k identity.ProviderKind) string {
	if k == identity.KindLDAP {
		return "LDAP directory"
	}
	return "OpenID Connect"
}

func (u *UI) providersPage(rq *request) error {
	ps, err := rq.svc.identity.Providers(rq.ctx)
	if err != nil {
		return err
	}
	d := providersData{CallbackURL: oidcCallbackURL(rq.r)}
	for _, p := range ps {
		row := providerRow{ID: p.ID, Name: p.Name, Kind: kindLabel(p.Kind), Enabled: p.Enabled, Create: p.CreateUsers, HasSecret: p.HasSecret}
		if p.OIDC != nil {
			row.Address = p.OIDC.Issuer
		} else if p.LDAP != nil {
			row.Address = p.LDAP.URL
		}
		d.Rows = append(d.Rows, row)
	}
	return rq.page(u, 200, "settings_providers", &page{Title: "External sign-in", Active: "settings",
		Crumbs: settingsCrumbs("External sign-in"), Content: d})
}

// providerForm is the edit form: the values as typed (never a secret) and an error
// per field.
type providerForm struct {
	ID          int64
	Kind        string // "oidc" or "ldap"
	KindLabel   string
	Name        string
	Enabled     bool
	CreateUsers bool
	Group       string
	HasSecret   bool
	CallbackURL string
	// OpenID Connect
	Issuer, ClientID, Scopes string
	// LDAP
	URL, BindDN, BaseDN, LoginAttribute, UserFilter, MailAttribute, NameAttribute, CAPEM string

	Errors map[string]string
	// SecretTyped: a secret was typed but the form had errors; it is not shown back
	// and must be typed again.
	SecretTyped bool
}

// findProvider returns provider id, enabled or not.
func (u *UI) findProvider(rq *request, id int64) (identity.Provider, error) {
	ps, err := rq.svc.identity.Providers(rq.ctx)
	if err != nil {
		return identity.Provider{}, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return identity.Provider{}, errNotFound
}

func formFromProvider(p identity.Provider) providerForm {
	f := providerForm{ID: p.ID, Kind: string(p.Kind), Name: p.Name, Enabled: p.Enabled, CreateUsers: p.CreateUsers,
		Group: p.DefaultGroup, HasSecret: p.HasSecret}
	if p.OIDC != nil {
		f.Issuer, f.ClientID, f.Scopes = p.OIDC.Issuer, p.OIDC.ClientID, strings.Join(p.OIDC.Scopes, " ")
	}
	if p.LDAP != nil {
		s := p.LDAP
		f.URL, f.BindDN, f.BaseDN, f.LoginAttribute, f.UserFilter = s.URL, s.BindDN, s.BaseDN, s.LoginAttribute, s.UserFilter
		f.MailAttribute, f.NameAttribute, f.CAPEM = s.MailAttribute, s.NameAttribute, s.CAPEM
	}
	return f
}

func (u *UI) providerPage(rq *request, id int64) error {
	var f providerForm
	if id == 0 {
		kind := rq.r.URL.Query().Get("kind")
		if kind != string(identity.KindOIDC) && kind != string(identity.KindLDAP) {
			return errNotFound
		}
		f = providerForm{Kind: kind, Enabled: true, Group: base.GroupUser, LoginAttribute: "uid"}
	} else {
		p, err := u.findProvider(rq, id)
		if err != nil {
			return err
		}
		f = formFromProvider(p)
	}
	return u.renderProviderForm(rq, 200, f, "")
}

func (u *UI) renderProviderForm(rq *request, status int, f providerForm, msg string) error {
	f.KindLabel = kindLabel(identity.ProviderKind(f.Kind))
	f.CallbackURL = oidcCallbackURL(rq.r)
	title := f.Name
	if f.ID == 0 {
		title = "New " + f.KindLabel
	}
	return rq.page(u, status, "settings_provider", &page{Title: title, Active: "settings", Error: msg,
		Crumbs:  []crumb{{Label: "Settings", URL: "/odoo/settings"}, {Label: "External sign-in", URL: providersPath}, {Label: title}},
		Content: f})
}

// providerPost saves (op=save) or deletes (op=delete) a provider.
func (u *UI) providerPost(rq *request, id int64) error {
	var existing identity.Provider
	if id != 0 {
		var err error
		if existing, err = u.findProvider(rq, id); err != nil {
			return err
		}
	}
	switch rq.r.PostFormValue("op") {
	case "delete":
		if id == 0 {
			return errBadRequest
		}
		if err := rq.svc.identity.DeleteProvider(rq.ctx, id); err != nil {
			return err
		}
		u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.ProviderChanged, 0, rq.user.ID, "deleted:"+existing.Name)
		rq.setFlash("deleted")
		rq.redirect(providersPath)
		return nil
	case "save":
	default:
		return errBadRequest
	}
	kind := identity.ProviderKind(rq.r.PostFormValue("kind"))
	if id != 0 {
		kind = existing.Kind // the protocol of a provider does not change
	}
	if kind != identity.KindOIDC && kind != identity.KindLDAP {
		return errBadRequest
	}
	f, p, secret := parseProviderForm(rq.r.PostForm, kind, existing)
	if len(f.Errors) == 0 {
		ps, err := rq.svc.identity.Providers(rq.ctx)
		if err != nil {
			return err
		}
		for _, other := range ps {
			if other.ID != id && strings.EqualFold(other.Name, p.Name) {
				f.Errors["name"] = "Another provider has this name."
			}
		}
	}
	if len(f.Errors) > 0 {
		rq.rollback = true
		return u.renderProviderForm(rq, 422, f, "The provider was not saved: correct the fields marked below.")
	}
	saved, err := rq.svc.identity.SaveProvider(rq.ctx, p, secret)
	if errors.Is(err, identity.ErrNoProvider) {
		return errNotFound
	}
	if err != nil {
		// The fields passed the same checks one by one; what is left (a name taken
		// in the meantime, a combination) is shown above the form.
		u.log.InfoContext(rq.ctx, "provider not saved", "error", err)
		rq.rollback = true
		f.SecretTyped = secret != ""
		return u.renderProviderForm(rq, 422, f, "The provider was not saved: "+oneLine(err.Error()))
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.ProviderChanged, 0, rq.user.ID, "saved:"+p.Name)
	rq.setFlash("saved")
	rq.redirect(fmt.Sprintf("%s/%d", providersPath, saved))
	return nil
}

// oneLine keeps an error message to its first line and a readable length.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// parseProviderForm reads and checks the posted form. Each field is checked on its
// own with the protocol packages' rules (the field under test set to the typed
// value, the others to known-good ones), so each error sits next to its field.
// It returns the form to show again, the provider to save when the form has no
// error, and the secret typed (empty: keep the stored one).
func parseProviderForm(form url.Values, kind identity.ProviderKind, existing identity.Provider) (providerForm, identity.Provider, string) {
	val := func(name string) string { return strings.TrimSpace(form.Get(name)) }
	f := providerForm{ID: existing.ID, Kind: string(kind), Name: val("name"), Enabled: form.Get("enabled") != "",
		CreateUsers: form.Get("create_users") != "", Group: val("default_group"), HasSecret: existing.HasSecret,
		Errors: map[string]string{}}
	secret := form.Get("secret")
	check := func(field string, v *string, limit int) {
		*v = val(field)
		if len(*v) > limit {
			f.Errors[field] = fmt.Sprintf("At most %d characters.", limit)
		}
	}
	if err := identity.CheckProviderName(f.Name); err != nil {
		f.Errors["name"] = "1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit."
	}
	if f.Group != base.GroupUser && f.Group != base.GroupPortal {
		f.Errors["default_group"] = "Choose internal user or portal user."
	}
	if len(secret) > 4096 {
		f.Errors["secret"] = "At most 4096 characters."
	}
	p := identity.Provider{ID: existing.ID, Kind: kind, Name: f.Name, Enabled: f.Enabled, CreateUsers: f.CreateUsers, DefaultGroup: f.Group}
	switch kind {
	case identity.KindOIDC:
		check("issuer", &f.Issuer, maxProviderField)
		check("client_id", &f.ClientID, maxProviderField)
		check("scopes", &f.Scopes, maxProviderField)
		s := oidc.Settings{Issuer: f.Issuer, ClientID: f.ClientID, Scopes: strings.Fields(f.Scopes)}
		good := oidc.Settings{Issuer: "https://id.example.com", ClientID: "client"}
		probe := func(field string, set func(*oidc.Settings)) {
			t := good
			set(&t)
			if _, dup := f.Errors[field]; !dup {
				if err := t.Validate(); err != nil {
					f.Errors[field] = capitalise(err.Error()) + "."
				}
			}
		}
		probe("issuer", func(t *oidc.Settings) { t.Issuer = s.Issuer })
		probe("client_id", func(t *oidc.Settings) { t.ClientID = s.ClientID })
		probe("scopes", func(t *oidc.Settings) { t.Scopes = s.Scopes })
		p.OIDC = &s
	case identity.KindLDAP:
		check("url", &f.URL, maxProviderField)
		check("bind_dn", &f.BindDN, maxProviderField)
		check("base_dn", &f.BaseDN, maxProviderField)
		check("login_attribute", &f.LoginAttribute, maxProviderField)
		check("user_filter", &f.UserFilter, maxProviderField)
		check("mail_attribute", &f.MailAttribute, maxProviderField)
		check("name_attribute", &f.NameAttribute, maxProviderField)
		check("ca_pem", &f.CAPEM, maxCAPEM)
		s := ldap.Settings{URL: f.URL, BindDN: f.BindDN, BaseDN: f.BaseDN, LoginAttribute: f.LoginAttribute, UserFilter: f.UserFilter,
			MailAttribute: f.MailAttribute, NameAttribute: f.NameAttribute, CAPEM: f.CAPEM}
		good := ldap.Settings{URL: "ldaps://ldap.example.com", BaseDN: "dc=example,dc=com", LoginAttribute: "uid"}
		probe := func(field string, set func(*ldap.Settings)) {
			t := good
			set(&t)
			if _, dup := f.Errors[field]; !dup {
				if err := t.Validate(); err != nil {
					f.Errors[field] = capitalise(err.Error()) + "."
				}
			}
		}
		probe("url", func(t *ldap.Settings) { t.URL = s.URL })
		probe("bind_dn", func(t *ldap.Settings) { t.BindDN = s.BindDN })
		probe("base_dn", func(t *ldap.Settings) { t.BaseDN = s.BaseDN })
		probe("login_attribute", func(t *ldap.Settings) { t.LoginAttribute = s.LoginAttribute })
		probe("user_filter", func(t *ldap.Settings) { t.UserFilter = s.UserFilter })
		probe("mail_attribute", func(t *ldap.Settings) { t.MailAttribute = s.MailAttribute })
		probe("name_attribute", func(t *ldap.Settings) { t.NameAttribute = s.NameAttribute })
		probe("ca_pem", func(t *ldap.Settings) { t.CAPEM = s.CAPEM })
		// The search account cannot bind without its password.
		if s.BindDN != "" && secret == "" && !existing.HasSecret {
			f.Errors["secret"] = "The bind DN needs its password."
		}
		p.LDAP = &s
	}
	f.SecretTyped = secret != "" && len(f.Errors) > 0
	return f, p, secret
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// providerStartURL is where the sign-in button of a provider posts.
func providerStartURL(name string) string { return "/web/login/oidc/" + url.PathEscape(name) }
