package webui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/instant-erp/instanterp/internal/auth/apikey"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

const (
	// apiKeyMaxDaysParam is the ir.config_parameter holding the longest validity,
	// in days, users may give a new key.
	apiKeyMaxDaysParam = "auth.apikey.max_days"
	// maxKeyDaysCeiling bounds what an administrator may allow: ten years.
	maxKeyDaysCeiling = 3650
	// maxKeyUsers bounds the users whose keys the overview lists.
	maxKeyUsers = 500
)

// defaultMaxKeyDays is apikey.MaxLifetime in days.
var defaultMaxKeyDays = int(apikey.MaxLifetime.Hours() / 24)

// apiKeyMaxDays reads the tenant's limit on key validity. It reads the system
// parameter as the system: every user creating a key is bound by it, while only
// administrators may read the parameters themselves.
func (u *UI) apiKeyMaxDays(ctx context.Context, svc *tenantServices) (int, error) {
	tx, err := svc.db.Read.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	env, err := u.cfg.Registry.NewEnv(tx, svc.db.Engine, orm.Identity{})
	if err != nil {
		return 0, err
	}
	recs, err := env.Sudo().SearchRead(ctx, "ir.config_parameter", leaf("key", "=", apiKeyMaxDaysParam), []string{"value"}, orm.SearchOptions{Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", apiKeyMaxDaysParam, err)
	}
	if len(recs) == 0 {
		return defaultMaxKeyDays, nil
	}
	s, _ := recs[0]["value"].(string)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxKeyDaysCeiling {
		// A value set outside this screen that makes no sense falls back to the
		// default rather than to "anything goes".
		return defaultMaxKeyDays, nil
	}
	return n, nil
}

type apiKeysAdminData struct {
	Keys       []apiKeyRow
	MaxDays    int
	DefaultMax int
	Ceiling    int
	Errors     map[string]string
}

// apiKeysAdminPage lists every user's keys (never a key) with a revoke button, and
// the limit on validity.
func (u *UI) apiKeysAdminPage(rq *request, errs map[string]string) error {
	users, err := rq.env.SearchRead(rq.ctx, "res.users", domain.Domain{}, []string{"name"}, orm.SearchOptions{IncludeArchived: true, Limit: maxKeyUsers})
	if err != nil {
		return err
	}
	data := apiKeysAdminData{DefaultMax: defaultMaxKeyDays, Ceiling: maxKeyDaysCeiling, Errors: errs}
	store := u.keyStore(rq)
	for _, usr := range users {
		id := usr["id"].(int64)
		keys, err := store.List(rq.ctx, id)
		if err != nil {
			return err
		}
		name, _ := usr["name"].(string)
		for _, row := range u.keyRows(keys) {
			row.Owner = name
			data.Keys = append(data.Keys, row)
		}
	}
	if data.MaxDays, err = u.apiKeyMaxDays(rq.ctx, rq.svc); err != nil {
		return err
	}
	status := 200
	if len(errs) > 0 {
		status = 422
	}
	return rq.page(u, status, "settings_apikeys", &page{Title: "API keys", Active: "settings", Crumbs: settingsCrumbs("API keys"), Content: data})
}

// apiKeysAdminPost revokes any user's key, or sets the limit on validity.
func (u *UI) apiKeysAdminPost(rq *request) error {
	switch rq.r.PostFormValue("op") {
	case "revoke":
		owner, err1 := strconv.ParseInt(rq.r.PostFormValue("user"), 10, 64)
		id, err2 := strconv.ParseInt(rq.r.PostFormValue("key"), 10, 64)
		if err1 != nil || err2 != nil || owner <= 0 || id <= 0 {
			return errBadRequest
		}
		if err := u.keyStore(rq).Revoke(rq.ctx, owner, id); errors.Is(err, apikey.ErrNotFound) {
			return errNotFound
		} else if err != nil {
			return err
		}
		u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.APIKeyRevoked, owner, rq.user.ID, "key "+strconv.FormatInt(id, 10))
		rq.setFlash("apikey-revoked")
	case "policy":
		days, err := strconv.Atoi(strings.TrimSpace(rq.r.PostFormValue("max_days")))
		if err != nil || days < 1 || days > maxKeyDaysCeiling {
			rq.rollback = true
			return u.apiKeysAdminPage(rq, map[string]string{"max_days": fmt.Sprintf("Enter a number of days from 1 to %d.", maxKeyDaysCeiling)})
		}
		// Written as the administrator: the access rights of ir.config_parameter decide.
		err = u.inTx(rq.ctx, rq.svc, rq.user.ID, func(env *orm.Env) error {
			ids, err := env.Search(rq.ctx, "ir.config_parameter", leaf("key", "=", apiKeyMaxDaysParam), orm.SearchOptions{Limit: 1})
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				return env.Write(rq.ctx, "ir.config_parameter", ids, map[string]any{"value": strconv.Itoa(days)})
			}
			_, err = env.Create(rq.ctx, "ir.config_parameter", []map[string]any{{"key": apiKeyMaxDaysParam, "value": strconv.Itoa(days)}})
			return err
		})
		if err != nil {
			return err
		}
		rq.setFlash("apikey-limit")
	default:
		return errBadRequest
	}
	rq.redirect("/odoo/settings/api-keys")
	return nil
}
