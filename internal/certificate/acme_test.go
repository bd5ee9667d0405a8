package certificate

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// fakeACMEDirectory stands in for the CA: it counts requests and refuses
// them all, so no test ever reaches a real ACME server.
func fakeACMEDirectory(t *testing.T) (url string, requests *atomic.Int64) {
	t.Helper()
	requests = new(atomic.Int64)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "test CA refuses everything", http.StatusNotFound)
	}))
	t.Cleanup(server.Close)
	return server.URL, requests
}

// tenantPolicy allows the platform domain and known tenant hosts, recording
// every host it was asked about.
type tenantPolicy struct {
	mu      sync.Mutex
	allowed map[string]bool
	asked   []string
}

var errUnknownHost = errors.New("unknown host")

func (p *tenantPolicy) check(_ context.Context, host string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, host)
	if !p.allowed[host] {
		return errUnknownHost
	}
	return nil
}

func TestACMEManagerConsultsHostPolicy(t *testing.T) {
	tests := []struct {
		host      string
		allowed   bool
		wantAsked string
	}{
		{"erp.example.com", true, "erp.example.com"},
		{"acme.erp.example.com", true, "acme.erp.example.com"},
		{"ACME.erp.example.com", true, "acme.erp.example.com"},
		{"evil.example.net", false, "evil.example.net"},
		{"deleted-tenant.erp.example.com", false, "deleted-tenant.erp.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			cacheDir := filepath.Join(t.TempDir(), "acme")
			policy := &tenantPolicy{allowed: map[string]bool{"erp.example.com": true, "acme.erp.example.com": true}}
			manager := ACMEManager(cacheDir, "ops@example.com", policy.check)
			directory, requests := fakeACMEDirectory(t)
			manager.Client = &acme.Client{DirectoryURL: directory}

			_, err := manager.GetCertificate(&tls.ClientHelloInfo{ServerName: tt.host})
			if err == nil {
				t.Fatal("GetCertificate succeeded against a CA that refuses everything")
			}
			if len(policy.asked) != 1 || policy.asked[0] != tt.wantAsked {
				t.Fatalf("policy asked about %v, want [%s]", policy.asked, tt.wantAsked)
			}
			if tt.allowed {
				// An allowed host goes on to the CA (here the fake one).
				if requests.Load() == 0 {
					t.Error("allowed host never reached the CA")
				}
				return
			}
			if !errors.Is(err, errUnknownHost) {
				t.Errorf("err = %v, want the policy's error", err)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("refused host caused %d requests to the CA", n)
			}
			if _, err := os.Stat(cacheDir); !os.IsNotExist(err) {
				t.Error("refused host wrote to the certificate cache")
			}
		})
	}
}

func TestACMEManagerWithoutPolicyRefusesEveryHost(t *testing.T) {
	manager := ACMEManager(t.TempDir(), "", nil)
	directory, requests := fakeACMEDirectory(t)
	manager.Client = &acme.Client{DirectoryURL: directory}

	for _, host := range []string{"erp.example.com", "anything.example.org"} {
		_, err := manager.GetCertificate(&tls.ClientHelloInfo{ServerName: host})
		if !errors.Is(err, errNoHostPolicy) {
			t.Errorf("%s: err = %v, want errNoHostPolicy", host, err)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests reached the CA", n)
	}
}

func TestACMEManagerSettings(t *testing.T) {
	cacheDir := t.TempDir()
	manager := ACMEManager(cacheDir, "ops@example.com", func(context.Context, string) error { return nil })
	if manager.Email != "ops@example.com" {
		t.Errorf("Email = %q", manager.Email)
	}
	if manager.Prompt == nil || !manager.Prompt("https://example.com/tos") {
		t.Error("terms of service are not accepted, so no certificate could ever be issued")
	}
	cache, ok := manager.Cache.(autocert.DirCache)
	if !ok || string(cache) != cacheDir {
		t.Errorf("Cache = %#v, want DirCache(%q)", manager.Cache, cacheDir)
	}
	if manager.HostPolicy == nil {
		t.Error("HostPolicy not set")
	}
}
