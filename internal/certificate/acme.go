package certificate

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/acme/autocert"
)

// ACMEManager returns a manager that obtains and renews certificates from
// Let's Encrypt, caching them in cacheDir (created 0700 on first use).
// hostPolicy is consulted before any certificate is requested; it should
// allow the platform domain and the hosts of existing tenants only, so that
// nobody can make the server request certificates for arbitrary names. A
// nil hostPolicy refuses every host.
//
// Serve it with ServerTLSConfig(manager.GetCertificate) on :443; the
// tls-alpn-01 challenge then needs no other listener.
func ACMEManager(cacheDir, email string, hostPolicy func(ctx context.Context, host string) error) *autocert.Manager {
	if hostPolicy == nil {
		hostPolicy = refuseEveryHost
	}
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(cacheDir),
		HostPolicy: autocert.HostPolicy(hostPolicy),
		Email:      email,
	}
}

var errNoHostPolicy = errors.New("no ACME host policy configured")

func refuseEveryHost(_ context.Context, host string) error {
	return fmt.Errorf("refuse certificate for %q: %w", host, errNoHostPolicy)
}
