package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
)

// TestPrivateMethodMatrix calls names that must never reach code, over XML-RPC and
// JSON-2, on a real model and on one that does not exist (the name is refused before
// any lookup, so the model's existence does not matter).
func TestPrivateMethodMatrix(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme"}})
	admin := p.Tenants["acme"].Admin
	c := newCaller(t, p, "acme.localhost")
	refused := []string{
		"_anything", "_read", "_write", "__init__", "__class__", "__getattribute__", "_sql_constraints",
		"init", "sudo", "with_user", "with_context", "browse", "env", "mro", "flush", "check_access_rule",
		// Go identifiers of ORM internals and module helpers.
		"Sudo", "Read", "NewEnv", "readRows", "checkAccess", "prepareVals", "Tx", "displayNames",
		// Not identifiers at all.
		"", "read.x", "read;unlink", "READ", "search read", "9lives", strings.Repeat("a", 200),
	}
	for _, model := range []string{"res.partner", "no.such.model"} {
		for _, name := range refused {
			_, err := c.executeKW("acme", admin.UID, admin.Key, model, name, []any{[]any{int64(1)}}, nil)
			f := faultOf(t, err)
			if f.Code != 4 || !contains(f.String, "cannot be called") {
				t.Errorf("XML-RPC %s.%q: fault %d %q, want an access error", model, name, f.Code, f.String)
			}
			if name == "" || strings.ContainsAny(name, " ;/") {
				continue // not a valid URL path segment for JSON-2
			}
			status, body := c.json2(admin.Key, model, name, map[string]any{"ids": []any{1}})
			if status != http.StatusForbidden || body.(map[string]any)["name"] != "odoo.exceptions.AccessError" {
				t.Errorf("JSON-2 %s.%q: %d %v, want 403 AccessError", model, name, status, body)
			}
		}
	}
	for _, name := range []string{"frobnicate", "action_confirm", "name_create"} {
		_, err := c.executeKW("acme", admin.UID, admin.Key, "res.partner", name, []any{[]any{int64(1)}}, nil)
		if f := faultOf(t, err); !contains(f.String, "does not exist") {
			t.Errorf("unknown %q: %q, want \"does not exist\"", name, f.String)
		}
		if status, _ := c.json2(admin.Key, "res.partner", name, nil); status != http.StatusNotFound {
			t.Errorf("JSON-2 unknown %q: %d, want 404", name, status)
		}
	}
	_, err := c.executeKW("acme", admin.UID, admin.Key, "no.such.model", "search", []any{[]any{}}, nil)
	if f := faultOf(t, err); !contains(f.String, "does not exist") {
		t.Errorf("unknown model: %q", f.String)
	}
}

// TestAccessEqualsORM re-runs the ORM's access decisions over JSON-2 for two roles:
// what a user may search, and which operations their rights allow, must be exactly
// what the ORM answers for the same user.
func TestAccessEqualsORM(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme"}})
	acme := p.Tenants["acme"]
	c := newCaller(t, p, "acme.localhost")
	models := []string{"res.partner", "res.users", "res.groups", "res.company", "res.currency", "res.country",
		"ir.model", "ir.model.access", "ir.rule"}
	for _, role := range []apitest.User{acme.Internal, acme.Portal} {
		for _, model := range models {
			ormIDs, ormErr, ormOps := ormView(t, p, role.UID, model)
			status, body := c.json2(role.Key, model, "search", map[string]any{"domain": []any{}, "limit": 1000})
			switch {
			case ormErr != nil:
				if status != http.StatusForbidden {
					t.Errorf("%s %s search: API %d %v, ORM refused with %v", role.Login, model, status, body, ormErr)
				}
			case status != 200 || !slices.Equal(jsonIDs(t, body), ormIDs):
				t.Errorf("%s %s search: API %d %v, ORM %v", role.Login, model, status, body, ormIDs)
			}
			for op, allowed := range ormOps {
				status, body := c.json2(role.Key, model, "check_access_rights", map[string]any{"operation": op, "raise_exception": false})
				if status != 200 || body != allowed {
					t.Errorf("%s %s %s: API %d %v, ORM %v", role.Login, model, op, status, body, allowed)
				}
			}
		}
	}
	// Record rules, not only rights: the portal user may not read the internal
	// user's partner, through the ORM or the API.
	var partner int64
	p.Sudo(t, "acme", func(ctx context.Context, env *orm.Env) error {
		recs, err := env.Read(ctx, "res.users", []int64{acme.Internal.UID}, []string{"partner_id"})
		partner = recs[0]["partner_id"].([]any)[0].(int64)
		return err
	})
	_, ormErr, _ := ormRead(t, p, acme.Portal.UID, "res.partner", partner)
	status, _ := c.json2(acme.Portal.Key, "res.partner", "read", map[string]any{"ids": []any{partner}, "fields": []any{"name"}})
	var denied *orm.AccessError
	if !errors.As(ormErr, &denied) || status != http.StatusForbidden {
		t.Errorf("portal reading another partner: ORM %v, API %d", ormErr, status)
	}
	status, _ = c.json2(acme.Portal.Key, "res.partner", "write", map[string]any{"ids": []any{partner}, "vals": map[string]any{"name": "pwned"}})
	if status != http.StatusForbidden {
		t.Errorf("portal writing another partner: API %d, want 403", status)
	}
}

