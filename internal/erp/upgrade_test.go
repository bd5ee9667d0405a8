package erp_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// seededTables are the tables the modules' seeds write.
var seededTables = []string{
	"res_currency", "res_country", "res_groups", "res_groups_implied_rel", "res_company", "res_users",
	"res_partner", "res_groups_users_rel", "ir_model_access", "ir_rule", "rule_group_rel", "ir_model_fields",
	"ir_sequence", "uom_uom", "product_category", "account_payment_term", "account_account",
	"account_journal", "account_tax", "ir_model_data", "ir_module_module",
}

func tableCounts(t *testing.T, db *store.DB) map[string]int {
	return erptest.TableCounts(t, db, seededTables)
}

func levels(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	lv, err := seed.Levels(context.Background(), db.Read)
	if err != nil {
		t.Fatal(err)
	}
	return lv
}

func totalSteps(mods []seed.Module) int {
	n := 0
	for _, m := range mods {
		n += len(m.Steps)
	}
	return n
}

func exec(t *testing.T, db *store.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Write.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// A new tenant records every step of every module, and an upgrade right after
// has nothing to do.
func TestInstallRecordsEveryStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		mods := erp.Modules("")
		want := map[string]int{}
		for _, m := range mods {
			want[m.Name] = len(m.Steps)
		}
		if got := levels(t, tn.DB); !maps.Equal(got, want) {
			t.Fatalf("levels after install = %v, want %v", got, want)
		}
		before := tableCounts(t, tn.DB)
		ran, err := erp.Upgrade(context.Background(), tn.DB, tn.Reg, mods)
		if err != nil || ran != 0 {
			t.Fatalf("Upgrade = %d, %v; want 0 steps", ran, err)
		}
		if after := tableCounts(t, tn.DB); !maps.Equal(before, after) {
			t.Fatalf("counts changed: %v -> %v", before, after)
		}
	})
}

// Every step is idempotent in effect: a tenant that forgot its levels (as one
// created before they were recorded), with or without its external ids, reruns
// every step and ends with exactly the rows it had.
func TestUpgradeRerunAddsNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		forget []string
	}{
		{"levels forgotten", []string{"DELETE FROM ir_module_module"}},
		{"levels and external ids forgotten", []string{"DELETE FROM ir_module_module", "DELETE FROM ir_model_data"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, e storetest.Engine) {
				tn := erptest.Install(t, e)
				before := tableCounts(t, tn.DB)
				exec(t, tn.DB, tc.forget...)
				mods := erp.Modules("")
				ran, err := erp.Upgrade(context.Background(), tn.DB, tn.Reg, mods)
				if err != nil || ran != totalSteps(mods) {
					t.Fatalf("Upgrade = %d, %v; want %d steps", ran, err, totalSteps(mods))
				}
				if after := tableCounts(t, tn.DB); !maps.Equal(before, after) {
					t.Fatalf("counts changed:\n before %v\n after  %v", before, after)
				}
				// The second time there is nothing left to run.
				if ran, err := erp.Upgrade(context.Background(), tn.DB, tn.Reg, mods); err != nil || ran != 0 {
					t.Fatalf("second Upgrade = %d, %v", ran, err)
				}
			})
		})
	}
}

