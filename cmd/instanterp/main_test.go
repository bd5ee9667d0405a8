package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestCommands(t *testing.T) {
	data := t.TempDir()
	otherKey := filepath.Join(t.TempDir(), "other.key")
	if _, err := secrets.Create(otherKey); err != nil {
		t.Fatal(err)
	}
	d := "--data=" + data
	cases := []struct {
		args   []string
		env    map[string]string
		code   int
		stdout string // substring
		stderr string // substring of the one error line
	}{
		{args: nil, code: 2, stdout: "Usage"},
		{args: []string{"--help"}, code: 0, stdout: "Commands:"},
		{args: []string{"bogus"}, code: 2, stderr: `unknown command "bogus"`},
		{args: []string{"version"}, code: 0, stdout: "instanterp "},
		{args: []string{"version", "extra"}, code: 2, stderr: "no arguments"},
		{args: []string{"tenant"}, code: 2, stderr: "needs a subcommand"},
		{args: []string{"tenant", "--help"}, code: 0, stdout: "create NAME"},
		{args: []string{"tenant", "frobnicate"}, code: 2, stderr: "unknown tenant subcommand"},
		{args: []string{"tenant", "create", d, "--admin-email", "a@example.com"}, code: 2, stderr: "exactly one tenant name"},
		{args: []string{"tenant", "create", "acme", d}, code: 2, stderr: "--admin-email"},
		{args: []string{"tenant", "create", "../evil", "--admin-email", "a@example.com", d}, code: 2, stderr: "invalid tenant name"},
		{args: []string{"tenant", "create", "www", "--admin-email", "a@example.com", d}, code: 2, stderr: "reserved"},
		{args: []string{"tenant", "create", "acme", "--admin-email", "not-an-email", d}, code: 1, stderr: "invalid admin email"},
		{args: []string{"tenant", "create", "acme", "--admin-email", "a@example.com", "--bogus", d}, code: 2, stderr: "flag provided but not defined"},
		{args: []string{"tenant", "list", d, "--log-format", "yaml"}, code: 2, stderr: "--log-format"},
		{args: []string{"tenant", "create", "acme", "--admin-email", "a@example.com", d}, code: 0, stdout: "Created tenant acme (sqlite)"},
		{args: []string{"tenant", "create", "acme", "--admin-email", "a@example.com", d}, code: 1, stderr: "already exists"},
		{args: []string{"tenant", "show", "acme", d}, code: 0, stdout: "state:     active"},
		{args: []string{"tenant", "show", "nosuch", d}, code: 1, stderr: "no such tenant"},
		{args: []string{"tenant", "suspend", "acme", d}, code: 0, stdout: "Suspended"},
		{args: []string{"tenant", "suspend", "acme", d}, code: 1, stderr: "is suspended"},
		{args: []string{"tenant", "resume", "acme", d}, code: 0, stdout: "Resumed"},
		{args: []string{"tenant", "list", d}, env: map[string]string{"INSTANTERP_MASTER_KEY_FILE": otherKey}, code: 1, stderr: "master key does not match"},
		{args: []string{"tenant", "delete", "acme", d}, code: 2, stderr: "--yes"},
		{args: []string{"serve", d, "--listen", "nonsense"}, code: 2, stderr: "invalid --listen"},
		{args: []string{"serve", d, "--plain-http"}, code: 2, stderr: "--trusted-proxy"},
		{args: []string{"serve", d, "stray"}, code: 2, stderr: "no arguments"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCLI(c.args, c.env)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("instanterp %s: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout ∋ %q, stderr ∋ %q",
				strings.Join(c.args, " "), code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
		if code != 0 && strings.Count(strings.TrimSpace(stderr), "\n") > 0 && c.stderr != "needs a subcommand" &&
			!strings.Contains(stderr, "flag provided") {
			t.Errorf("instanterp %s: error is not one line: %q", strings.Join(c.args, " "), stderr)
		}
	}

	// Refused names left nothing behind.
	entries, _ := os.ReadDir(filepath.Join(data, "tenants"))
	if len(entries) != 1 || entries[0].Name() != "acme" {
		t.Fatalf("tenant directories: %v", entries)
	}

	code, stdout, _ := runCLI([]string{"tenant", "list", "--json", d}, nil)
	var list []struct{ Name, State, Engine string }
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 1 || list[0].Name != "acme" || list[0].Engine != "sqlite" {
		t.Fatalf("tenant list --json: %d %s", code, stdout)
	}
	if strings.Contains(stdout, "credentials") {
		t.Fatal("tenant list --json shows credentials")
	}
	if code, _, stderr := runCLI([]string{"tenant", "delete", "acme", "--yes", d}, nil); code != 0 {
		t.Fatalf("delete: %d %s", code, stderr)
	}
	if code, stdout, _ := runCLI([]string{"tenant", "list", "--json", d}, nil); code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Fatalf("list after delete: %d %s", code, stdout)
	}
}

func runCLI(args []string, env map[string]string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := run(context.Background(), args, &stdout, &stderr, lookup)
	return code, stdout.String(), stderr.String()
}

func TestTenantCommandsOnPostgres(t *testing.T) {
	url := storetest.NewPostgresDatabase(t)
	flags := []string{"--data=" + t.TempDir(), "--database-url=" + url}
	cli := func(args ...string) (int, string, string) { return runCLI(append(args, flags...), nil) }
	if code, out, errs := cli("tenant", "create", "acme", "--admin-email", "a@example.com"); code != 0 || !strings.Contains(out, "(postgres)") {
		t.Fatalf("create: %d %s %s", code, out, errs)
	}
	t.Cleanup(func() { cli("tenant", "delete", "acme", "--yes") })
	code, out, _ := cli("tenant", "list", "--json")
	var list []struct{ Name, Engine, Location string }
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Engine != "postgres" {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, _, errs := cli("tenant", "create", "../x", "--admin-email", "a@example.com"); code != 2 || !strings.Contains(errs, "invalid tenant name") {
		t.Fatalf("bad name on postgres: %d %s", code, errs)
	}
	if code, _, errs := cli("tenant", "delete", "acme", "--yes"); code != 0 {
		t.Fatalf("delete: %d %s", code, errs)
	}
	if code, out, _ := cli("tenant", "list", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("list after delete: %s", out)
	}
}
