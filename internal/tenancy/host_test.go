package tenancy

import (
	"errors"
	"testing"
)

func TestResolveHost(t *testing.T) {
	cases := []struct {
		host string
		want Target
	}{
		{"acme.localhost", Target{TenantPlane, "acme"}},
		{"ACME.localhost:8443", Target{TenantPlane, "acme"}},
		{"acme.localhost.", Target{TenantPlane, "acme"}},
		{"x.acme.localhost", Target{UnknownHost, ""}},
		{"acme.localhost.evil.test", Target{UnknownHost, ""}},
		{"evil.test", Target{UnknownHost, ""}},
		{"acmelocalhost", Target{UnknownHost, ""}},
		{"localhost", Target{ControlPlane, ""}},
		{"LOCALHOST:8443", Target{ControlPlane, ""}},
		{"127.0.0.1", Target{ControlPlane, ""}},
		{"127.0.0.1:8443", Target{ControlPlane, ""}},
		{"[::1]:8443", Target{ControlPlane, ""}},
		{"", Target{UnknownHost, ""}},
		{".localhost", Target{UnknownHost, ""}},
		{"www.localhost", Target{UnknownHost, ""}},
		{"../x.localhost", Target{UnknownHost, ""}},
		{"a_b.localhost", Target{UnknownHost, ""}},
	}
	for _, c := range cases {
		if got := ResolveHost(c.host, "localhost"); got != c.want {
			t.Errorf("ResolveHost(%q) = %+v, want %+v", c.host, got, c.want)
		}
	}
	if got := ResolveHost("acme.erp.example.com", "ERP.example.com"); got != (Target{TenantPlane, "acme"}) {
		t.Errorf("custom domain: %+v", got)
	}
}

func TestWithDatabase(t *testing.T) {
	control := Target{Plane: ControlPlane}
	tenant := Target{Plane: TenantPlane, Tenant: "acme"}
	if got, err := control.WithDatabase("acme"); err != nil || got != tenant {
		t.Errorf("control+db: %+v %v", got, err)
	}
	if got, err := control.WithDatabase("../x"); err != nil || got.Plane != UnknownHost {
		t.Errorf("control+bad db: %+v %v", got, err)
	}
	if got, err := tenant.WithDatabase("acme"); err != nil || got != tenant {
		t.Errorf("tenant+same db: %+v %v", got, err)
	}
	if _, err := tenant.WithDatabase("other"); !errors.Is(err, ErrDatabaseMismatch) {
		t.Errorf("tenant+other db: %v", err)
	}
	if got, _ := control.WithDatabase(""); got != control {
		t.Errorf("no db changed the target")
	}
}
