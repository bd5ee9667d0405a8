package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestCheckSites(t *testing.T) {
	dir := t.TempDir()
	paris := fileSpec(t, "local", "paris-1", filepath.Join(dir, "a"))
	paris2 := fileSpec(t, "second", "paris-1", filepath.Join(dir, "b"))
	frankfurt := fileSpec(t, "offsite", "frankfurt-2", filepath.Join(dir, "c"))
	down := func(ctx context.Context, spec site.Spec) (site.Site, error) {
		if spec.Name == "offsite" {
			return nil, errors.New("dial tcp 203.0.113.7:22: connection refused")
		}
		return site.Open(ctx, spec)
	}
	tests := []struct {
		name  string
		specs []site.Spec
		open  func(context.Context, site.Spec) (site.Site, error)
		want  []string // one substring per expected problem
	}{
		{"two data centres, all reachable", []site.Spec{paris, frankfurt}, site.Open, nil},
		{"no site at all", nil, site.Open, []string{"0 data centre"}},
		{"two sites in one data centre", []site.Spec{paris, paris2}, site.Open, []string{"1 data centre"}},
		{"a site down", []site.Spec{paris, frankfurt}, down, []string{"site offsite (frankfurt-2) is not reachable: dial tcp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckSites(context.Background(), tt.specs, tt.open)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Fatalf("problem %q does not mention %q", got[i], w)
				}
			}
		})
	}
}

func TestDiagnoseBackups(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 3)
	e.createTenant("globex", 3)
	if _, err := e.svc.Run(ctx, "acme", archive.KindDB, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Diagnose(ctx, MaxBackupAge)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "tenant globex: no backup" {
		t.Fatalf("problems %q, want only globex without backup", got)
	}
	if _, err := e.svc.Run(ctx, "globex", archive.KindDB, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Diagnose(ctx, MaxBackupAge); len(got) != 0 {
		t.Fatalf("problems with fresh backups on two data centres: %q", got)
	}
	e.clock.Advance(37 * time.Hour)
	got, _ = e.svc.Diagnose(ctx, MaxBackupAge)
	if len(got) != 2 || !strings.Contains(got[0], "tenant acme: newest backup") || !strings.Contains(got[0], "37h0m0s old, more than 36h0m0s") {
		t.Fatalf("problems after 37 hours: %q", got)
	}
	// A backup that reached only one data centre.
	e.clock.Advance(-37*time.Hour + time.Minute)
	cfg := e.cfg
	cfg.OpenSite = func(ctx context.Context, spec site.Spec) (site.Site, error) {
		if spec.Name == "offsite" {
			return nil, site.ErrUnavailable
		}
		return site.Open(ctx, spec)
	}
	if _, err := e.newService(cfg).Run(ctx, "acme", archive.KindDB, nil); !IsReplicationError(err) {
		t.Fatal(err)
	}
	got, _ = e.svc.Diagnose(ctx, MaxBackupAge)
	if len(got) != 1 || !strings.Contains(got[0], "tenant acme: newest backup not on two data centres (verified on 1: [paris-1])") {
		t.Fatalf("problems with one data centre: %q", got)
	}
}

// On PostgreSQL a client tool of another major version than the server
// is a problem, named with the version to install.
func TestDiagnosePGToolVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		if eng.Name != store.Postgres {
			t.Skip("PostgreSQL only")
		}
		e := newTestEnv(t, store.Postgres)
		bin := t.TempDir()
		for _, tool := range []string{"pg_dump", "pg_restore", "psql"} {
			script := "#!/bin/sh\necho '" + tool + " (PostgreSQL) 99.1'\n"
			if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cfg := e.cfg
		cfg.PGBinDir = bin
		got, err := e.newService(cfg).Diagnose(context.Background(), MaxBackupAge)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || !strings.Contains(got[0], "pg_dump is version 99 but the server is PostgreSQL") {
			t.Fatalf("problems %q", got)
		}
		if got, _ := e.svc.Diagnose(context.Background(), MaxBackupAge); len(got) != 0 {
			t.Fatalf("problems with the machine's own tools: %q", got)
		}
	})
}
