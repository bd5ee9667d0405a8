package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// An administrator calling unlink on a group a module seeded gets a user error
// over XML-RPC and JSON-2, and the group stays; a group they created is deleted.
func TestModuleGroupUnlinkRefused(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(fmt.Sprintf("postgres=%v", pg), func(t *testing.T) {
			p := start(t, apitest.Options{Tenants: []string{"acme"}, Postgres: pg})
			admin := p.Tenants["acme"].Admin
			c := newCaller(t, p, "acme.localhost")
			groups := map[string]int64{}
			p.Sudo(t, "acme", func(ctx context.Context, env *orm.Env) error {
				for _, x := range []string{base.GroupUser, base.GroupSystem, base.GroupPortal} {
					ids, err := env.Search(ctx, "res.groups", seed.Leaf("xml_id", "=", x), orm.SearchOptions{Limit: 1})
					if err != nil || len(ids) != 1 {
						return fmt.Errorf("group %s: %v %v", x, ids, err)
					}
					groups[x] = ids[0]
				}
				return nil
			})
			for xmlID, id := range groups {
				_, err := c.executeKW("acme", admin.UID, admin.Key, "res.groups", "unlink", []any{[]any{id}}, nil)
				if f := faultOf(t, err); f.Code != 2 || !contains(f.String, "cannot be deleted") || !contains(f.String, xmlID) {
					t.Errorf("XML-RPC unlink %s: fault %d %q", xmlID, f.Code, f.String)
				}
				status, body := c.json2(admin.Key, "res.groups", "unlink", map[string]any{"ids": []any{id}})
				if m, _ := body.(map[string]any); status != http.StatusUnprocessableEntity || m["name"] != "odoo.exceptions.UserError" {
					t.Errorf("JSON-2 unlink %s: %d %v", xmlID, status, body)
				}
				n, err := c.executeKW("acme", admin.UID, admin.Key, "res.groups", "search_count", []any{[]any{[]any{"id", "=", id}}}, nil)
				if err != nil || n != int64(1) {
					t.Errorf("%s after the refusals: %v %v", xmlID, n, err)
				}
			}
			created, err := c.executeKW("acme", admin.UID, admin.Key, "res.groups", "create", []any{map[string]any{"name": "Temporary"}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.executeKW("acme", admin.UID, admin.Key, "res.groups", "unlink", []any{[]any{created}}, nil); err != nil {
				t.Fatalf("unlink the administrator's own group: %v", err)
			}
		})
	}
}
