package api_test

import (
	"os"
	"testing"

	"github.com/instant-erp/instanterp/internal/api/apitest"
	"github.com/instant-erp/instanterp/internal/app/apptest"
)

// templates is the tenant template per engine that the test platforms copy
// instead of each installing the ERP into a template of its own.
var templates apptest.Templates

func TestMain(m *testing.M) { os.Exit(templates.Run(m)) }

// start starts a test platform whose tenants copy the shared templates.
func start(t testing.TB, opts apitest.Options) *apitest.Platform {
	t.Helper()
	opts.Templates = &templates
	return apitest.Start(t, opts)
}
