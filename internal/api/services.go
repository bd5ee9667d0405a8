package api

import (
	"net/http"
	"strings"
)

// serviceCall runs a method of one of Odoo's RPC services (common, object, db) with
// positional arguments, as XML-RPC and JSON-RPC carry them.
func (a *API) serviceCall(r *http.Request, service, method string, args []any) (any, error) {
	switch service {
	case "common":
		return a.commonCall(r, method, args)
	case "object":
		return a.objectCall(r, method, args)
	case "db":
		// Tenants are created, copied and dropped by the platform, never over the API.
		a.auth.Dummy("")
		return nil, accessDenied()
	}
	return nil, errorOf(kindNotFound, "the service %s does not exist", quoteClip(service))
}

// versionInfo is what version() answers, shaped as Odoo's.
func (a *API) versionInfo() map[string]any {
	major, minor := a.version, "0"
	if i := strings.IndexByte(a.version, '.'); i > 0 {
		major, minor = a.version[:i], a.version[i+1:]
	}
	maj, _ := intArg("", jsonNumberOrZero(major))
	mnr, _ := intArg("", jsonNumberOrZero(minor))
	return map[string]any{
		"server_version":      a.version,
		"server_version_info": []any{maj, mnr, int64(0), "final", int64(0), ""},
		"server_serie":        a.version,
		"protocol_version":    int64(1),
	}
}

func (a *API) commonCall(r *http.Request, method string, args []any) (any, error) {
	switch method {
	case "version":
		return a.versionInfo(), nil
	case "login", "authenticate":
		if len(args) < 3 {
			return nil, errorOf(kindBadRequest, "%s takes the database, the login and the password or API key", method)
		}
		db, err1 := stringArg("db", args[0])
		login, err2 := stringArg("login", args[1])
		secret, err3 := stringArg("password", args[2])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, errorOf(kindBadRequest, "%s takes the database, the login and the password or API key as text", method)
		}
		if err := a.allowAddress(r); err != nil {
			return nil, err
		}
		lease, release, err := a.tenantFor(r, db)
		if err != nil {
			a.auth.Dummy(secret)
			return false, nil
		}
		defer release()
		p, err := a.auth.Login(r.Context(), lease.DB, login, secret, clientOf(r))
		if err != nil {
			// Odoo answers a failed authenticate with False, not a fault.
			return false, nil
		}
		return p.UID, nil
	}
	return nil, errorOf(kindNotFound, "the method %s does not exist on the common service", quoteClip(method))
}

func (a *API) objectCall(r *http.Request, method string, args []any) (any, error) {
	var (
		c    call
		need int
	)
	switch method {
	case "execute_kw":
		need = 5
	case "execute":
		need = 5
	default:
		return nil, errorOf(kindNotFound, "the method %s does not exist on the object service", quoteClip(method))
	}
	if len(args) < need {
		return nil, errorOf(kindBadRequest, "%s takes the database, the user id, the password or API key, the model and the method", method)
	}
	db, err := stringArg("db", args[0])
	if err != nil {
		return nil, err
	}
	uid, err := intArg("uid", args[1])
	if err != nil {
		return nil, err
	}
	secret, err := stringArg("password", args[2])
	if err != nil {
		return nil, err
	}
	if c.model, err = stringArg("model", args[3]); err != nil {
		return nil, err
	}
	if c.method, err = stringArg("method", args[4]); err != nil {
		return nil, err
	}
	if method == "execute_kw" {
		if len(args) > 7 {
			return nil, errorOf(kindBadRequest, "execute_kw takes at most 7 arguments, got %d", len(args))
		}
		if len(args) > 5 && given(args[5]) {
			list, ok := args[5].([]any)
			if !ok {
				return nil, errorOf(kindBadRequest, "execute_kw: the arguments must be a list, got %s", describe(args[5]))
			}
			c.args = list
		}
		if len(args) > 6 && given(args[6]) {
			kw, ok := args[6].(map[string]any)
			if !ok {
				return nil, errorOf(kindBadRequest, "execute_kw: the keyword arguments must be a mapping, got %s", describe(args[6]))
			}
			c.kwargs = kw
		}
	} else {
		c.args = args[5:]
	}
	return a.authorizedCall(r, db, uid, secret, c)
}

// authorizedCall checks the credentials of an execute/execute_kw call and runs it.
func (a *API) authorizedCall(r *http.Request, db string, uid int64, secret string, c call) (any, error) {
	if err := a.allowAddress(r); err != nil {
		return nil, err
	}
	lease, release, err := a.tenantFor(r, db)
	if err != nil {
		a.auth.Dummy(secret)
		return nil, err
	}
	defer release()
	if uid <= 0 {
		a.auth.Dummy(secret)
		return nil, accessDenied()
	}
	p, err := a.auth.Verify(r.Context(), lease.DB, uid, secret, clientOf(r))
	if err != nil {
		return nil, accessDenied()
	}
	if err := a.allowPrincipal(lease.Tenant.Name, p); err != nil {
		return nil, err
	}
	return a.execute(r.Context(), lease, p, c)
}

func jsonNumberOrZero(s string) any {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return int64(0)
		}
	}
	if s == "" {
		return int64(0)
	}
	var n int64
	for i := 0; i < len(s) && i < 9; i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return n
}
