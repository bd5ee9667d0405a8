package tenancy

import (
	"errors"
	"net"
	"strings"
)

// Plane says which part of the product a request is for.
type Plane int

const (
	// UnknownHost is neither the platform's domain nor one of its tenants' hosts.
	UnknownHost Plane = iota
	// ControlPlane is the bare domain (signup, account, staff console) or a bare IP.
	ControlPlane
	// TenantPlane is <tenant>.<domain>.
	TenantPlane
)

// Target is where a request goes: a plane and, for the tenant plane, a tenant name
// that still has to be looked up in the catalogue.
type Target struct {
	Plane  Plane
	Tenant string
}

// ErrDatabaseMismatch is returned when a tenant host and a database argument name
// different tenants.
var ErrDatabaseMismatch = errors.New("the database argument does not match the host")

// ResolveHost maps a Host header to a target. Matching is case-insensitive and ignores
// the port. Only one label in front of the domain is a tenant: deeper names and
// look-alike suffixes are unknown, so they get the same answer as any unknown host.
func ResolveHost(host, domain string) Target {
	host = strings.ToLower(strings.TrimSpace(host))
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if host == "" {
		return Target{Plane: UnknownHost}
	}
	if host == domain || net.ParseIP(host) != nil {
		return Target{Plane: ControlPlane}
	}
	label, ok := strings.CutSuffix(host, "."+domain)
	if !ok || label == "" || strings.Contains(label, ".") || ValidateName(label) != nil {
		return Target{Plane: UnknownHost}
	}
	return Target{Plane: TenantPlane, Tenant: label}
}

// WithDatabase applies an Odoo-style database argument (the `db` parameter or the
// X-Odoo-Database header) to a target. On the control plane it selects the tenant; on a
// tenant host it must agree with the host.
func (t Target) WithDatabase(db string) (Target, error) {
	if db == "" {
		return t, nil
	}
	switch t.Plane {
	case ControlPlane:
		if ValidateName(db) != nil {
			return Target{Plane: UnknownHost}, nil
		}
		return Target{Plane: TenantPlane, Tenant: db}, nil
	case TenantPlane:
		if db != t.Tenant {
			return t, ErrDatabaseMismatch
		}
		return t, nil
	}
	return t, nil
}
