package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// seededTables are tables the modules' seeds write.
var seededTables = []string{
	"ir_model_access", "ir_rule", "rule_group_rel", "res_groups", "res_groups_users_rel", "res_users",
	"res_company", "res_currency", "res_country", "ir_model_fields", "ir_sequence", "uom_uom",
	"product_category", "account_payment_term", "account_account", "account_journal", "account_tax",
	"ir_model_data", "ir_module_module",
}

func seededCounts(t *testing.T, db *store.DB) map[string]int {
	return erptest.TableCounts(t, db, seededTables)
}

// readMessagesAsAdmin reads mail.message through the ORM as the tenant's
// administrator, as a direct API call does.
func readMessagesAsAdmin(t *testing.T, p *app.Platform, db *store.DB) error {
	t.Helper()
	ctx := context.Background()
	var uid int64
	if err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT id FROM res_users WHERE login = ?"), "a@example.com").Scan(&uid); err != nil {
		t.Fatalf("find the administrator: %v", err)
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := base.NewEnv(ctx, tx, db.Engine, p.Registry, uid)
		if err != nil {
			return err
		}
		_, err = env.SearchRead(ctx, "mail.message", seed.Dom(), []string{"body"}, orm.SearchOptions{})
		return err
	})
}

func fingerprint(t *testing.T, db *store.DB) string {
	t.Helper()
	var fp string
	if err := db.Read.QueryRowContext(context.Background(), "SELECT value FROM ir_config_parameter WHERE key = 'database.schema_fingerprint'").Scan(&fp); err != nil {
		t.Fatal(err)
	}
	return fp
}

// lackHistoryRights makes a tenant look created before the change history's
// access rights were seeded.
var lackHistoryRights = "DELETE FROM ir_model_access WHERE model_id IN (SELECT id FROM ir_model WHERE model IN ('mail.message', 'mail.tracking.value'))"

// A tenant created before the administrators' rights on mail.message were seeded
// gets them on its first open by this build, whether it records seed levels (and
// was at mail's step 1) or predates them altogether.
func TestTenantGetsMissingAccessRightsOnOpen(t *testing.T) {
	for _, tc := range []struct {
		name  string
		older []string
	}{
		{"older seed level", []string{lackHistoryRights,
			"DELETE FROM ir_model_data WHERE module = 'mail' AND name LIKE 'access_mail_message%'",
			"DELETE FROM ir_model_data WHERE module = 'mail' AND name LIKE 'access_mail_tracking%'",
			"UPDATE ir_module_module SET latest_version = 1 WHERE name = 'mail'"}},
		{"no seed levels", []string{lackHistoryRights, "DROP TABLE ir_model_data", "DROP TABLE ir_module_module",
			"DELETE FROM goose_db_version WHERE version_id = 5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, e storetest.Engine) {
				ctx := context.Background()
				p, tn := olderTenant(t, e)
				fresh := reopen(t, p, tn)
				want := seededCounts(t, fresh)
				fresh.Close()

				makeOlder(t, p, tn, tc.older...)
				older, err := p.Storage.Open(ctx, tn, 1)
				if err != nil {
					t.Fatal(err)
				}
				var denied *orm.AccessError
				if err := readMessagesAsAdmin(t, p, older); !errors.As(err, &denied) {
					t.Fatalf("the older tenant's administrator reads mail.message: %v, want an access error", err)
				}
				older.Close()

				db := reopen(t, p, tn)
				if err := readMessagesAsAdmin(t, p, db); err != nil {
					t.Fatalf("after the upgrade the administrator cannot read mail.message: %v", err)
				}
				if got := seededCounts(t, db); !maps.Equal(got, want) {
					t.Fatalf("seeded rows after the upgrade:\n got  %v\n want %v", got, want)
				}
				if fp := fingerprint(t, db); fp == "older" {
					t.Fatal("fingerprint not recorded after the upgrade")
				}
			})
		})
	}
}

// Opening an upgraded tenant again, even as older once more, changes nothing.
func TestTenantUpgradeTwiceChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		// Every step runs again on the first open: levels forgotten.
		p, tn := olderTenant(t, e, "DELETE FROM ir_module_module")
		first := reopen(t, p, tn)
		counts := seededCounts(t, first)
		if counts["ir_module_module"] == 0 {
			t.Fatal("the upgrade recorded no module level")
		}
		first.Close()
		makeOlder(t, p, tn)
		second := reopen(t, p, tn)
		if again := seededCounts(t, second); !maps.Equal(counts, again) {
			t.Fatalf("second upgrade changed counts:\n first  %v\n second %v", counts, again)
		}
	})
}

// A newer build's seed step that fails is rolled back: the tenant is still
// served, at the level it reached (the steps before the failed one stay
// applied), the log names module and step, and the next open runs the step again.
func TestTenantSeedStepFailureKeepsTenantUsable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		p, tn := olderTenant(t, e, lackHistoryRights,
			"DELETE FROM ir_model_data WHERE module = 'mail'",
			"UPDATE ir_module_module SET latest_version = 1 WHERE name = 'mail'")
		var logs bytes.Buffer
		p.Log = slog.New(slog.NewTextHandler(&logs, nil))
		failures := 1
		if err := app.AppendSeedStepForTest(p, "mail", seed.Step{Name: "welcome note", Run: func(ctx context.Context, env *orm.Env) error {
			if _, err := env.Create(ctx, "res.partner", []map[string]any{{"name": "Half-seeded"}}); err != nil {
				return err
			}
			if failures > 0 {
				failures--
				return errors.New("the mail server's address is not configured")
			}
			return nil
		}}); err != nil {
			t.Fatal(err)
		}

		db := reopen(t, p, tn)
		for _, want := range []string{"module=mail", "step=3", `step_name="welcome note"`, "the mail server's address is not configured"} {
			if !strings.Contains(logs.String(), want) {
				t.Fatalf("log lacks %q:\n%s", want, logs.String())
			}
		}
		half := func() int {
			var n int
			if err := db.Read.QueryRowContext(context.Background(), "SELECT count(*) FROM res_partner WHERE name = 'Half-seeded'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := half(); n != 0 {
			t.Fatalf("the failed step left %d partners", n)
		}
		levels, err := seed.Levels(context.Background(), db.Read)
		if err != nil {
			t.Fatal(err)
		}
		if levels["mail"] != 2 {
			t.Fatalf("mail at level %d after its step 3 failed, want 2", levels["mail"])
		}
		// Step 2 stayed applied and the tenant works.
		if err := readMessagesAsAdmin(t, p, db); err != nil {
			t.Fatalf("tenant after the failed step: %v", err)
		}
		if fp := fingerprint(t, db); fp != "older" {
			t.Fatalf("fingerprint recorded although a step failed: %q", fp)
		}
		db.Close()

		// The next open runs the step again; this time it succeeds.
		db = reopen(t, p, tn)
		if n := half(); n != 1 {
			t.Fatalf("the step ran %d times after its failure, want once", n)
		}
		if levels, err = seed.Levels(context.Background(), db.Read); err != nil || levels["mail"] != 3 {
			t.Fatalf("mail level after the retry: %v, %v", levels, err)
		}
		if fp := fingerprint(t, db); fp == "older" {
			t.Fatal("fingerprint not recorded after the retry")
		}
	})
}
