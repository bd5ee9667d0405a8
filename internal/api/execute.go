package api

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
	"github.com/instant-erp/instanterp/internal/web"
)

// call is one model method call, whatever the protocol that carried it.
type call struct {
	model, method string
	// ids are the records of a JSON-2 call; XML-RPC and JSON-RPC pass them as the
	// first positional argument instead.
	ids    []int64
	hasIDs bool
	args   []any
	kwargs map[string]any
}

// tenantFor returns the tenant of a request: the one its host selected (the db
// argument must then agree), or on the bare domain the one db names. Every failure
// is an access denial, indistinguishable from wrong credentials.
func (a *API) tenantFor(r *http.Request, db string) (*tenancy.Lease, func(), error) {
	ctx := r.Context()
	if web.TenantRefused(ctx) {
		return nil, nil, accessDenied()
	}
	if l := web.Tenant(ctx); l != nil {
		if db != "" && db != l.Tenant.Name {
			return nil, nil, accessDenied()
		}
		return l, func() {}, nil
	}
	if db == "" || tenancy.ValidateName(db) != nil {
		return nil, nil, accessDenied()
	}
	l, err := a.tenants.Acquire(ctx, db)
	switch {
	case errors.Is(err, tenancy.ErrBusy):
		return nil, nil, &callError{kind: kindUnavailable, message: "the service is busy; try again in a few seconds", retryAfter: 5 * time.Second}
	case err != nil:
		if !errors.Is(err, tenancy.ErrNotFound) && !errors.Is(err, tenancy.ErrSuspended) {
			a.log.ErrorContext(ctx, "acquire tenant database", "error", err)
		}
		return nil, nil, accessDenied()
	}
	return l, l.Release, nil
}

func clientOf(r *http.Request) Client {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return Client{Address: web.ClientIP(r.Context()), UserAgent: ua}
}

// allowAddress applies the per-address rate limit, before any credential is checked
// so that guessing costs the guesser and not the server.
func (a *API) allowAddress(r *http.Request) error {
	if wait := a.perAddr.take("addr:" + web.ClientIP(r.Context()).String()); wait > 0 {
		return &callError{kind: kindRateLimited, message: "too many requests from this address; slow down", retryAfter: wait}
	}
	return nil
}

// allowPrincipal applies the per-key (or per-user) rate limit.
func (a *API) allowPrincipal(tenant string, p Principal) error {
	key := "user:" + tenant + ":" + itoa(p.UID)
	if p.KeyID != 0 {
		key = "key:" + tenant + ":" + itoa(p.KeyID)
	}
	if wait := a.perKey.take(key); wait > 0 {
		return &callError{kind: kindRateLimited, message: "too many requests with this API key; slow down", retryAfter: wait}
	}
	return nil
}

// execute runs one call as p inside one transaction of the tenant's database, retried
// when PostgreSQL reports a serialization failure, and bounded in time.
func (a *API) execute(ctx context.Context, lease *tenancy.Lease, p Principal, c call) (any, error) {
	// Names are checked before the registry is consulted at all.
	if err := checkMethodName(c.model, c.method); err != nil {
		return nil, err
	}
	if err := checkModelName(c.model); err != nil {
		return nil, err
	}
	m, ok := a.reg.Model(c.model)
	if !ok {
		return nil, errorOf(kindNotFound, "the model %s does not exist", quoteClip(c.model))
	}
	run, readOnly, err := a.prepare(m, c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, a.limits.CallTimeout)
	defer cancel()
	db := lease.DB
	var opts []orm.EnvOption
	if a.fsDir != nil {
		fs, err := orm.NewFilestore(a.fsDir(lease.Tenant))
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", lease.Tenant.Name, err)
		}
		opts = append(opts, orm.WithFilestore(fs))
	}
	var result any
	for attempt := 0; ; attempt++ {
		err = a.inTx(ctx, db, readOnly, func(tx *sql.Tx) error {
			env, err := base.NewEnv(ctx, tx, db.Engine, a.reg, p.UID, opts...)
			if errors.Is(err, base.ErrInactiveUser) {
				return accessDenied()
			}
			if err != nil {
				return err
			}
			result, err = run(ctx, env)
			return err
		})
		if err == nil || !store.IsSerializationFailure(err) || attempt >= a.limits.Retries {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, err
	}
	return result, nil
}

// prepare binds the call's arguments to a standard method or an exported one.
func (a *API) prepare(m *orm.Model, c call) (func(context.Context, *orm.Env) (any, error), bool, error) {
	includeArchived := false
	if ctxArg, ok := c.kwargs["context"].(map[string]any); ok {
		if v, ok := ctxArg["active_test"].(bool); ok && !v {
			includeArchived = true
		}
	}
	if std, ok := standardMethods[c.method]; ok {
		ids := c.ids
		args := c.args
		if std.onRecords && !c.hasIDs {
			if len(args) == 0 {
				return nil, false, errorOf(kindBadRequest, "%s is called on records: pass their ids as the first argument", c.method)
			}
			var err error
			if ids, err = idsArg(args[0], a.limits.MaxRecords); err != nil {
				return nil, false, err
			}
			args = args[1:]
		}
		if len(ids) > a.limits.MaxRecords {
			return nil, false, errorOf(kindBadRequest, "%d ids exceed the limit of %d records per call; send them in batches", len(ids), a.limits.MaxRecords)
		}
		bound, err := bind(c.method, std.params, args, c.kwargs)
		if err != nil {
			return nil, false, err
		}
		inv := &invocation{
			model: m.Name, ids: ids, args: bound, includeArchived: includeArchived,
			limits: a.limits, domainLimits: a.reg.Limits().Domain,
		}
		return func(ctx context.Context, env *orm.Env) (any, error) { return std.run(ctx, env, inv) }, std.readOnly, nil
	}
	fn, err := m.Method(c.method)
	if err != nil {
		var denied *orm.AccessError
		if errors.As(err, &denied) {
			return nil, false, err
		}
		return nil, false, errorOf(kindNotFound, "the method %s does not exist on the model %s", quoteClip(c.method), quoteClip(m.Name))
	}
	ids, args := c.ids, c.args
	if !c.hasIDs && len(args) > 0 && looksLikeIDs(args[0]) {
		var err error
		if ids, err = idsArg(args[0], a.limits.MaxRecords); err != nil {
			return nil, false, err
		}
		args = args[1:]
	}
	kwargs := make(map[string]any, len(c.kwargs))
	for k, v := range c.kwargs {
		if k != "context" {
			kwargs[k] = v
		}
	}
	return func(ctx context.Context, env *orm.Env) (any, error) {
		return fn(ctx, env, ids, args, kwargs)
	}, false, nil
}

// inTx runs fn in one transaction: read-only calls on the read pool, others on the
// writer, committed only when fn succeeds.
func (a *API) inTx(ctx context.Context, db *store.DB, readOnly bool, fn func(*sql.Tx) error) error {
	if !readOnly {
		return db.InTx(ctx, fn)
	}
	var opts *sql.TxOptions
	if db.Engine == store.Postgres {
		opts = &sql.TxOptions{ReadOnly: true}
	}
	tx, err := db.Read.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
