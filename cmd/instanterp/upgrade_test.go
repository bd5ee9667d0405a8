package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// seedState is what the test reads of a tenant's seeds: the mail module's
// level, how many access rights it has on the change history, and the schema
// fingerprint.
type seedState struct {
	mailLevel      int
	historyRights  int
	schemaRecorded string
}

// tenantSeedState opens the tenant's database directly, without upgrading it,
// runs stmts as its own role, and reads its seed state.
func tenantSeedState(t *testing.T, flags []string, tenant string, stmts ...string) seedState {
	t.Helper()
	ctx := context.Background()
	fs := config.NewFlagSet("test", config.Common, os.Stderr)
	if err := fs.Parse(flags); err != nil {
		t.Fatal(err)
	}
	cfg, err := fs.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	p, err := app.Open(ctx, cfg, app.NewLogger(cfg, os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tn, err := p.Catalogue.Get(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	db, err := p.Storage.Open(ctx, tn, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range stmts {
		if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return readSeedState(t, db)
}

func readSeedState(t *testing.T, db *store.DB) seedState {
	t.Helper()
	ctx := context.Background()
	var st seedState
	levels, err := seed.Levels(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	st.mailLevel = levels["mail"]
	if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM ir_model_access
		WHERE model_id IN (SELECT id FROM ir_model WHERE model IN ('mail.message', 'mail.tracking.value'))`).Scan(&st.historyRights); err != nil {
		t.Fatal(err)
	}
	if err := db.Read.QueryRowContext(ctx, "SELECT value FROM ir_config_parameter WHERE key = 'database.schema_fingerprint'").Scan(&st.schemaRecorded); err != nil {
		t.Fatal(err)
	}
	return st
}

// mailSteps is the number of seed steps this build's mail module has.
func mailSteps(t *testing.T) int {
	t.Helper()
	for _, m := range erp.Modules("") {
		if m.Name == "mail" {
			return len(m.Steps)
		}
	}
	t.Fatal("no mail module")
	return 0
}

// A tenant an older build created, at mail's first seed step and without the
// change history's access rights, is brought to this build's seed level by the
// first command that opens it to work on its users, as the server would on its
// first request; a command that only reads the catalogue leaves it alone.
func TestUserCommandUpgradesOlderTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		flags := []string{"--data=" + t.TempDir()}
		if e.Name == store.Postgres {
			flags = append(flags, "--database-url="+storetest.NewPostgresDatabase(t))
		}
		cli := func(args ...string) (int, string, string) { return runCLI(append(args, flags...), nil) }
		if code, _, stderr := cli("tenant", "create", "acme", "--admin-email", "boss@example.com"); code != 0 {
			t.Fatalf("create: %d %s", code, stderr)
		}
		t.Cleanup(func() { cli("tenant", "delete", "acme", "--yes") })
		current := tenantSeedState(t, flags, "acme")
		if current.mailLevel != mailSteps(t) || current.historyRights == 0 {
			t.Fatalf("new tenant: %+v, want mail at level %d with its rights", current, mailSteps(t))
		}

		older := tenantSeedState(t, flags, "acme",
			"DELETE FROM ir_model_access WHERE model_id IN (SELECT id FROM ir_model WHERE model IN ('mail.message', 'mail.tracking.value'))",
			"DELETE FROM ir_model_data WHERE module = 'mail'",
			"UPDATE ir_module_module SET latest_version = 1 WHERE name = 'mail'",
			"UPDATE ir_config_parameter SET value = 'older' WHERE key = 'database.schema_fingerprint'")
		if older.mailLevel != 1 || older.historyRights != 0 || older.schemaRecorded != "older" {
			t.Fatalf("made older: %+v", older)
		}
		if code, _, stderr := cli("tenant", "show", "acme"); code != 0 {
			t.Fatalf("show: %d %s", code, stderr)
		}
		if got := tenantSeedState(t, flags, "acme"); got != older {
			t.Fatalf("tenant show changed the tenant's seeds: %+v, was %+v", got, older)
		}

		code, stdout, stderr := cli("user", "reset-password", "--tenant", "acme", "boss@example.com")
		if code != 0 || !strings.Contains(stdout, "https://") {
			t.Fatalf("reset-password: %d %s %s", code, stdout, stderr)
		}
		if got := tenantSeedState(t, flags, "acme"); got != current {
			t.Fatalf("after the command: %+v, want the current build's %+v", got, current)
		}
	})
}