// What an administrator changed in seeded records stays as changed when the seeds
// run again: an edited rule, an archived right, a deleted right, a renamed group
// and an administrator taken out of the sales administrators.
func TestUpgradeKeepsAdministratorsEdits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		ctx := context.Background()
		var ruleID, archivedID, deletedID, groupID int64
		tn.Sudo(func(ctx context.Context, env *orm.Env) error {
			var err error
			if _, ruleID, _, err = seed.Ref(ctx, env, "base.rule_partner_multi_company"); err != nil {
				return err
			}
			if _, archivedID, _, err = seed.Ref(ctx, env, "product.access_uom_uom_base_group_user"); err != nil {
				return err
			}
			if _, deletedID, _, err = seed.Ref(ctx, env, "mail.access_mail_message_base_group_system"); err != nil {
				return err
			}
			groupID, err = seed.GroupID(ctx, env, sale.GroupManager)
			return err
		})
		if ruleID == 0 || archivedID == 0 || deletedID == 0 {
			t.Fatalf("seeded records not found: rule %d, rights %d %d", ruleID, archivedID, deletedID)
		}
		const editedDomain = "[('company_id', 'in', company_ids)]"
		// The administrator edits through the ORM, as the settings screens do.
		if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
			if err := env.Write(ctx, "ir.rule", []int64{ruleID}, map[string]any{"name": "partners of my companies only", "domain_force": editedDomain}); err != nil {
				return err
			}
			if err := env.Write(ctx, "ir.model.access", []int64{archivedID}, map[string]any{"active": false}); err != nil {
				return err
			}
			if err := env.Unlink(ctx, "ir.model.access", []int64{deletedID}); err != nil {
				return err
			}
			if err := env.Write(ctx, "res.groups", []int64{groupID}, map[string]any{"name": "Sales Boss"}); err != nil {
				return err
			}
			return env.Write(ctx, "res.users", []int64{tn.Admin}, map[string]any{"groups_id": []any{[]any{3, groupID}}})
		}); err != nil {
			t.Fatalf("administrator's edits: %v", err)
		}
		before := tableCounts(t, tn.DB)
		exec(t, tn.DB, "DELETE FROM ir_module_module")
		if _, err := erp.Upgrade(ctx, tn.DB, tn.Reg, erp.Modules("")); err != nil {
			t.Fatal(err)
		}
		if after := tableCounts(t, tn.DB); !maps.Equal(before, after) {
			t.Fatalf("counts changed:\n before %v\n after  %v", before, after)
		}
		tn.Sudo(func(ctx context.Context, env *orm.Env) error {
			rule, err := env.Read(ctx, "ir.rule", []int64{ruleID}, []string{"name", "domain_force"})
			if err != nil {
				return err
			}
			if rule[0]["name"] != "partners of my companies only" || rule[0]["domain_force"] != editedDomain {
				t.Errorf("edited rule after upgrade: %v", rule[0])
			}
			right, err := env.Read(ctx, "ir.model.access", []int64{archivedID}, []string{"active"})
			if err != nil {
				return err
			}
			if right[0]["active"] != false {
				t.Errorf("archived right after upgrade: %v", right[0])
			}
			if _, _, live, err := seed.Ref(ctx, env, "mail.access_mail_message_base_group_system"); err != nil || live {
				t.Errorf("deleted right came back: %v, %v", live, err)
			}
			group, err := env.Read(ctx, "res.groups", []int64{groupID}, []string{"name"})
			if err != nil {
				return err
			}
			if group[0]["name"] != "Sales Boss" {
				t.Errorf("renamed group after upgrade: %v", group[0])
			}
			in, err := env.SearchCount(ctx, "res.users", seed.Dom("id", "=", tn.Admin, "groups_id", "in", []any{groupID}), orm.SearchOptions{})
			if err != nil {
				return err
			}
			if in != 0 {
				t.Errorf("the administrator was put back among the sales administrators")
			}
			return nil
		})
	})
}

// A tenant seeded before external ids were recorded has its rules adopted by name
// or by domain: one whose domain an administrator edited, or one renamed, is not
// seeded a second time.
func TestUpgradeAdoptsRulesOfOlderTenants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		var edited, renamed int64
		tn.Sudo(func(ctx context.Context, env *orm.Env) error {
			var err error
			if _, edited, _, err = seed.Ref(ctx, env, "sale.rule_sale_order_multi_company"); err != nil {
				return err
			}
			_, renamed, _, err = seed.Ref(ctx, env, "account.rule_move_portal_sees_own_invoices")
			return err
		})
		if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
			if err := env.Write(ctx, "ir.rule", []int64{edited}, map[string]any{"domain_force": "[('company_id', 'in', company_ids)]"}); err != nil {
				return err
			}
			return env.Write(ctx, "ir.rule", []int64{renamed}, map[string]any{"name": "customers' invoices"})
		}); err != nil {
			t.Fatal(err)
		}
		before := tableCounts(t, tn.DB)
		exec(t, tn.DB, "DELETE FROM ir_module_module", "DELETE FROM ir_model_data")
		if _, err := erp.Upgrade(context.Background(), tn.DB, tn.Reg, erp.Modules("")); err != nil {
			t.Fatal(err)
		}
		if after := tableCounts(t, tn.DB); !maps.Equal(before, after) {
			t.Fatalf("counts changed:\n before %v\n after  %v", before, after)
		}
		tn.Sudo(func(ctx context.Context, env *orm.Env) error {
			for xmlID, want := range map[string]int64{"sale.rule_sale_order_multi_company": edited, "account.rule_move_portal_sees_own_invoices": renamed} {
				if _, id, live, err := seed.Ref(ctx, env, xmlID); err != nil || !live || id != want {
					t.Errorf("%s = %d (live %v, %v), want the tenant's rule %d", xmlID, id, live, err, want)
				}
			}
			return nil
		})
	})
}

