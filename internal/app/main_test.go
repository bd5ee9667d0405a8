package app_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/instant-erp/instanterp/internal/app/apptest"
)

// templates is the tenant template per engine that the test platforms copy
// instead of each installing the ERP into a template of its own; the tests of
// the template itself keep their platform's own.
var templates apptest.Templates

func TestMain(m *testing.M) {
	code := m.Run()
	if err := templates.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "remove the shared tenant templates:", err)
		code = 1
	}
	os.Exit(code)
}
