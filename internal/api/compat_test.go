package api_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
)

// TestPythonCompatibility runs testdata/compat.py — Python's standard xmlrpc.client
// and urllib, used as Odoo's external API documentation shows — against a real
// HTTPS server, on each engine.
func TestPythonCompatibility(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("PYTHON COMPATIBILITY TEST SKIPPED: python3 is not installed")
	}
	for _, engine := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(engine.name, func(t *testing.T) {
			p := start(t, apitest.Options{Tenants: []string{"acme"}, Postgres: engine.postgres})
			admin := p.Tenants["acme"].Admin
			p.SetPassword(t, "acme", admin.UID, "correct horse battery staple")
			for run := 1; run <= 2; run++ {
				out, err := exec.Command(python, "testdata/compat.py", p.URL, p.CAFile, "acme", admin.Login,
					"correct horse battery staple", admin.Key).CombinedOutput()
				if err != nil || !strings.Contains(string(out), "compat: all checks passed") {
					t.Fatalf("run %d: %v\n%s", run, err, out)
				}
			}
		})
	}
}
