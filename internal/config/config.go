// Package config reads the platform's settings from flags, INSTANTERP_* environment
// variables and an optional file, in that order of precedence, and validates them.
//
// Every setting NAME can be given as --NAME, as INSTANTERP_NAME (upper case, '-' → '_'),
// as INSTANTERP_NAME_FILE naming a file that holds the value (for secrets kept by a
// secrets manager), or as "NAME = value" in the file given by --config.
package config

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/mail"
)

// Config is the validated configuration.
type Config struct {
	DataDir        string
	DatabaseURL    string
	MasterKeyFile  string
	Domain         string
	PublicPort     int
	LogFormat      string
	LogLevel       slog.Level
	Listen         string
	HTTPListen     string
	TLSCert        string
	TLSKey         string
	ACMEEmail      string
	PlainHTTP      bool
	TrustedProxies []netip.Prefix
	MaxOpenTenants int
	MaxBodyBytes   int64
	ShutdownGrace  time.Duration

	// Backups (see docs/backups.md).
	BackupSites      []site.Spec // at least one; <data>/backups when none is given
	BackupRecipients []string    // extra age recipients, validated
	BackupDaily      int         // database backups kept per tenant and site
	BackupWeekly     int         // full backups kept per tenant and site
	BackupWindow     Window      // when nightly backups start (UTC)
	PGBinDir         string      // where pg_dump, pg_restore and psql are

	// Mail (see internal/mail): SMTP when SMTPURL is set, else files in <data>/outbox.
	SMTPURL      string // smtp://user@host:port or smtps://…, validated, never holding a password
	SMTPPassword string // from INSTANTERP_SMTP_PASSWORD or INSTANTERP_SMTP_PASSWORD_FILE only
	MailFrom     string // sender address of the platform's mail
}

// Window is a daily time range in UTC, such as 01:00-05:00; it may wrap
// past midnight.
type Window struct {
	Start, Length time.Duration // since midnight; Length > 0
}

// Group selects which settings a command accepts.
type Group int

const (
	// Common settings: where data lives and how to log. Every command takes them.
	Common Group = 1 << iota
	// Server settings: listening, TLS, proxies, limits. Only serve takes them.
	Server
)

type setting struct {
	name, help, def string
	group           Group
	boolean         bool
	repeated        bool
}

var settings = []setting{
	{name: "data", def: "./instanterp-data", group: Common, help: "data directory (SQLite databases, keys, certificates)"},
	{name: "database-url", group: Common, help: "postgres://… to keep the control and tenant databases in PostgreSQL (empty: embedded SQLite)"},
	{name: "master-key-file", group: Common, help: "file holding the 32-byte master key (default: <data>/master.key)"},
	{name: "domain", def: "localhost", group: Common, help: "domain of the platform; tenants are served at <tenant>.<domain>"},
	{name: "public-port", def: "8443", group: Common, help: "HTTPS port users reach the platform on, for links the CLI prints and mails (443: none shown)"},
	{name: "log-format", def: "text", group: Common, help: "log format: text or json"},
	{name: "log-level", def: "info", group: Common, help: "log level: debug, info, warn or error"},
	{name: "backup-site", repeated: true, group: Common, help: "backup site NAME@DC=URL with URL file:///dir, sftp://user@host/dir?key=…&known_hosts=… or s3://bucket/prefix?endpoint=… (repeatable; default: local@local=file://<data>/backups)"},
	{name: "backup-recipient", repeated: true, group: Common, help: "extra age public key (age1…) every backup is also encrypted to, such as an offline recovery key (repeatable)"},
	{name: "backup-keep-daily", def: "7", group: Common, help: "database backups kept per tenant on each site"},
	{name: "backup-keep-weekly", def: "4", group: Common, help: "full backups kept per tenant on each site"},
	{name: "backup-window", def: "01:00-05:00", group: Common, help: "UTC time range over which nightly backups are spread"},
	{name: "pg-bin-dir", group: Common, help: "directory holding pg_dump, pg_restore and psql of the server's major version (default: from PATH)"},
	{name: "smtp-url", group: Common, help: "send mail through smtp://user@host:port (STARTTLS required unless loopback) or smtps://…; the password comes from INSTANTERP_SMTP_PASSWORD or INSTANTERP_SMTP_PASSWORD_FILE (empty: write .eml files to <data>/outbox)"},
	{name: "mail-from", group: Common, help: "sender address of the platform's mail (default: noreply@<domain>)"},
	{name: "listen", def: ":8443", group: Server, help: "HTTPS listen address"},
	{name: "http-listen", group: Server, help: "optional plain-HTTP address that only redirects to HTTPS (and answers ACME challenges)"},
	{name: "tls-cert", group: Server, help: "certificate chain (PEM) to serve instead of the self-signed one"},
	{name: "tls-key", group: Server, help: "private key (PEM) of --tls-cert"},
	{name: "acme-email", group: Server, help: "obtain certificates by ACME for the domain and existing tenants, with this contact address"},
	{name: "plain-http", boolean: true, group: Server, help: "serve plain HTTP on --listen, for running behind a TLS-terminating proxy (needs --trusted-proxy)"},
	{name: "trusted-proxy", repeated: true, group: Server, help: "CIDR of a proxy whose X-Forwarded-For/Proto headers are believed (repeatable)"},
	{name: "max-open-tenants", def: "256", group: Server, help: "tenant databases kept open at once"},
	{name: "max-body-bytes", def: "16777216", group: Server, help: "largest request body accepted"},
	{name: "shutdown-grace", def: "20s", group: Server, help: "how long shutdown waits for requests in flight"},
}

