package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, groups Group, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := NewFlagSet("test", groups, io.Discard)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, Common|Server, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(wd, "instanterp-data")
	if c.DataDir != data || c.Listen != ":8443" || c.Domain != "localhost" ||
		c.DatabaseURL != "" || c.MasterKeyFile != filepath.Join(data, "master.key") ||
		c.MaxOpenTenants != 256 || c.MaxBodyBytes != 16<<20 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "instanterp.conf")
	os.WriteFile(file, []byte("# comment\ndomain = file.example\nlisten = 127.0.0.1:1\ntrusted-proxy = 10.0.0.0/8\n"), 0o600)
	secret := filepath.Join(dir, "dburl")
	os.WriteFile(secret, []byte("postgres://u:pw@db:5432/control\n"), 0o600)

	c, err := load(t, Common|Server, []string{"--config", file, "--listen", "127.0.0.1:2"}, map[string]string{
		"INSTANTERP_DOMAIN":            "env.example",
		"INSTANTERP_DATABASE_URL_FILE": secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:2" {
		t.Errorf("flag should beat file: listen = %q", c.Listen)
	}
	if c.Domain != "env.example" {
		t.Errorf("env should beat file: domain = %q", c.Domain)
	}
	if c.DatabaseURL != "postgres://u:pw@db:5432/control" {
		t.Errorf("_FILE: database url = %q", c.DatabaseURL)
	}
	if len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Errorf("file: trusted proxies = %v", c.TrustedProxies)
	}
}

func TestBadSettings(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--listen", "8443"}, nil, "--listen"},
		{[]string{"--listen", "host:"}, nil, "--listen"},
		{[]string{"--http-listen", "nope"}, nil, "--http-listen"},
		{[]string{"--database-url", "mysql://x/y"}, nil, "--database-url"},
		{[]string{"--database-url", "postgres:///x"}, nil, "--database-url"},
		{[]string{"--domain", "bad_domain"}, nil, "--domain"},
		{[]string{"--domain", "-x.example"}, nil, "--domain"},
		{[]string{"--log-format", "xml"}, nil, "--log-format"},
		{[]string{"--log-level", "loud"}, nil, "--log-level"},
		{[]string{"--tls-cert", "c.pem"}, nil, "--tls-cert"},
		{[]string{"--plain-http"}, nil, "--plain-http"},
		{[]string{"--trusted-proxy", "10.0.0.1/99"}, nil, "--trusted-proxy"},
		{[]string{"--max-open-tenants", "0"}, nil, "--max-open-tenants"},
		{[]string{"--max-body-bytes", "-5"}, nil, "--max-body-bytes"},
		{[]string{"--shutdown-grace", "soon"}, nil, "--shutdown-grace"},
		{[]string{"--data", ""}, nil, "--data"},
		{[]string{"--public-port", "0"}, nil, "--public-port"},
		{[]string{"--public-port", "https"}, nil, "--public-port"},
		{nil, map[string]string{"INSTANTERP_LISTEN": "nope"}, "--listen"},
		{nil, map[string]string{"INSTANTERP_DATABASE_URL_FILE": "/nonexistent/file"}, "INSTANTERP_DATABASE_URL_FILE"},
		{[]string{"--config", "/nonexistent/conf"}, nil, "--config"},
	}
	for _, c := range cases {
		_, err := load(t, Common|Server, c.args, c.env)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: error %v, want a usage error naming %s", c.args, c.env, err, c.want)
		}
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"nosuchsetting = 1\n", "just words\n", "= value\n"} {
		file := filepath.Join(dir, "c.conf")
		os.WriteFile(file, []byte(content), 0o600)
		_, err := load(t, Common|Server, []string{"--config", file}, nil)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "c.conf:1") {
			t.Errorf("file %q: %v, want an error naming the line", content, err)
		}
	}
}

func TestCommonGroupRefusesServerFlags(t *testing.T) {
	if _, err := load(t, Common, []string{"--listen", ":1"}, nil); err == nil {
		t.Fatal("a non-server command accepted --listen")
	}
	c, err := load(t, Common, nil, map[string]string{"INSTANTERP_LISTEN": "garbage"})
	if err != nil {
		t.Fatalf("server settings in the environment must not break other commands: %v", err)
	}
	if c.Listen != "" {
		t.Fatalf("listen %q set for a non-server command", c.Listen)
	}
}

func TestBackupSettings(t *testing.T) {
	data := t.TempDir()
	c, err := load(t, Common, []string{"--data", data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.BackupSites) != 1 || c.BackupSites[0].File.Dir != filepath.Join(data, "backups") ||
		c.BackupDaily != 7 || c.BackupWeekly != 4 || c.BackupWindow.Start != time.Hour || c.BackupWindow.Length != 4*time.Hour {
		t.Fatalf("backup defaults: %+v", c)
	}
	c, err = load(t, Common, []string{
		"--backup-site", "local@paris-1=file:///var/backups/ie",
		"--backup-site", "offsite@frankfurt-2=s3://ie-backups/ie?endpoint=http://127.0.0.1:7070&path_style=true",
		"--backup-recipient", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
		"--backup-window", "23:30-02:30",
	}, map[string]string{"INSTANTERP_S3_ACCESS_KEY": "k", "INSTANTERP_S3_SECRET_KEY": "s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.BackupSites) != 2 || c.BackupSites[1].S3.Bucket != "ie-backups" || len(c.BackupRecipients) != 1 ||
		c.BackupWindow.Start != 23*time.Hour+30*time.Minute || c.BackupWindow.Length != 3*time.Hour {
		t.Fatalf("backup settings: %+v", c)
	}
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--backup-site", "nonsense"}, "--backup-site"},
		{[]string{"--backup-site", "a@dc=file:///x", "--backup-site", "a@dc2=file:///y"}, "given twice"},
		{[]string{"--backup-site", "s@dc=s3://bucket?endpoint=https://s3.example.com"}, "INSTANTERP_S3_ACCESS_KEY"},
		{[]string{"--backup-site", "s@dc=sftp://u@h/dir"}, "--backup-site"},
		{[]string{"--backup-recipient", "AGE-SECRET-KEY-1XXXX"}, "secret key"},
		{[]string{"--backup-recipient", "age1nope"}, "--backup-recipient"},
		{[]string{"--backup-keep-daily", "0"}, "--backup-keep-daily"},
		{[]string{"--backup-keep-weekly", "x"}, "--backup-keep-weekly"},
		{[]string{"--backup-window", "01:00-01:00"}, "empty"},
		{[]string{"--backup-window", "1-5"}, "--backup-window"},
		{[]string{"--backup-window", "25:00-01:00"}, "--backup-window"},
		{[]string{"--pg-bin-dir", "relative/bin"}, "--pg-bin-dir"},
	}
	for _, b := range bad {
		_, err := load(t, Common, b.args, nil)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v: %v, want a usage error naming %s", b.args, err, b.want)
		}
	}
}

func TestTenantURL(t *testing.T) {
	c, err := load(t, Common, []string{"--domain", "erp.example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TenantURL("acme"); got != "https://acme.erp.example.com:8443/" {
		t.Errorf("default port: %s", got)
	}
	c, _ = load(t, Common, []string{"--domain", "erp.example.com", "--public-port", "443"}, nil)
	if got := c.TenantURL("acme"); got != "https://acme.erp.example.com/" {
		t.Errorf("port 443: %s", got)
	}
}
