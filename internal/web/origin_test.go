package web

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// The address links in mails lead to: https when the request came over TLS,
// or from a trusted proxy that received HTTPS; a client's own header counts
// for nothing.
func TestOrigin(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	cases := []struct {
		name, peer, proto string
		tls               bool
		want              string
	}{
		{"over TLS", "203.0.113.7:5000", "", true, "https://acme.erp.example.com"},
		{"plain HTTP", "203.0.113.7:5000", "", false, "http://acme.erp.example.com"},
		{"trusted proxy that received HTTPS", "10.1.2.3:5000", "https", false, "https://acme.erp.example.com"},
		{"client claiming HTTPS", "203.0.113.7:5000", "https", false, "http://acme.erp.example.com"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/odoo", nil)
		r.Host, r.RemoteAddr = "acme.erp.example.com", c.peer
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := s.origin(r); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
