package api_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
)

// TestMalformedInput sends broken, hostile and wrongly typed requests: each gets a
// clear fault or error, and nothing is written.
func TestMalformedInput(t *testing.T) {
	p := start(t, apitest.Options{Tenants: []string{"acme"}})
	admin := p.Tenants["acme"].Admin
	c := newCaller(t, p, "")
	before := countPartners(t, p)

	call := func(inner string) string {
		return `<?xml version="1.0"?><methodCall><methodName>execute_kw</methodName><params>` +
			`<param><value>acme</value></param><param><value><int>` + itoa(admin.UID) + `</int></value></param>` +
			`<param><value>` + admin.Key + `</value></param><param><value>res.partner</value></param>` + inner + `</params></methodCall>`
	}
	create := `<param><value>create</value></param><param><value><array><data><value><struct><member><name>name</name><value>`
	xmlCases := []struct {
		name, body, want string
		code             int
	}{
		{"broken XML", `<methodCall><methodName>execute_kw</methodName><params>`, "not well-formed", 1},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>` +
			call(create+`&c;</value></member></struct></value></data></array></value></param>`), "document type declarations", 1},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` +
			call(create+`&e;</value></member></struct></value></data></array></value></param>`), "document type declarations", 1},
		{"deep nesting", call(`<param><value>search</value></param><param><value>` + strings.Repeat("<array><data><value>", 100) +
			strings.Repeat("</value></data></array>", 100) + `</value></param>`), "deeper than", 1},
		{"huge array of values", call(`<param><value>read</value></param><param><value><array><data>` +
			strings.Repeat("<value>1</value>", 600_000) + `</data></array></value></param>`), "more than 500000 values", 1},
		{"too many ids", call(`<param><value>read</value></param><param><value><array><data><value><array><data>` +
			strings.Repeat("<value><int>1</int></value>", 20_000) + `</data></array></value></data></array></value></param>`), "exceed the limit of 5000", 1},
		{"non UTF-8", call(create + "\xff\xfe</value></member></struct></value></data></array></value></param>"), "not valid UTF-8", 1},
		{"uid as text", strings.Replace(call(`<param><value>search</value></param>`), "<int>"+itoa(admin.UID)+"</int>", "<string>two</string>", 1), "uid: expected a whole number", 1},
		{"domain not a list", call(`<param><value>search</value></param><param><value><array><data><value>everything</value></data></array></value></param>`), "invalid domain", 2},
		{"limit as text", call(`<param><value>search</value></param><param><value><array><data><value><array><data/></array></value></data></array></value></param>` +
			`<param><value><struct><member><name>limit</name><value>ten</value></member></struct></value></param>`), "limit: expected a whole number", 1},
		{"unknown keyword", call(`<param><value>search</value></param><param><value><array><data><value><array><data/></array></value></data></array></value></param>` +
			`<param><value><struct><member><name>limitt</name><value><int>1</int></value></member></struct></value></param>`), "unexpected keyword argument", 1},
		{"vals not a mapping", call(`<param><value>create</value></param><param><value><array><data><value><int>5</int></value></data></array></value></param>`), "vals_list", 1},
		{"second record invalid", call(`<param><value>create</value></param><param><value><array><data><value><array><data>` +
			`<value><struct><member><name>name</name><value>Good</value></member></struct></value>` +
			`<value><struct><member><name>no_such_field</name><value>1</value></member></struct></value>` +
			`</data></array></value></data></array></value></param>`), "no_such_field", 2},
		{"unknown field", call(create + `X</value></member><member><name>password_hash</name><value>1</value></member></struct></value></data></array></value></param>`), "password_hash", 2},
	}
	for _, tc := range xmlCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.xmlRaw("object", []byte(tc.body))
			f := faultOf(t, err)
			if f.Code != tc.code || !contains(f.String, tc.want) {
				t.Errorf("fault %d %q, want code %d mentioning %q", f.Code, f.String, tc.code, tc.want)
			}
			if contains(f.String, "sql") || contains(f.String, "SELECT") || contains(f.String, ".go:") {
				t.Errorf("fault leaks internals: %q", f.String)
			}
		})
	}

	json2Cases := []struct {
		name, method, body string
		status             int
		want               string
	}{
		{"invalid JSON", "search", `{"domain": [`, 400, "not valid JSON"},
		{"not an object", "search", `[1, 2]`, 400, "JSON object"},
		{"two values", "search", `{} {}`, 400, "more than one"},
		{"deep nesting", "search", `{"domain": ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, 400, "deeper than"},
		{"non UTF-8", "create", "{\"vals_list\": {\"name\": \"\xff\"}}", 400, "UTF-8"},
		{"ids not numbers", "read", `{"ids": ["a"]}`, 400, "positive record ids"},
		{"negative ids", "read", `{"ids": [-1]}`, 400, "positive record ids"},
		{"wrong type", "search", `{"limit": "ten"}`, 400, "limit"},
		{"ids on a model method", "search", `{"ids": [1]}`, 400, "leave ids out"},
		{"context not an object", "search", `{"context": 5}`, 400, "context"},
	}
	key := admin.Key
	for _, tc := range json2Cases {
		t.Run("json2 "+tc.name, func(t *testing.T) {
			resp := c.post("/json/2/res.partner/"+tc.method, "application/json", []byte(tc.body),
				"Authorization", "bearer "+key, "X-Odoo-Database", "acme")
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !contains(string(b), tc.want) {
				t.Errorf("%d %s, want %d mentioning %q", resp.StatusCode, b, tc.status, tc.want)
			}
		})
	}
	resp := c.post("/jsonrpc", "text/plain", []byte(`{"params":{}}`))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("JSON-RPC as text/plain: %d", resp.StatusCode)
	}
	if after := countPartners(t, p); after != before {
		t.Fatalf("malformed requests changed the data: %d partners before, %d after", before, after)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
