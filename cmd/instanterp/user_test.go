package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/identity"
)

const adminPassword = "violet harbour lantern 1987"

func runCLIWithInput(args []string, stdin string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := runWithInput(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, func(string) (string, bool) { return "", false })
	return code, stdout.String(), stderr.String()
}

// tenantIdentity opens the identity service of a tenant created by the CLI.
func tenantIdentity(t *testing.T, data, tenant string) *identity.Service {
	t.Helper()
	fs := config.NewFlagSet("test", config.Common, os.Stderr)
	if err := fs.Parse([]string{"--data=" + data}); err != nil {
		t.Fatal(err)
	}
	cfg, err := fs.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	p, err := app.Open(context.Background(), cfg, app.NewLogger(cfg, os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	svc, closeTenant, err := openIdentity(context.Background(), p, tenant)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeTenant)
	return svc
}

func printedLink(t *testing.T, stdout, path string) (uid, tok string) {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(line, "https://") {
			continue
		}
		u, err := url.Parse(line)
		if err != nil || u.Host != "acme.localhost:8443" || u.Path != path {
			t.Fatalf("printed link %q, want https://acme.localhost:8443%s?…", line, path)
		}
		return u.Query().Get("uid"), u.Query().Get("token")
	}
	t.Fatalf("no link printed in %q", stdout)
	return "", ""
}

func assertNoSecretPrinted(t *testing.T, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		if strings.Contains(out, adminPassword) || strings.Contains(out, "$pbkdf2") {
			t.Fatalf("output holds a password or hash: %q", out)
		}
	}
}

