package backup

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
)

// The output of a running tool ends as io.EOF only if the tool succeeded;
// a tool that fails after writing reads as its error, with what it said.
func TestPGOutputEndsWithTheToolsOutcome(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, script string
		wantErr      string
	}{
		{"success", "printf 'dump bytes'", ""},
		{"failure after output", "printf 'dump bytes'; echo 'pg_dump: error: connection lost' >&2; exit 1", "connection lost"},
		{"failure without a message", "printf 'dump bytes'; exit 3", "exit status 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := startPG(ctx, "/bin/sh", "secret", "-c", tc.script)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			data, err := io.ReadAll(out)
			if string(data) != "dump bytes" {
				t.Fatalf("read %q", data)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("end of output: %v, want %q", err, tc.wantErr)
			}
		})
	}
	// Closed before its end, the tool is stopped and reaped.
	out, err := startPG(ctx, "/bin/sh", "", "-c", "printf x; exec sleep 600")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if out.cmd.ProcessState == nil {
		t.Fatal("the tool still runs after Close")
	}
}

// A PostgreSQL backup streams pg_dump's output into the object; a pg_dump
// that fails part-way fails the backup with its message, and leaves no
// catalogue entry, no object on any site and nothing in the outbox.
func TestPostgresDumpFailingMidStream(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.Postgres)
	e.createTenant("acme", 500)
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Skip("pg_dump not installed")
	}
	bin := t.TempDir()
	script := "#!/bin/sh\n" +
		"case \"$1\" in --version) exec " + pgDump + " --version;; esac\n" +
		pgDump + " \"$@\" | head -c 20000\n" +
		"echo 'pg_dump: error: the server went away' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "pg_dump"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e.svc.cfg.PGBinDir = bin
	_, err = e.svc.Run(ctx, "acme", archive.KindDB, nil)
	if err == nil || !strings.Contains(err.Error(), "the server went away") || IsReplicationError(err) {
		t.Fatalf("backup with a failing pg_dump: %v", err)
	}
	e.assertNothingLeft(t)

	// With the real pg_dump again, the streamed dump restores.
	e.svc.cfg.PGBinDir = ""
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	if err != nil || !rec.Verified() {
		t.Fatalf("backup with pg_dump: %+v, %v", rec, err)
	}
}

// The test restore of a PostgreSQL backup runs pg_restore on the dump as the
// object is written; a pg_restore that fails, even before reading a byte,
// leaves the backup catalogued and on its sites but not verified, with
// pg_restore's message.
func TestPostgresTestRestoreFailing(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.Postgres)
	e.createTenant("acme", 200)
	bin := t.TempDir()
	for _, tool := range []string{"pg_dump", "psql"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skip(tool + " not installed")
		}
		if err := os.Symlink(path, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	pgRestore, err := exec.LookPath("pg_restore")
	if err != nil {
		t.Skip("pg_restore not installed")
	}
	// failingRestore is a pg_restore that reads the first bytes of its
	// input, then fails.
	failingRestore := func(read int) {
		script := "#!/bin/sh\n" +
			"case \"$1\" in --version) exec " + pgRestore + " --version;; esac\n" +
			"head -c " + strconv.Itoa(read) + " >/dev/null\n" +
			"echo 'pg_restore: error: out of memory' >&2\nexit 1\n"
		if err := os.WriteFile(filepath.Join(bin, "pg_restore"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	failingRestore(0)
	e.svc.cfg.PGBinDir = bin
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	if err != nil {
		t.Fatalf("a backup whose test restore fails is still a backup: %v", err)
	}
	if rec.Verified() || !strings.Contains(rec.VerifyError, "out of memory") || !rec.VerifiedOn("local") {
		t.Fatalf("after the run: %+v", rec)
	}

	// Verify and the drill feed pg_restore from the stored object too; one
	// that gives up part-way through the dump fails them with its message.
	failingRestore(4096)
	if _, err := e.svc.Verify(ctx, rec.ID, "local"); err == nil || !strings.Contains(err.Error(), "out of memory") {
		t.Fatalf("verify with a failing pg_restore: %v", err)
	}
	st, err := e.svc.OpenSite(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	drill := DrillConfig{Site: st, Identities: e.svc.Identities(), Scratch: t.TempDir(), Now: e.clock.Now, AdminURL: e.adminURL, PGBinDir: bin}
	if report, err := Drill(ctx, drill); err != nil || report.OK || !strings.Contains(report.Tenants[0].Error, "out of memory") {
		t.Fatalf("drill with a failing pg_restore: %+v, %v", report, err)
	}

	// With the real pg_restore, the same object verifies and drills.
	e.svc.cfg.PGBinDir, drill.PGBinDir = "", ""
	if rec, err = e.svc.Verify(ctx, rec.ID, "local"); err != nil || !rec.Verified() {
		t.Fatalf("verify with pg_restore: %+v, %v", rec, err)
	}
	if report, err := Drill(ctx, drill); err != nil || !report.OK {
		t.Fatalf("drill with pg_restore: %+v, %v", report, err)
	}
}
