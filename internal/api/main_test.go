package api_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
	"github.com/instant-erp/instanterp/internal/app/apptest"
)

// templates is the tenant template per engine that the test platforms copy
// instead of each installing the ERP into a template of its own.
var templates apptest.Templates

func TestMain(m *testing.M) {
	code := m.Run()
	if err := templates.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "remove the shared tenant templates:", err)
		code = 1
	}
	os.Exit(code)
}

// start starts a test platform whose tenants copy the shared templates.
func start(t testing.TB, opts apitest.Options) *apitest.Platform {
	t.Helper()
	opts.Templates = &templates
	return apitest.Start(t, opts)
}
