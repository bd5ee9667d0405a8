package webui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/auth/apikey"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
)

// maxKeyName is the longest key name the store accepts (bytes).
const maxKeyName = 128

// apiKeyRow is a key as the lists show it: never the key, never its hash.
type apiKeyRow struct {
	ID, OwnerID                                  int64
	Owner, Name, Prefix, Scope, Created, Expires string
	LastUsed                                     string
	Uses                                         int64
	Expired                                      bool
}

type apiKeyForm struct {
	Name, Scope string
	Days        int
}

type apiKeysData struct {
	Keys      []apiKeyRow
	TwoFactor bool
	MaxDays   int
	Form      apiKeyForm
	Errors    map[string]string
}

type apiKeyCreatedData struct {
	Key, Name, Scope, Expires string
}

func (u *UI) keyStore(rq *request) *apikey.Store {
	return apikey.NewStore(rq.svc.db, apikey.Config{Now: u.now})
}

func (u *UI) keyRows(keys []apikey.Key) []apiKeyRow {
	now := u.now()
	rows := make([]apiKeyRow, 0, len(keys))
	for _, k := range keys {
		row := apiKeyRow{ID: k.ID, OwnerID: k.UserID, Name: k.Name, Prefix: "iek_" + k.Index, Scope: scopeLabel(k.Scope),
			Created: k.CreatedAt.UTC().Format(time.DateTime), Expires: "never", LastUsed: "never", Uses: k.UseCount}
		if !k.ExpiresAt.IsZero() {
			row.Expires = k.ExpiresAt.UTC().Format(time.DateTime)
			row.Expired = !now.Before(k.ExpiresAt)
		}
		if !k.LastUsedAt.IsZero() {
			row.LastUsed = k.LastUsedAt.UTC().Format(time.DateTime)
		}
		rows = append(rows, row)
	}
	return rows
}

func scopeLabel(scope string) string {
	if scope == apikey.ScopeRPC {
		return "External API (RPC)"
	}
	return "No restriction"
}

// apiKeysPage lists the user's own keys with the form to create one.
func (u *UI) apiKeysPage(rq *request, form apiKeyForm, general string, errs map[string]string) error {
	keys, err := u.keyStore(rq).List(rq.ctx, rq.user.ID)
	if err != nil {
		return err
	}
	data := apiKeysData{Keys: u.keyRows(keys), Form: form, Errors: errs}
	if data.TwoFactor, err = rq.svc.totp.Enabled(rq.ctx, rq.user.ID); err != nil {
		return err
	}
	if data.MaxDays, err = u.apiKeyMaxDays(rq.ctx, rq.svc); err != nil {
		return err
	}
	if data.Form.Days == 0 {
		data.Form.Days = min(defaultKeyDays, data.MaxDays)
		data.Form.Scope = apikey.ScopeRPC
	}
	status := 200
	if general != "" || len(errs) > 0 {
		status = 422
	}
	return rq.page(u, status, "apikeys", &page{Title: "API keys", Error: general,
		Crumbs: []crumb{{Label: "My account"}, {Label: "API keys"}}, Content: data})
}

// defaultKeyDays is the validity the form proposes.
const defaultKeyDays = 30

// apiKeysPost creates or revokes one of the user's keys.
func (u *UI) apiKeysPost(rq *request) error {
	switch rq.r.PostFormValue("op") {
	case "create":
		return u.createAPIKey(rq)
	case "revoke":
		id, err := strconv.ParseInt(rq.r.PostFormValue("key"), 10, 64)
		if err != nil || id <= 0 {
			return errBadRequest
		}
		// The store deletes only a key of this user: another user's id is not found.
		if err := u.keyStore(rq).Revoke(rq.ctx, rq.user.ID, id); errors.Is(err, apikey.ErrNotFound) {
			return errNotFound
		} else if err != nil {
			return err
		}
		u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.APIKeyRevoked, rq.user.ID, 0, "key "+strconv.FormatInt(id, 10))
		rq.setFlash("apikey-revoked")
		rq.redirect("/odoo/account/api-keys")
		return nil
	}
	return errBadRequest
}

// createAPIKey needs the current password, and a fresh code when two-factor is on,
// like a password change: a stolen session alone cannot mint a lasting credential.
// The key is shown on this answer only; the store keeps its hash.
func (u *UI) createAPIKey(rq *request) error {
	f := rq.r.PostForm
	form := apiKeyForm{Name: strings.TrimSpace(f.Get("name")), Scope: f.Get("scope")}
	errs := map[string]string{}
	maxDays, err := u.apiKeyMaxDays(rq.ctx, rq.svc)
	if err != nil {
		return err
	}
	if form.Name == "" || len(form.Name) > maxKeyName || !utf8.ValidString(form.Name) {
		errs["name"] = fmt.Sprintf("Enter a name of at most %d characters, to recognise the key later.", maxKeyName)
	}
	if form.Scope != apikey.ScopeRPC && form.Scope != "" {
		errs["scope"] = "Choose one of the options."
	}
	days, perr := strconv.Atoi(strings.TrimSpace(f.Get("days")))
	form.Days = days
	if perr != nil || days < 1 || days > maxDays {
		errs["days"] = fmt.Sprintf("Enter a number of days from 1 to %d.", maxDays)
	}
	switch lockout, ok, err := u.confirmPassword(rq, f.Get("current")); {
	case err != nil:
		return err
	case lockout != "":
		return u.apiKeysPage(rq, form, lockout, errs)
	case !ok:
		errs["current"] = wrongCurrentPassword
		return u.apiKeysPage(rq, form, "", errs)
	}
	if len(errs) > 0 {
		return u.apiKeysPage(rq, form, "", errs)
	}
	// The code is checked last: checking consumes it, so a form refused for
	// another reason does not cost the user their code.
	if ok, err := u.confirmCode(rq, f.Get("code")); err != nil {
		return err
	} else if !ok {
		return u.apiKeysPage(rq, form, "", map[string]string{"code": wrongCode})
	}
	lifetime := time.Duration(days) * 24 * time.Hour
	k, key, err := u.keyStore(rq).Create(rq.ctx, apikey.NewKey{UserID: rq.user.ID, Name: form.Name, Scope: form.Scope,
		ExpiresAt: u.now().Add(lifetime), AllowLongLived: lifetime > apikey.MaxLifetime})
	if err != nil {
		return err
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.APIKeyCreated, rq.user.ID, 0, fmt.Sprintf("key %d (iek_%s)", k.ID, k.Index))
	// Pages are never cached (writeHTML); the key is on this answer and nowhere else.
	return rq.page(u, 200, "apikey_created", &page{Title: "New API key",
		Crumbs:  []crumb{{Label: "My account"}, {Label: "API keys", URL: "/odoo/account/api-keys"}, {Label: "New key"}},
		Content: apiKeyCreatedData{Key: key, Name: k.Name, Scope: scopeLabel(k.Scope), Expires: k.ExpiresAt.UTC().Format(time.DateTime)}})
}