// ormView asks the ORM directly, as uid, in a transaction that is rolled back.
func ormView(t *testing.T, p *apitest.Platform, uid int64, model string) ([]int64, error, map[string]bool) {
	var (
		ids    []int64
		err    error
		access = map[string]bool{}
	)
	asUser(t, p, uid, func(ctx context.Context, env *orm.Env) {
		ids, err = env.Search(ctx, model, domain.Domain{}, orm.SearchOptions{Limit: 1000})
		_, e := env.Read(ctx, model, nil, []string{"id"})
		access["read"] = e == nil
		access["write"] = env.Write(ctx, model, nil, map[string]any{}) == nil
		_, e = env.Create(ctx, model, nil)
		access["create"] = e == nil
		access["unlink"] = env.Unlink(ctx, model, nil) == nil
	})
	return ids, err, access
}

func ormRead(t *testing.T, p *apitest.Platform, uid int64, model string, id int64) ([]map[string]any, error, bool) {
	var (
		recs []map[string]any
		err  error
	)
	asUser(t, p, uid, func(ctx context.Context, env *orm.Env) {
		recs, err = env.Read(ctx, model, []int64{id}, []string{"name"})
	})
	return recs, err, true
}

func asUser(t *testing.T, p *apitest.Platform, uid int64, fn func(ctx context.Context, env *orm.Env)) {
	t.Helper()
	ctx := context.Background()
	lease, err := p.Router.Acquire(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	tx, err := lease.DB.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	env, err := base.NewEnv(ctx, tx, lease.DB.Engine, p.App.Registry, uid)
	if err != nil {
		t.Fatal(err)
	}
	fn(ctx, env)
}

func jsonIDs(t *testing.T, v any) []int64 {
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("want a list of ids, got %v", v)
	}
	out := make([]int64, len(list))
	for i, x := range list {
		n, err := x.(json.Number).Int64()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = n
	}
	return out
}