// UsageError marks a configuration problem the operator must fix (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// multi collects a repeatable flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// FlagSet holds the raw values of one command's flags until Load resolves them.
type FlagSet struct {
	*flag.FlagSet
	groups  Group
	values  map[string]*string
	bools   map[string]*bool
	repeats map[string]*multi
	config  *string
}

// NewFlagSet declares the settings of groups on a new flag set named after the command.
// The command may add its own flags to it before parsing.
func NewFlagSet(command string, groups Group, output io.Writer) *FlagSet {
	fs := &FlagSet{
		FlagSet: flag.NewFlagSet(command, flag.ContinueOnError),
		groups:  groups,
		values:  map[string]*string{}, bools: map[string]*bool{}, repeats: map[string]*multi{},
	}
	fs.SetOutput(output)
	fs.config = fs.String("config", "", "optional settings file (NAME = value per line)")
	for _, s := range settings {
		if s.group&groups == 0 {
			continue
		}
		switch {
		case s.boolean:
			fs.bools[s.name] = fs.Bool(s.name, false, s.help)
		case s.repeated:
			m := &multi{}
			fs.repeats[s.name] = m
			fs.Var(m, s.name, s.help)
		default:
			fs.values[s.name] = fs.String(s.name, s.def, s.help)
		}
	}
	return fs
}

// EnvName is the environment variable of a setting.
func EnvName(name string) string {
	return "INSTANTERP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Load resolves the parsed flags against the environment and the settings file and
// validates the result. env is os.LookupEnv in production.
func (fs *FlagSet) Load(env func(string) (string, bool)) (*Config, error) {
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })

	configPath := *fs.config
	if !explicit["config"] {
		if v, ok := env("INSTANTERP_CONFIG"); ok {
			configPath = v
		}
	}
	file := map[string][]string{}
	if configPath != "" {
		var err error
		if file, err = readFile(configPath, fs.groups); err != nil {
			return nil, err
		}
	}
	raw := map[string][]string{}
	for _, s := range settings {
		if s.group&fs.groups == 0 {
			continue
		}
		vals, err := resolve(s, fs, explicit[s.name], env, file)
		if err != nil {
			return nil, err
		}
		raw[s.name] = vals
	}
	return build(raw, env)
}

func resolve(s setting, fs *FlagSet, explicit bool, env func(string) (string, bool), file map[string][]string) ([]string, error) {
	if explicit {
		switch {
		case s.boolean:
			return []string{strconv.FormatBool(*fs.bools[s.name])}, nil
		case s.repeated:
			return *fs.repeats[s.name], nil
		default:
			return []string{*fs.values[s.name]}, nil
		}
	}
	if v, ok := env(EnvName(s.name)); ok {
		if s.repeated {
			return splitList(v), nil
		}
		return []string{v}, nil
	}
	if path, ok := env(EnvName(s.name) + "_FILE"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, usagef("%s_FILE: %v", EnvName(s.name), err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if s.repeated {
			return splitList(v), nil
		}
		return []string{v}, nil
	}
	if v, ok := file[s.name]; ok {
		return v, nil
	}
	if s.def != "" {
		return []string{s.def}, nil
	}
	return nil, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, p)
	}
	return out
}

// readFile parses "name = value" lines; '#' starts a comment line. Unknown names are
// errors, so that a typo does not silently leave a default in force.
func readFile(path string, groups Group) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--config: %v", err)
	}
	known := map[string]setting{}
	for _, s := range settings {
		known[s.name] = s
	}
	out := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, usagef("%s:%d: want NAME = value", path, n)
		}
		s, ok := known[name]
		if !ok {
			return nil, usagef("%s:%d: unknown setting %q", path, n, name)
		}
		if s.group&groups == 0 {
			continue // a server setting in a file shared with the CLI
		}
		value = strings.Trim(value, `"`)
		if s.repeated {
			out[name] = append(out[name], value)
		} else {
			out[name] = []string{value}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("--config %s: %v", path, err)
	}
	return out, nil
}

