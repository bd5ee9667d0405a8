package orm

import (
	"context"
	"testing"
)

func TestBaseURL(t *testing.T) {
	for _, c := range []struct{ set, want string }{
		{"https://acme.erp.example.com", "https://acme.erp.example.com"},
		{"https://acme.localhost:8443/", "https://acme.localhost:8443"},
	} {
		if got := BaseURL(WithBaseURL(context.Background(), c.set)); got != c.want {
			t.Errorf("WithBaseURL(%q): %q, want %q", c.set, got, c.want)
		}
	}
	if got := BaseURL(context.Background()); got != "" {
		t.Errorf("no base URL: %q", got)
	}
}