// TestCrossTenant uses one tenant's credentials against another, and checks that an
// unknown database is answered exactly as a wrong password.
func TestCrossTenant(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme", "beta"}})
	acme, beta := p.Tenants["acme"], p.Tenants["beta"]
	bare := newCaller(t, p, "")
	onBeta := newCaller(t, p, "beta.localhost")
	onAcme := newCaller(t, p, "acme.localhost")

	// acme's key on beta's host, and with db=beta on the bare domain.
	if status, body := onBeta.json2(acme.Admin.Key, "res.partner", "search", nil); status != 401 {
		t.Errorf("acme key on beta host: %d %v", status, body)
	}
	if status, body := bare.json2(acme.Admin.Key, "res.partner", "search", nil, "X-Odoo-Database", "beta"); status != 401 {
		t.Errorf("acme key with X-Odoo-Database beta: %d %v", status, body)
	}
	if uid, err := bare.xml("common", "authenticate", "beta", acme.Admin.Login, acme.Admin.Key, map[string]any{}); err != nil || uid != false {
		t.Errorf("authenticate acme's admin on beta: %v %v", uid, err)
	}
	_, err := bare.executeKW("beta", acme.Admin.UID, acme.Admin.Key, "res.partner", "search", []any{[]any{}}, nil)
	if f := faultOf(t, err); f.Code != 3 || f.String != "Access Denied" {
		t.Errorf("execute_kw acme credentials db=beta: %v", f)
	}
	// Host and argument disagreeing.
	_, err = onAcme.executeKW("beta", acme.Admin.UID, acme.Admin.Key, "res.partner", "search", []any{[]any{}}, nil)
	if f := faultOf(t, err); f.Code != 3 {
		t.Errorf("db=beta on acme host: %v", f)
	}
	// The db service is closed.
	for _, m := range []string{"list", "create_database", "drop", "dump", "restore", "duplicate_database", "server_version"} {
		_, err := bare.xml("db", m)
		if f := faultOf(t, err); f.Code != 3 || f.String != "Access Denied" {
			t.Errorf("db.%s: %v", m, f)
		}
	}
	if _, e := bare.jsonrpc("db", "list"); e == nil || e["data"].(map[string]any)["name"] != "odoo.exceptions.AccessDenied" {
		t.Errorf("JSON-RPC db.list: %v", e)
	}

	// Unknown database == wrong credentials, byte for byte, on every protocol.
	same := func(what string, a, b []byte) {
		if string(a) != string(b) {
			t.Errorf("%s: unknown database and wrong key answer differently:\n%s\n---\n%s", what, a, b)
		}
	}
	xmlCall := func(db string, uid int64, key string) []byte {
		body := mustXMLCall(t, "execute_kw", db, uid, key, "res.partner", "search", []any{[]any{}})
		resp := bare.post("/xmlrpc/2/object", "text/xml", body)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	same("XML-RPC", xmlCall("nosuch", acme.Admin.UID, acme.Admin.Key), xmlCall("acme", acme.Admin.UID, beta.Admin.Key))
	json2Raw := func(c *caller, key string, header ...string) []byte {
		h := append([]string{"Authorization", "bearer " + key}, header...)
		resp := c.post("/json/2/res.partner/search", "application/json", []byte(`{}`), h...)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return []byte(fmt.Sprintf("%d %s", resp.StatusCode, b))
	}
	same("JSON-2 unknown host", json2Raw(newCaller(t, p, "nosuch.localhost"), acme.Admin.Key), json2Raw(onAcme, beta.Admin.Key))
	same("JSON-2 unknown X-Odoo-Database", json2Raw(bare, acme.Admin.Key, "X-Odoo-Database", "nosuch"), json2Raw(onAcme, beta.Admin.Key))
	same("JSON-2 mismatched X-Odoo-Database", json2Raw(onAcme, acme.Admin.Key, "X-Odoo-Database", "beta"), json2Raw(onAcme, beta.Admin.Key))
	_, e1 := bare.jsonrpc("object", "execute_kw", "nosuch", acme.Admin.UID, acme.Admin.Key, "res.partner", "search", []any{[]any{}})
	_, e2 := bare.jsonrpc("object", "execute_kw", "acme", acme.Admin.UID, beta.Admin.Key, "res.partner", "search", []any{[]any{}})
	if fmt.Sprint(e1) != fmt.Sprint(e2) || e1 == nil {
		t.Errorf("JSON-RPC: %v vs %v", e1, e2)
	}
}

func mustXMLCall(t *testing.T, method string, params ...any) []byte {
	t.Helper()
	body, err := xmlCallBody(method, params...)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// countPartners counts every partner, archived or not, as the system.
func countPartners(t *testing.T, p *apitest.Platform) int64 {
	var n int64
	p.Sudo(t, "acme", func(ctx context.Context, env *orm.Env) error {
		var err error
		n, err = env.SearchCount(ctx, "res.partner", domain.Domain{}, orm.SearchOptions{IncludeArchived: true})
		return err
	})
	return n
}
