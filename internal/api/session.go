package api

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// The /web/session and /web/dataset endpoints serve client libraries that log in
// once and then call with the session cookie. The session lives in the tenant's
// database, so these endpoints need the tenant host (or the db argument /
// X-Odoo-Database on the bare domain) on every request.

func (a *API) serveSessionAuthenticate(w http.ResponseWriter, r *http.Request) {
	req, err := readRPC(r)
	if err != nil {
		a.writeRPCError(w, r, nil, err)
		return
	}
	if a.sessions == nil {
		a.writeRPCError(w, r, req.id, errorOf(kindNotFound, "sessions are not available on this server"))
		return
	}
	db, err1 := stringArg("db", req.params["db"])
	login, err2 := stringArg("login", req.params["login"])
	secret, err3 := stringArg("password", req.params["password"])
	if err1 != nil || err2 != nil || err3 != nil {
		a.writeRPCError(w, r, req.id, errorOf(kindBadRequest, "db, login and password must be text"))
		return
	}
	if err := a.allowAddress(r); err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	lease, release, err := a.tenantFor(r, db)
	if err != nil {
		a.auth.Dummy(secret)
		a.writeRPCError(w, r, req.id, err)
		return
	}
	defer release()
	p, err := a.auth.Login(r.Context(), lease.DB, login, secret, clientOf(r))
	if err != nil {
		a.writeRPCError(w, r, req.id, accessDenied())
		return
	}
	cookie, err := a.sessions.Start(r.Context(), lease.DB, p, clientOf(r))
	if err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	info, err := a.sessionInfo(r.Context(), lease, p)
	if err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	http.SetCookie(w, cookie)
	a.writeRPCResult(w, req.id, info)
}

// resumeSession returns the tenant and principal of the request's session.
func (a *API) resumeSession(r *http.Request, db string) (*tenancy.Lease, func(), Principal, error) {
	if a.sessions == nil {
		return nil, nil, Principal{}, errorOf(kindNotFound, "sessions are not available on this server")
	}
	lease, release, err := a.tenantFor(r, db)
	if err != nil {
		return nil, nil, Principal{}, &callError{kind: kindSessionExpired, message: "Session expired"}
	}
	p, err := a.sessions.Resume(r.Context(), lease.DB, r)
	if err != nil {
		release()
		return nil, nil, Principal{}, &callError{kind: kindSessionExpired, message: "Session expired"}
	}
	return lease, release, p, nil
}

func (a *API) serveSessionInfo(w http.ResponseWriter, r *http.Request) {
	req, err := readRPC(r)
	if err != nil {
		a.writeRPCError(w, r, nil, err)
		return
	}
	db, _ := stringArg("db", req.params["db"])
	lease, release, p, err := a.resumeSession(r, db)
	if err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	defer release()
	info, err := a.sessionInfo(r.Context(), lease, p)
	if err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	a.writeRPCResult(w, req.id, info)
}

func (a *API) serveSessionDestroy(w http.ResponseWriter, r *http.Request) {
	req, err := readRPC(r)
	if err != nil {
		a.writeRPCError(w, r, nil, err)
		return
	}
	if a.sessions == nil {
		a.writeRPCError(w, r, req.id, errorOf(kindNotFound, "sessions are not available on this server"))
		return
	}
	db, _ := stringArg("db", req.params["db"])
	lease, release, err := a.tenantFor(r, db)
	if err == nil {
		defer release()
		cookie, err := a.sessions.End(r.Context(), lease.DB, r)
		if err != nil {
			a.writeRPCError(w, r, req.id, err)
			return
		}
		http.SetCookie(w, cookie)
	}
	a.writeRPCResult(w, req.id, nil)
}

// serveCallKW answers /web/dataset/call_kw[/<anything>]: {model, method, args,
// kwargs} run as the session's user.
func (a *API) serveCallKW(w http.ResponseWriter, r *http.Request) {
	req, err := readRPC(r)
	if err != nil {
		a.writeRPCError(w, r, nil, err)
		return
	}
	var c call
	var err1, err2 error
	c.model, err1 = stringArg("model", req.params["model"])
	c.method, err2 = stringArg("method", req.params["method"])
	if err1 != nil || err2 != nil {
		a.writeRPCError(w, r, req.id, errorOf(kindBadRequest, "params.model and params.method must be text"))
		return
	}
	if given(req.params["args"]) {
		list, ok := req.params["args"].([]any)
		if !ok {
			a.writeRPCError(w, r, req.id, errorOf(kindBadRequest, "params.args must be a list"))
			return
		}
		c.args = list
	}
	if given(req.params["kwargs"]) {
		kw, ok := req.params["kwargs"].(map[string]any)
		if !ok {
			a.writeRPCError(w, r, req.id, errorOf(kindBadRequest, "params.kwargs must be an object"))
			return
		}
		c.kwargs = kw
	}
	if err := a.allowAddress(r); err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	lease, release, p, err := a.resumeSession(r, "")
	if err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	defer release()
	if err := a.allowPrincipal(lease.Tenant.Name, p); err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	result, err := a.execute(r.Context(), lease, p, c)
	if err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	a.writeRPCResult(w, req.id, result)
}

// sessionInfo describes the signed-in user as Odoo's session info does, read as
// that user.
func (a *API) sessionInfo(ctx context.Context, lease *tenancy.Lease, p Principal) (map[string]any, error) {
	info := map[string]any{
		"uid": p.UID, "db": lease.Tenant.Name,
		"server_version":      a.version,
		"server_version_info": a.versionInfo()["server_version_info"],
	}
	err := a.inTx(ctx, lease.DB, true, func(tx *sql.Tx) error {
		env, err := base.NewEnv(ctx, tx, lease.DB.Engine, a.reg, p.UID)
		if err != nil {
			return accessDenied()
		}
		id := env.Identity()
		system, err := env.HasGroup(ctx, base.GroupSystem)
		if err != nil {
			return err
		}
		info["is_system"] = system
		info["is_admin"] = system
		info["partner_id"] = id.PartnerID
		info["company_id"] = id.CompanyID
		info["user_context"] = map[string]any{"lang": id.Lang, "tz": id.TZ, "uid": p.UID}
		recs, err := env.Read(ctx, "res.users", []int64{p.UID}, []string{"name", "login"})
		if err == nil && len(recs) == 1 {
			info["name"] = recs[0]["name"]
			info["username"] = recs[0]["login"]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}