func TestTenantCreatePrintsSetPasswordLink(t *testing.T) {
	data := t.TempDir()
	d := "--data=" + data
	code, stdout, stderr := runCLI([]string{"tenant", "create", "acme", "--admin-email", "boss@example.com", d}, nil)
	if code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	assertNoSecretPrinted(t, stdout, stderr)
	uid, tok := printedLink(t, stdout, identity.InvitationPath)
	svc := tenantIdentity(t, data, "acme")
	ctx := context.Background()
	u, err := svc.CheckLink(ctx, identity.InvitationLink, uid, tok)
	if err != nil || u.Login != "boss@example.com" || u.HasPassword {
		t.Fatalf("printed link: %+v, %v", u, err)
	}
	if _, err := svc.SetPasswordWithLink(ctx, identity.InvitationLink, uid, tok, adminPassword, identity.Origin{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CheckLink(ctx, identity.InvitationLink, uid, tok); err == nil {
		t.Fatal("the set-password link works twice")
	}

	// A reset link for the administrator, printed; then one mailed to the outbox.
	code, stdout, stderr = runCLI([]string{"user", "reset-password", "--tenant", "acme", "BOSS@example.com", d}, nil)
	if code != 0 {
		t.Fatalf("reset-password: %d %s", code, stderr)
	}
	assertNoSecretPrinted(t, stdout, stderr)
	uid, tok = printedLink(t, stdout, identity.ResetPath)
	if _, err := svc.CheckLink(ctx, identity.ResetLink, uid, tok); err != nil {
		t.Fatalf("printed reset link: %v", err)
	}
	code, stdout, stderr = runCLI([]string{"user", "reset-password", "--tenant", "acme", "boss@example.com", "--mail", d}, nil)
	if code != 0 || strings.Contains(stdout, "https://") || !strings.Contains(stdout, "Mailed") {
		t.Fatalf("reset-password --mail: %d %q %s", code, stdout, stderr)
	}
	entries, err := os.ReadDir(filepath.Join(data, "outbox"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %v %v", entries, err)
	}
	eml, _ := os.ReadFile(filepath.Join(data, "outbox", entries[0].Name()))
	if !strings.Contains(string(eml), "acme.localhost:8443/web/reset_password") || !strings.Contains(string(eml), "boss@example.com") {
		t.Fatalf("mailed reset link missing:\n%s", eml)
	}
	assertNoSecretPrinted(t, string(eml))
}

func TestTenantCreateWithPasswordFile(t *testing.T) {
	data := t.TempDir()
	d := "--data=" + data
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A refused password changes nothing: no tenant is created.
	code, stdout, stderr := runCLI([]string{"tenant", "create", "acme", "--admin-email", "boss@example.com", "--admin-password-file", pwFile, d}, nil)
	if code != 2 || !strings.Contains(stderr, "commonly used") {
		t.Fatalf("weak password: %d %s %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "tenants", "acme")); err == nil {
		t.Fatal("a tenant was created although its password was refused")
	}
	code, _, stderr = runCLIWithInput([]string{"tenant", "create", "acme", "--admin-email", "boss@example.com", "--admin-password-file", "-", d}, "")
	if code != 2 || !strings.Contains(stderr, "empty") {
		t.Fatalf("empty standard input: %d %s", code, stderr)
	}
	code, _, stderr = runCLI([]string{"tenant", "create", "acme", "--admin-email", "boss@example.com", "--admin-password-file", filepath.Join(data, "absent"), d}, nil)
	if code != 2 {
		t.Fatalf("missing file: %d %s", code, stderr)
	}

	code, stdout, stderr = runCLIWithInput([]string{"tenant", "create", "acme", "--admin-email", "boss@example.com", "--admin-password-file", "-", d}, adminPassword+"\n")
	if code != 0 {
		t.Fatalf("create with password: %d %s", code, stderr)
	}
	if strings.Contains(stdout, "/web/") {
		t.Fatalf("a set-password link was printed although the password was given: %s", stdout)
	}
	assertNoSecretPrinted(t, stdout, stderr)
	svc := tenantIdentity(t, data, "acme")
	acct, err := svc.Accounts().AccountByLogin(context.Background(), "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	h, err := password.NewHasher(0)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := h.Verify(adminPassword, acct.PasswordHash); !ok {
		t.Fatal("the administrator's password was not set from standard input")
	}
}

func TestUserCommandErrors(t *testing.T) {
	data := t.TempDir()
	d := "--data=" + data
	if code, _, stderr := runCLI([]string{"tenant", "create", "acme", "--admin-email", "boss@example.com", d}, nil); code != 0 {
		t.Fatalf("create: %s", stderr)
	}
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"user"}, 2, "needs a subcommand"},
		{[]string{"user", "chpasswd", d}, 2, "unknown user subcommand"},
		{[]string{"user", "reset-password", "boss@example.com", d}, 2, "--tenant"},
		{[]string{"user", "reset-password", "--tenant", "acme", d}, 2, "exactly one login"},
		{[]string{"user", "reset-password", "--tenant", "acme", "a", "b", d}, 2, "exactly one login"},
		{[]string{"user", "reset-password", "--tenant", "nosuch", "boss@example.com", d}, 1, "no such tenant"},
		{[]string{"user", "reset-password", "--tenant", "acme", "nobody@example.com", d}, 1, "no user with login"},
		{[]string{"user", "reset-password", "--tenant", "acme", "boss@example.com", "--password", "x", d}, 2, "flag provided but not defined"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCLI(c.args, nil)
		if code != c.code || !strings.Contains(stderr, c.stderr) || strings.Contains(stdout, "https://") {
			t.Errorf("instanterp %s: exit %d, stdout %q, stderr %q; want exit %d, stderr ∋ %q", strings.Join(c.args, " "), code, stdout, stderr, c.code, c.stderr)
		}
	}
	if code, _, _ := runCLI([]string{"tenant", "suspend", "acme", d}, nil); code != 0 {
		t.Fatal("suspend failed")
	}
	if code, _, stderr := runCLI([]string{"user", "reset-password", "--tenant", "acme", "boss@example.com", d}, nil); code != 1 || !strings.Contains(stderr, "suspended") {
		t.Fatalf("link for a suspended tenant: %d %s", code, stderr)
	}
}