// A failing step is rolled back whole, names its module and step, leaves the
// module at its level and runs nothing after it; the next upgrade resumes there.
func TestUpgradeFailedStepRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		ctx := context.Background()
		before := tableCounts(t, tn.DB)
		mods := erp.Modules("")
		fail := errors.New("the disk is on fire")
		later := false
		for i := range mods {
			switch mods[i].Name {
			case "mail":
				mods[i].Steps = append(mods[i].Steps, seed.Step{Name: "broken", Run: func(ctx context.Context, env *orm.Env) error {
					if _, err := env.Create(ctx, "res.partner", []map[string]any{{"name": "Half-seeded"}}); err != nil {
						return err
					}
					return fail
				}})
			case "product":
				mods[i].Steps = append(mods[i].Steps, seed.Step{Name: "after", Run: func(ctx context.Context, env *orm.Env) error {
					later = true
					return nil
				}})
			}
		}
		ran, err := erp.Upgrade(ctx, tn.DB, tn.Reg, mods)
		var step *seed.StepError
		if !errors.As(err, &step) || !errors.Is(err, fail) || step.Module != "mail" || step.Step != 3 || step.Name != "broken" || ran != 0 {
			t.Fatalf("Upgrade = %d, %v; want step 3 of mail failing", ran, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "module mail") || !strings.Contains(msg, "step 3 (broken)") {
			t.Fatalf("error does not name module and step: %q", msg)
		}
		if later {
			t.Fatal("a step after the failed one ran")
		}
		if after := tableCounts(t, tn.DB); !maps.Equal(before, after) {
			t.Fatalf("the failed step left rows:\n before %v\n after  %v", before, after)
		}
		if lv := levels(t, tn.DB); lv["mail"] != 2 || lv["product"] != 3 {
			t.Fatalf("levels after the failure: %v", lv)
		}
		// The tenant still works: its administrator reads what the seeds protect.
		if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
			_, err := env.SearchCount(ctx, "mail.message", seed.Dom(), orm.SearchOptions{})
			return err
		}); err != nil {
			t.Fatalf("tenant after the failed step: %v", err)
		}
		// Repaired, the upgrade resumes at the failed step.
		for i := range mods {
			if mods[i].Name == "mail" {
				mods[i].Steps[2].Run = func(ctx context.Context, env *orm.Env) error { return nil }
			}
		}
		if ran, err := erp.Upgrade(ctx, tn.DB, tn.Reg, mods); err != nil || ran != 2 || !later {
			t.Fatalf("Upgrade after the repair = %d, %v (later step ran: %v)", ran, err, later)
		}
		if lv := levels(t, tn.DB); lv["mail"] != 3 || lv["product"] != 4 {
			t.Fatalf("levels after the repair: %v", lv)
		}
	})
}

// Two nodes opening the same tenant at once run each missing step once between
// them.
func TestUpgradeConcurrentRunsEachStepOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		before := tableCounts(t, tn.DB)
		exec(t, tn.DB, "DELETE FROM ir_module_module")
		var mu sync.Mutex
		runs := map[string]int{}
		mods := erp.Modules("")
		for i := range mods {
			for j := range mods[i].Steps {
				key, run := fmt.Sprintf("%s %d", mods[i].Name, j+1), mods[i].Steps[j].Run
				mods[i].Steps[j].Run = func(ctx context.Context, env *orm.Env) error {
					mu.Lock()
					runs[key]++
					mu.Unlock()
					return run(ctx, env)
				}
			}
		}
		var wg sync.WaitGroup
		ran := make([]int, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { ran[i], errs[i] = erp.Upgrade(context.Background(), tn.DB, tn.Reg, mods) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || ran[0]+ran[1] != totalSteps(mods) {
			t.Fatalf("Upgrade = %v, %v; want %d steps between them", ran, errs, totalSteps(mods))
		}
		for k, n := range runs {
			if n != 1 {
				t.Errorf("step %s ran %d times", k, n)
			}
		}
		if len(runs) != totalSteps(mods) {
			t.Errorf("%d steps ran, want %d", len(runs), totalSteps(mods))
		}
		if after := tableCounts(t, tn.DB); !maps.Equal(before, after) {
			t.Fatalf("counts changed:\n before %v\n after  %v", before, after)
		}
	})
}

// The fields of a model added after the tenant was created reach the field
// catalogue on upgrade, though the catalogue's step ran long before.
func TestUpgradeAddsNewModelsToFieldCatalogue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		tn := erptest.Install(t, e)
		before := tableCounts(t, tn.DB)
		exec(t, tn.DB, "DELETE FROM ir_model_fields WHERE model = 'mail.message'")
		if got := tableCounts(t, tn.DB)["ir_model_fields"]; got >= before["ir_model_fields"] {
			t.Fatalf("no field removed: %d", got)
		}
		if ran, err := erp.Upgrade(context.Background(), tn.DB, tn.Reg, erp.Modules("")); err != nil || ran != 0 {
			t.Fatalf("Upgrade = %d, %v", ran, err)
		}
		if after := tableCounts(t, tn.DB); !maps.Equal(before, after) {
			t.Fatalf("counts after the upgrade:\n before %v\n after  %v", before, after)
		}
	})
}