func one(raw map[string][]string, name string) string {
	if v := raw[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func build(raw map[string][]string, env func(string) (string, bool)) (*Config, error) {
	c := &Config{
		DataDir:       one(raw, "data"),
		DatabaseURL:   one(raw, "database-url"),
		MasterKeyFile: one(raw, "master-key-file"),
		Domain:        strings.ToLower(strings.TrimSuffix(one(raw, "domain"), ".")),
		LogFormat:     one(raw, "log-format"),
		Listen:        one(raw, "listen"),
		HTTPListen:    one(raw, "http-listen"),
		TLSCert:       one(raw, "tls-cert"),
		TLSKey:        one(raw, "tls-key"),
		ACMEEmail:     one(raw, "acme-email"),
	}
	if c.DataDir == "" {
		return nil, usagef("invalid --data: empty")
	}
	// Resolved once, here: paths derived from it (the tenants' filestores,
	// the backup site) must not depend on the working directory of whoever
	// uses them later, and the filestore refuses relative paths.
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return nil, usagef("invalid --data: %v", err)
	}
	c.DataDir = abs
	if c.MasterKeyFile == "" {
		c.MasterKeyFile = filepath.Join(c.DataDir, "master.key")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return nil, usagef("invalid --database-url: want postgres://user@host:port/database")
		}
	}
	port, perr := strconv.Atoi(one(raw, "public-port"))
	if perr != nil || port < 1 || port > 65535 {
		return nil, usagef("invalid --public-port %q: want 1 to 65535", one(raw, "public-port"))
	}
	c.PublicPort = port
	if err := validateDomain(c.Domain); err != nil {
		return nil, usagef("invalid --domain %q: %v", c.Domain, err)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return nil, usagef("invalid --log-format %q: want text or json", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(one(raw, "log-level"))); err != nil {
		return nil, usagef("invalid --log-level %q: want debug, info, warn or error", one(raw, "log-level"))
	}
	if err := buildBackup(c, raw, env); err != nil {
		return nil, err
	}
	if err := buildMail(c, raw, env); err != nil {
		return nil, err
	}
	if _, ok := raw["listen"]; !ok {
		return c, nil // not a server command
	}
	for _, a := range []struct{ flag, addr string }{{"listen", c.Listen}, {"http-listen", c.HTTPListen}} {
		if a.addr == "" && a.flag == "http-listen" {
			continue
		}
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "" {
			return nil, usagef("invalid --%s %q: want [host]:port", a.flag, a.addr)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, usagef("invalid --tls-cert/--tls-key: give both or neither")
	}
	if c.TLSCert != "" && c.ACMEEmail != "" {
		return nil, usagef("invalid --acme-email: not with --tls-cert")
	}
	if c.ACMEEmail != "" && !strings.Contains(c.ACMEEmail, "@") {
		return nil, usagef("invalid --acme-email %q", c.ACMEEmail)
	}
	if c.PlainHTTP, err = strconv.ParseBool(one(raw, "plain-http")); err != nil && one(raw, "plain-http") != "" {
		return nil, usagef("invalid --plain-http %q: want true or false", one(raw, "plain-http"))
	}
	for _, p := range raw["trusted-proxy"] {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, usagef("invalid --trusted-proxy %q: want a CIDR such as 10.0.0.0/8", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
	if c.PlainHTTP && len(c.TrustedProxies) == 0 {
		return nil, usagef("invalid --plain-http: needs --trusted-proxy naming the TLS-terminating proxy")
	}
	if c.PlainHTTP && (c.TLSCert != "" || c.ACMEEmail != "") {
		return nil, usagef("invalid --plain-http: not with --tls-cert or --acme-email")
	}
	if c.MaxOpenTenants, err = strconv.Atoi(one(raw, "max-open-tenants")); err != nil || c.MaxOpenTenants < 1 || c.MaxOpenTenants > 100000 {
		return nil, usagef("invalid --max-open-tenants %q: want 1 to 100000", one(raw, "max-open-tenants"))
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(one(raw, "max-body-bytes"), 10, 64); err != nil || c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 1<<30 {
		return nil, usagef("invalid --max-body-bytes %q: want 1024 to 1073741824", one(raw, "max-body-bytes"))
	}
	if c.ShutdownGrace, err = time.ParseDuration(one(raw, "shutdown-grace")); err != nil || c.ShutdownGrace < 0 {
		return nil, usagef("invalid --shutdown-grace %q: want a duration such as 20s", one(raw, "shutdown-grace"))
	}
	return c, nil
}

func validateDomain(d string) error {
	if d == "" || len(d) > 253 {
		return errors.New("want a DNS name such as erp.example.com")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("want a DNS name such as erp.example.com")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return errors.New("want a DNS name such as erp.example.com")
			}
		}
	}
	return nil
}

func buildBackup(c *Config, raw map[string][]string, env func(string) (string, bool)) error {
	lookup := func(k string) string { v, _ := env(k); return v }
	specs := raw["backup-site"]
	if len(specs) == 0 {
		specs = []string{"local@local=file://" + filepath.Join(c.DataDir, "backups")}
	}
	names := map[string]bool{}
	for _, raw := range specs {
		spec, err := site.ParseSpec(raw, lookup)
		if err != nil {
			return usagef("invalid --backup-site: %v", err)
		}
		if names[spec.Name] {
			return usagef("invalid --backup-site: site name %q given twice", spec.Name)
		}
		names[spec.Name] = true
		c.BackupSites = append(c.BackupSites, spec)
	}
	if len(raw["backup-recipient"]) > 0 {
		if _, err := archive.ParseRecipients(raw["backup-recipient"]); err != nil {
			return usagef("invalid --backup-recipient: %v", err)
		}
		c.BackupRecipients = append([]string(nil), raw["backup-recipient"]...)
	}
	var err error
	if c.BackupDaily, err = strconv.Atoi(one(raw, "backup-keep-daily")); err != nil || c.BackupDaily < 1 || c.BackupDaily > 3660 {
		return usagef("invalid --backup-keep-daily %q: want 1 to 3660", one(raw, "backup-keep-daily"))
	}
	if c.BackupWeekly, err = strconv.Atoi(one(raw, "backup-keep-weekly")); err != nil || c.BackupWeekly < 1 || c.BackupWeekly > 520 {
		return usagef("invalid --backup-keep-weekly %q: want 1 to 520", one(raw, "backup-keep-weekly"))
	}
	if c.BackupWindow, err = ParseWindow(one(raw, "backup-window")); err != nil {
		return usagef("invalid --backup-window %q: %v", one(raw, "backup-window"), err)
	}
	c.PGBinDir = one(raw, "pg-bin-dir")
	if c.PGBinDir != "" && !filepath.IsAbs(c.PGBinDir) {
		return usagef("invalid --pg-bin-dir %q: want an absolute path", c.PGBinDir)
	}
	return nil
}

// smtpPasswordEnv holds the SMTP password; it is deliberately not a flag or a file
// setting, so it never appears in a process listing or a shared settings file.
const smtpPasswordEnv = "INSTANTERP_SMTP_PASSWORD"

func buildMail(c *Config, raw map[string][]string, env func(string) (string, bool)) error {
	c.SMTPURL = one(raw, "smtp-url")
	if c.SMTPURL != "" {
		server, err := mail.ParseServerURL(c.SMTPURL)
		if err != nil {
			return usagef("invalid --smtp-url: %v", err)
		}
		pw, fromEnv := env(smtpPasswordEnv)
		if path, ok := env(smtpPasswordEnv + "_FILE"); ok {
			if fromEnv {
				return usagef("set %s or %s_FILE, not both", smtpPasswordEnv, smtpPasswordEnv)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return usagef("%s_FILE: %v", smtpPasswordEnv, err)
			}
			pw = strings.TrimRight(string(b), "\r\n")
		}
		if server.Username != "" && pw == "" {
			return usagef("invalid --smtp-url: it names user %q, so set %s or %s_FILE", server.Username, smtpPasswordEnv, smtpPasswordEnv)
		}
		if server.Username == "" && pw != "" {
			return usagef("invalid --smtp-url: a password is set but the URL names no user (smtp://user@host:port)")
		}
		c.SMTPPassword = pw
	}
	c.MailFrom = one(raw, "mail-from")
	if c.MailFrom == "" {
		c.MailFrom = "noreply@" + c.Domain
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		return usagef("invalid --mail-from: %v", err)
	}
	return nil
}

// ParseWindow parses HH:MM-HH:MM (UTC). An end before the start wraps past
// midnight; equal ends are refused.
func ParseWindow(s string) (Window, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, errors.New("want HH:MM-HH:MM")
	}
	start, err := clockTime(from)
	if err != nil {
		return Window{}, err
	}
	end, err := clockTime(to)
	if err != nil {
		return Window{}, err
	}
	length := end - start
	if length < 0 {
		length += 24 * time.Hour
	}
	if length == 0 {
		return Window{}, errors.New("the window is empty")
	}
	return Window{Start: start, Length: length}, nil
}

func clockTime(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q is not a time HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// TenantURL is the address users reach tenant name at, for links that leave the server.
func (c *Config) TenantURL(name string) string {
	host := name + "." + c.Domain
	if c.PublicPort != 443 {
		host += ":" + strconv.Itoa(c.PublicPort)
	}
	return "https://" + host + "/"
}
