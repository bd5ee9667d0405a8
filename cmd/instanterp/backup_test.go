package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/backup/archive"
)

func TestBackupCommands(t *testing.T) {
	data := t.TempDir()
	local := "--backup-site=local@paris-1=file://" + filepath.Join(t.TempDir(), "local")
	offsite := "--backup-site=offsite@frankfurt-2=file://" + filepath.Join(t.TempDir(), "offsite")
	recovery, _ := archive.GenerateIdentity()
	keyFile := filepath.Join(t.TempDir(), "recovery.key")
	os.WriteFile(keyFile, []byte(recovery.String()+"\n"), 0o600)
	flags := []string{"--data=" + data, local, offsite, "--backup-recipient=" + recovery.Recipient().String()}
	cli := func(args ...string) (int, string, string) { return runCLI(append(args, flags...), nil) }

	if code, _, errs := cli("tenant", "create", "acme", "--admin-email", "a@acme.example"); code != 0 {
		t.Fatal(errs)
	}
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"backup"}, 2, "", "needs a subcommand"},
		{[]string{"backup", "--help"}, 0, "restore ID", ""},
		{[]string{"backup", "frob"}, 2, "", "unknown backup subcommand"},
		{[]string{"backup", "run", "--kind", "weekly"}, 2, "", "--kind"},
		{[]string{"backup", "run", "--tenant", "../x"}, 2, "", "invalid tenant name"},
		{[]string{"backup", "verify"}, 2, "", "exactly one backup id"},
		{[]string{"backup", "verify", "../../etc/passwd"}, 2, "", "not a backup id"},
		{[]string{"backup", "restore", "20260101-010101-db-00000000", "--as", "www"}, 2, "", "reserved"},
		{[]string{"backup", "export"}, 2, "", "--tenant"},
		{[]string{"backup", "status"}, 1, "no backup", "need attention"},
		{[]string{"backup", "run", "--tenant", "nosuch"}, 1, "", "no such tenant"},
		{[]string{"backup", "run", "--tenant", "acme", "--kind", "full"}, 0, "Backed up acme", ""},
		{[]string{"backup", "status"}, 0, "paris-1,frankfurt-2", ""},
		{[]string{"backup", "verify", "20260101-010101-db-00000000"}, 1, "", "no such backup"},
		{[]string{"backup", "prune"}, 0, "Pruned 0", ""},
		{[]string{"dr"}, 2, "", "needs a subcommand"},
		{[]string{"dr", "drill"}, 2, "", "--site"},
		{[]string{"dr", "drill", "--site", "nowhere"}, 2, "", "no --backup-site"},
		{[]string{"dr", "drill", "--site", "offsite"}, 0, "worst RPO", ""},
		{[]string{"dr", "drill", "--site", "offsite", "--identity", keyFile}, 0, "acme", ""},
		{[]string{"dr", "drill", "--site", "offsite", "--identity", "/nonexistent"}, 1, "", "--identity"},
		{[]string{"backup", "export", "--tenant", "acme", "--link"}, 0, "/backup/download/", ""},
	}
	for _, c := range cases {
		code, stdout, stderr := cli(c.args...)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("instanterp %s: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout ∋ %q, stderr ∋ %q",
				strings.Join(c.args, " "), code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}

	code, out, _ := cli("backup", "list", "--json")
	var list []struct {
		ID     string
		Tenant string
		Kind   string
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Kind != "full" {
		t.Fatalf("backup list --json: %d %s", code, out)
	}
	if code, out, errs := cli("backup", "verify", list[0].ID, "--site", "local"); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli("backup", "restore", list[0].ID, "--as", "acme-copy"); code != 0 || !strings.Contains(out, "acme-copy") {
		t.Fatalf("restore --as: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli("backup", "restore", list[0].ID); code != 0 || !strings.Contains(out, "safety backup") {
		t.Fatalf("restore in place: %d %s %s", code, out, errs)
	}
	// On a fresh machine: a new data directory, only the replica site and
	// the recovery key.
	fresh := []string{"dr", "drill", "--site", "offsite", "--data=" + t.TempDir(), offsite, "--identity", keyFile, "--max-rpo", "1h", "--json"}
	code, out, errs := runCLI(fresh, nil)
	var report struct {
		OK      bool
		Tenants []struct{ Tenant string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &report) != nil || !report.OK || len(report.Tenants) != 1 {
		t.Fatalf("drill on a fresh machine: %d %s %s", code, out, errs)
	}
}
