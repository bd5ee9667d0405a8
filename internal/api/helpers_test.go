package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
	"github.com/instant-erp/instanterp/internal/api/xmlrpc"
)

// caller talks to the test server as one host (the bare domain or a tenant host).
type caller struct {
	t      testing.TB
	p      *apitest.Platform
	host   string // "" for the bare domain (127.0.0.1)
	client *http.Client
}

func newCaller(t testing.TB, p *apitest.Platform, host string) *caller {
	return &caller{t: t, p: p, host: host, client: p.ClientFor()}
}

func (c *caller) url(path string) string {
	if c.host == "" {
		return c.p.URL + path
	}
	return "https://" + c.host + path
}

func (c *caller) post(path, contentType string, body []byte, header ...string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.url(path), bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// xml calls an XML-RPC service; a fault comes back as the error.
func (c *caller) xml(service, method string, params ...any) (any, error) {
	c.t.Helper()
	body, err := xmlrpc.AppendCall(nil, method, params...)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.xmlRaw(service, body)
}

func (c *caller) xmlRaw(service string, body []byte) (any, error) {
	c.t.Helper()
	resp := c.post("/xmlrpc/2/"+service, "text/xml", body)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return nil, &httpError{status: resp.StatusCode, body: string(b), retryAfter: resp.Header.Get("Retry-After")}
	}
	v, err := xmlrpc.DecodeResponse(resp.Body, xmlrpc.Limits{})
	var f *xmlrpc.Fault
	if err != nil && !errors.As(err, &f) {
		c.t.Fatalf("decode response: %v", err)
	}
	return v, err
}

type httpError struct {
	status     int
	body       string
	retryAfter string
}

func (e *httpError) Error() string { return e.body }

// executeKW is execute_kw on the bare domain or the caller's host.
func (c *caller) executeKW(db string, uid int64, secret, model, method string, args []any, kwargs map[string]any) (any, error) {
	c.t.Helper()
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	return c.xml("object", "execute_kw", db, uid, secret, model, method, args, kwargs)
}

// json2 calls POST /json/2/model/method and decodes the answer.
func (c *caller) json2(key, model, method string, params map[string]any, header ...string) (int, any) {
	c.t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		c.t.Fatal(err)
	}
	h := append([]string{"Authorization", "bearer " + key}, header...)
	resp := c.post("/json/2/"+model+"/"+method, "application/json", body, h...)
	defer resp.Body.Close()
	return resp.StatusCode, decodeBody(c.t, resp.Body)
}

// jsonrpc calls /jsonrpc and returns the result or the error object.
func (c *caller) jsonrpc(service, method string, args ...any) (any, map[string]any) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "call", "id": 1,
		"params": map[string]any{"service": service, "method": method, "args": args}})
	resp := c.post("/jsonrpc", "application/json", body)
	defer resp.Body.Close()
	out, _ := decodeBody(c.t, resp.Body).(map[string]any)
	if e, ok := out["error"].(map[string]any); ok {
		return nil, e
	}
	return out["result"], nil
}

func decodeBody(t testing.TB, r io.Reader) any {
	t.Helper()
	d := json.NewDecoder(r)
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode JSON answer: %v", err)
	}
	return v
}

func faultOf(t testing.TB, err error) *xmlrpc.Fault {
	t.Helper()
	var f *xmlrpc.Fault
	if !errors.As(err, &f) {
		t.Fatalf("want a fault, got %v", err)
	}
	return f
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func xmlCallBody(method string, params ...any) ([]byte, error) {
	return xmlrpc.AppendCall(nil, method, params...)
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
