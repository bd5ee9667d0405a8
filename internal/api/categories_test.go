package api_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
)

// Contact tags (res.partner.category) over XML-RPC, as an Odoo client uses them:
// create, tag a contact, search_read both ways; portal users do not see them.
func TestPartnerCategoriesXMLRPC(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme"}})
	acme := p.Tenants["acme"]
	c := newCaller(t, p, "")
	u := acme.Internal
	call := func(model, method string, args []any, kwargs map[string]any) any {
		t.Helper()
		res, err := c.executeKW("acme", u.UID, u.Key, model, method, args, kwargs)
		if err != nil {
			t.Fatalf("%s.%s: %v", model, method, err)
		}
		return res
	}
	vip := call("res.partner.category", "create", []any{map[string]any{"name": "VIP", "color": 3}}, nil)
	gold := call("res.partner.category", "create", []any{map[string]any{"name": "Gold", "parent_id": vip}}, nil)
	partner := call("res.partner", "create", []any{map[string]any{"name": "Tagged Ltd", "category_id": []any{[]any{6, 0, []any{vip, gold}}}}}, nil)
	tags := call("res.partner.category", "search_read", []any{[]any{[]any{"parent_id", "=", vip}}},
		map[string]any{"fields": []any{"name", "color", "parent_id", "active"}})
	got := fmt.Sprint(tags)
	want := fmt.Sprintf("[map[active:true color:0 id:%v name:Gold parent_id:[%v VIP]]]", gold, vip)
	if got != want {
		t.Errorf("search_read of tags:\n got %s\nwant %s", got, want)
	}
	// The tags come in their model's order (by name), as Odoo gives them.
	found := call("res.partner", "search_read", []any{[]any{[]any{"category_id", "in", []any{gold}}}},
		map[string]any{"fields": []any{"name", "category_id"}})
	if s := fmt.Sprint(found); s != fmt.Sprintf("[map[category_id:[%v %v] id:%v name:Tagged Ltd]]", gold, vip, partner) {
		t.Errorf("search_read of tagged contacts: %s", s)
	}
	if named := call("res.partner.category", "name_search", []any{"Go"}, nil); fmt.Sprint(named) != fmt.Sprintf("[[%v Gold]]", gold) {
		t.Errorf("name_search: %v", named)
	}
	_, err := c.executeKW("acme", acme.Portal.UID, acme.Portal.Key, "res.partner.category", "search_read", []any{[]any{}}, map[string]any{"fields": []any{"name"}})
	if f := faultOf(t, err); !contains(f.String, "ccess") {
		t.Errorf("portal reads tags: %v", err)
	}
}

// The company logo travels as base64, as in Odoo, and is checked as an image.
func TestCompanyLogoXMLRPC(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme"}})
	acme := p.Tenants["acme"]
	c := newCaller(t, p, "")
	a := acme.Admin
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 12, 6))); err != nil {
		t.Fatal(err)
	}
	logo := base64.StdEncoding.EncodeToString(buf.Bytes())
	ids, err := c.executeKW("acme", a.UID, a.Key, "res.company", "search", []any{[]any{}}, map[string]any{"limit": 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.executeKW("acme", a.UID, a.Key, "res.company", "write", []any{ids, map[string]any{"logo": logo}}, nil); err != nil {
		t.Fatalf("write a PNG logo: %v", err)
	}
	read, err := c.executeKW("acme", a.UID, a.Key, "res.company", "read", []any{ids}, map[string]any{"fields": []any{"logo"}})
	if err != nil || fmt.Sprint(read) != fmt.Sprintf("[map[id:%v logo:%s]]", ids.([]any)[0], logo) {
		t.Errorf("read the logo: %v %v", read, err)
	}
	// Every field, the logo among them, as clients that read whole records do.
	if _, err := c.executeKW("acme", a.UID, a.Key, "res.company", "search_read", []any{[]any{}}, nil); err != nil {
		t.Errorf("search_read of companies with a logo: %v", err)
	}
	svg := base64.StdEncoding.EncodeToString([]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`))
	_, err = c.executeKW("acme", a.UID, a.Key, "res.company", "write", []any{ids, map[string]any{"logo": svg}}, nil)
	if f := faultOf(t, err); !contains(f.String, "logo") {
		t.Errorf("write an SVG logo: %v", err)
	}
	_, err = c.executeKW("acme", acme.Internal.UID, acme.Internal.Key, "res.company", "write", []any{ids, map[string]any{"logo": logo}}, nil)
	if f := faultOf(t, err); !contains(f.String, "ccess") {
		t.Errorf("internal user writes the logo: %v", err)
	}
}
