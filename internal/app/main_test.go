package app_test

import (
	"os"
	"testing"

	"github.com/instant-erp/instanterp/internal/app/apptest"
)

// templates is the tenant template per engine that the test platforms copy
// instead of each installing the ERP into a template of its own; the tests of
// the template itself keep their platform's own.
var templates apptest.Templates

func TestMain(m *testing.M) { os.Exit(templates.Run(m)) }
