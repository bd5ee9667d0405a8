package api_test

import (
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
)

func TestSmokeXMLRPC(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme"}})
	acme := p.Tenants["acme"]
	c := newCaller(t, p, "")
	v, err := c.xml("common", "version")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("version: %v", v)
	uid, err := c.xml("common", "authenticate", "acme", acme.Internal.Login, acme.Internal.Key, map[string]any{})
	if err != nil || uid != acme.Internal.UID {
		t.Fatalf("authenticate = %v, %v; want %d", uid, err, acme.Internal.UID)
	}
	res, err := c.executeKW("acme", acme.Internal.UID, acme.Internal.Key, "res.partner", "search_read",
		[]any{[]any{}}, map[string]any{"fields": []any{"name", "parent_id"}, "limit": 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("search_read: %v", res)
}
