package backup

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// The drill on a fresh machine: nothing but the replica site and the
// offline recovery identity; the platform's own key and catalogue are gone.
func TestDrillOnAFreshMachine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		ctx := context.Background()
		recovery, _ := archive.GenerateIdentity()
		e := newTestEnv(t, eng.Name)
		e.cfg.ExtraRecipients = []age.Recipient{recovery.Recipient()}
		e.svc = e.newService(e.cfg)
		e.createTenant("acme", 30)
		e.createTenant("globex", 5)
		for _, tn := range []string{"acme", "globex"} {
			if _, err := e.svc.Run(ctx, tn, archive.KindFull, nil); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Advance(3 * time.Hour)
		replica, err := site.Open(ctx, e.cfg.Sites[1])
		if err != nil {
			t.Fatal(err)
		}
		defer replica.Close()
		fresh := t.TempDir()
		cfg := DrillConfig{Site: replica, Identities: []age.Identity{recovery}, Scratch: filepath.Join(fresh, "scratch"),
			MaxRPO: 24 * time.Hour, Now: e.clock.Now, AdminURL: e.adminURL}
		report, err := Drill(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !report.OK || len(report.Tenants) != 2 || report.WorstRPO != 3*time.Hour || report.TotalRTO <= 0 {
			t.Fatalf("drill report %+v", report)
		}
		for _, tr := range report.Tenants {
			if !tr.OK || tr.Size == 0 || tr.RestoreTime <= 0 {
				t.Fatalf("tenant %+v", tr)
			}
		}
		if entries, _ := os.ReadDir(cfg.Scratch); len(entries) != 0 {
			t.Fatalf("scratch area not cleaned: %v", entries)
		}

		// Too old for the allowed RPO.
		cfg.MaxRPO = time.Hour
		if report, _ := Drill(ctx, cfg); report.OK || report.Tenants[0].OK {
			t.Fatalf("drill passed beyond --max-rpo: %+v", report)
		}
		// With the wrong key every tenant fails.
		cfg.MaxRPO = 0
		other, _ := archive.GenerateIdentity()
		cfg.Identities = []age.Identity{other}
		if report, _ := Drill(ctx, cfg); report.OK {
			t.Fatal("drill passed with a key that decrypts nothing")
		}
		// With the catalogue: a tenant whose newest verified backup is
		// missing from the site fails the drill.
		cfg.Identities = e.svc.Identities()
		exp, err := e.svc.DrillExpectations(ctx, "offsite")
		if err != nil || len(exp) != 2 {
			t.Fatalf("expectations %v %v", exp, err)
		}
		cfg.Expected = exp
		if report, _ := Drill(ctx, cfg); !report.OK {
			t.Fatalf("drill with expectations: %+v", report)
		}
		if err := replica.Delete(ctx, exp["globex"].ObjectKey); err != nil {
			t.Fatal(err)
		}
		report, _ = Drill(ctx, cfg)
		if report.OK || report.Tenants[1].OK || report.Tenants[1].Error == "" {
			t.Fatalf("drill passed with globex's backup missing: %+v", report)
		}
	})
}
