package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDoctor(t *testing.T) {
	data := t.TempDir()
	keyFile := filepath.Join(data, "master.key")
	local := "--backup-site=local@paris-1=file://" + filepath.Join(t.TempDir(), "local")
	offsite := "--backup-site=offsite@frankfurt-2=file://" + filepath.Join(t.TempDir(), "offsite")
	cli := func(args ...string) (int, string, string) {
		return runCLI(append(args, "--data="+data), nil)
	}

	// A directory that was never initialised: one data centre (the embedded
	// default site) and no master key; doctor creates none.
	code, out, errs := cli("doctor")
	if code != 1 || !strings.Contains(out, "backups stay in 1 data centre(s)") || !strings.Contains(out, "does not exist") ||
		!strings.Contains(errs, "doctor found 2 problem(s)") {
		t.Fatalf("doctor on an empty directory: %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("doctor created a master key")
	}

	if code, _, errs := cli("tenant", "create", "acme", "--admin-email", "a@acme.example"); code != 0 {
		t.Fatal(errs)
	}
	code, out, _ = cli("doctor", local, offsite)
	if code != 1 || strings.TrimSpace(out) != "tenant acme: no backup" {
		t.Fatalf("doctor before any backup: %d\n%s", code, out)
	}
	if code, _, errs := cli("backup", "run", local, offsite); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs = cli("doctor", local, offsite)
	if code != 0 || strings.TrimSpace(out) != "No problems found." {
		t.Fatalf("doctor with a fresh backup on two data centres: %d\n%s%s", code, out, errs)
	}

	tests := []struct {
		name  string
		setup func()
		args  []string
		want  string
	}{
		{"master key readable by others", func() { os.Chmod(keyFile, 0o644) }, []string{local, offsite}, "chmod 600"},
		{"site not reachable", func() { os.Chmod(keyFile, 0o600) }, []string{local, "--backup-site=gone@frankfurt-2=file:///proc/no/such/dir"},
			"backup site gone (frankfurt-2) is not reachable"},
		{"backup on one data centre only", nil, []string{local}, "backups stay in 1 data centre(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			code, out, _ := cli(append([]string{"doctor"}, tt.args...)...)
			if code != 1 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, output:\n%s\nwant a line with %q", code, out, tt.want)
			}
			for line := range strings.Lines(out) {
				if strings.TrimSpace(line) == "" {
					t.Fatalf("blank line in the problem list:\n%s", out)
				}
			}
		})
	}
	if code, _, _ := cli("doctor", "stray", local, offsite); code != 2 {
		t.Fatalf("doctor with an argument: exit %d, want 2", code)
	}
}
