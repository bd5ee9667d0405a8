package site

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Kind is the storage technology behind a site.
type Kind string

// Site kinds.
const (
	KindFile Kind = "file"
	KindSFTP Kind = "sftp"
	KindS3   Kind = "s3"
)

// Spec is a parsed site specification, NAME@DC=URL.
type Spec struct {
	Name       string
	DataCentre string
	Kind       Kind
	URL        string // as given; never holds credentials
	File       FileConfig
	SFTP       SFTPConfig
	S3         S3Config
}

// FileConfig locates a site in a local directory.
type FileConfig struct {
	Dir string // absolute, clean
}

// SFTPConfig locates a site on an SFTP server reached with an SSH key.
type SFTPConfig struct {
	User           string
	Host           string
	Port           int
	Dir            string // absolute, clean, on the server
	KeyFile        string // private key, absolute path
	KnownHostsFile string // known_hosts holding the server's key, absolute path
}

// Address is host:port for dialing.
func (c SFTPConfig) Address() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// S3Config locates a site in an S3-compatible bucket.
type S3Config struct {
	Endpoint  string // host[:port]
	Secure    bool   // https
	Bucket    string
	Prefix    string // "" or ending in "/"
	Region    string
	PathStyle bool
	AccessKey Secret
	SecretKey Secret
}

// Secret is a credential that formats as "[redacted]" so it never reaches
// a log or an error message by accident.
type Secret string

func (Secret) String() string   { return "[redacted]" }
func (Secret) GoString() string { return `"[redacted]"` }

// MarshalText keeps secrets out of JSON and other encoders too.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Reveal returns the credential itself, for the client that needs it.
func (s Secret) Reveal() string { return string(s) }

func (s Spec) String() string { return s.Name + "@" + s.DataCentre + "=" + s.URL }

// Environment variables holding S3 credentials; each may instead be given
// as NAME_FILE, naming a file that holds the value.
const (
	EnvS3AccessKey = "INSTANTERP_S3_ACCESS_KEY"
	EnvS3SecretKey = "INSTANTERP_S3_SECRET_KEY"
)

const (
	maxSpecLength     = 2048
	defaultS3Endpoint = "https://s3.amazonaws.com"
)

var (
	labelPattern  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	userPattern   = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,31}$`)
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	regionPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
)

// ParseSpec parses NAME@DC=URL strictly. URL is one of
//
//	file:///absolute/dir
//	sftp://user@host[:port]/absolute/dir?key=/path/id_ed25519&known_hosts=/path/known_hosts
//	s3://bucket[/prefix]?endpoint=https://host[:port]&path_style=true&region=eu-west-1
//
// S3 credentials come from env (see EnvS3AccessKey), never from the URL; a
// URL carrying a password is refused. env may be nil.
func ParseSpec(spec string, env func(string) string) (Spec, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	s, err := parseSpec(spec, env)
	if err != nil {
		return Spec{}, fmt.Errorf("site spec: %w", err)
	}
	return s, nil
}

func parseSpec(spec string, env func(string) string) (Spec, error) {
	if len(spec) > maxSpecLength {
		return Spec{}, fmt.Errorf("longer than %d bytes", maxSpecLength)
	}
	for _, c := range []byte(spec) {
		if c <= ' ' || c >= 0x7f {
			return Spec{}, errors.New("contains whitespace, control or non-ASCII characters")
		}
	}
	label, rawURL, ok := strings.Cut(spec, "=")
	if !ok {
		return Spec{}, errors.New("want NAME@DC=URL, found no '='")
	}
	name, dc, ok := strings.Cut(label, "@")
	if !ok {
		return Spec{}, errors.New("want NAME@DC=URL, found no '@' before '='")
	}
	if !labelPattern.MatchString(name) {
		return Spec{}, fmt.Errorf("site name %q must match %s", name, labelPattern)
	}
	if !labelPattern.MatchString(dc) {
		return Spec{}, fmt.Errorf("data-centre label %q must match %s", dc, labelPattern)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return Spec{}, fmt.Errorf("site %s: %w", name, err)
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return Spec{}, fmt.Errorf("site %s: the URL must not carry a password; use keys or the environment", name)
	}
	if u.Opaque != "" || u.Fragment != "" || u.RawFragment != "" || strings.Contains(rawURL, "#") {
		return Spec{}, fmt.Errorf("site %s: malformed URL (opaque part or fragment)", name)
	}
	query, err := strictQuery(u.RawQuery)
	if err != nil {
		return Spec{}, fmt.Errorf("site %s: %w", name, err)
	}
	s := Spec{Name: name, DataCentre: dc, Kind: Kind(u.Scheme), URL: rawURL}
	switch s.Kind {
	case KindFile:
		s.File, err = parseFileURL(u, query)
	case KindSFTP:
		s.SFTP, err = parseSFTPURL(u, query)
	case KindS3:
		s.S3, err = parseS3URL(u, query, env)
	default:
		err = fmt.Errorf("unknown scheme %q (want file, sftp or s3)", u.Scheme)
	}
	if err != nil {
		return Spec{}, fmt.Errorf("site %s: %w", name, err)
	}
	return s, nil
}

// strictQuery parses a query string, refusing bad escapes and repeated keys.
func strictQuery(raw string) (map[string]string, error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	out := make(map[string]string, len(values))
	for k, v := range values {
		if len(v) != 1 {
			return nil, fmt.Errorf("query parameter %q given %d times", k, len(v))
		}
		out[k] = v[0]
	}
	return out, nil
}

func refuseUnknown(query map[string]string, allowed ...string) error {
	for k := range query {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		if !known {
			return fmt.Errorf("unknown query parameter %q", k)
		}
	}
	return nil
}

// absoluteDir checks a path is absolute, clean and not the root.
func absoluteDir(what, p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s %q must be an absolute path", what, p)
	case path.Clean(p) != p:
		return fmt.Errorf("%s %q must be a clean path (no '..', '.', '//' or trailing '/')", what, p)
	case p == "/":
		return fmt.Errorf("%s must not be the root directory", what)
	}
	return nil
}

func parseFileURL(u *url.URL, query map[string]string) (FileConfig, error) {
	if u.User != nil {
		return FileConfig{}, errors.New("a file URL takes no user")
	}
	if u.Host != "" && u.Host != "localhost" {
		return FileConfig{}, fmt.Errorf("a file URL names a local directory, not host %q", u.Host)
	}
	if len(query) != 0 {
		return FileConfig{}, errors.New("a file URL takes no query parameters")
	}
	if err := absoluteDir("directory", u.Path); err != nil {
		return FileConfig{}, err
	}
	return FileConfig{Dir: u.Path}, nil
}

func parseSFTPURL(u *url.URL, query map[string]string) (SFTPConfig, error) {
	if u.User == nil || !userPattern.MatchString(u.User.Username()) {
		return SFTPConfig{}, fmt.Errorf("an sftp URL needs a user matching %s", userPattern)
	}
	host, err := parseHost(u)
	if err != nil {
		return SFTPConfig{}, err
	}
	port := 22
	if p := u.Port(); p != "" {
		if port, err = parsePort(p); err != nil {
			return SFTPConfig{}, err
		}
	}
	if err := absoluteDir("remote directory", u.Path); err != nil {
		return SFTPConfig{}, err
	}
	if err := refuseUnknown(query, "key", "known_hosts"); err != nil {
		return SFTPConfig{}, err
	}
	cfg := SFTPConfig{User: u.User.Username(), Host: host, Port: port, Dir: u.Path, KeyFile: query["key"], KnownHostsFile: query["known_hosts"]}
	if err := absoluteFile("key", cfg.KeyFile); err != nil {
		return SFTPConfig{}, err
	}
	if err := absoluteFile("known_hosts", cfg.KnownHostsFile); err != nil {
		return SFTPConfig{}, err
	}
	return cfg, nil
}

func absoluteFile(param, p string) error {
	if p == "" {
		return fmt.Errorf("query parameter %q is required", param)
	}
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		return fmt.Errorf("query parameter %q must be an absolute, clean path", param)
	}
	return nil
}

func parseHost(u *url.URL) (string, error) {
	host := u.Hostname()
	if host == "" {
		return "", errors.New("the URL needs a host")
	}
	if net.ParseIP(host) == nil && !hostnamePattern.MatchString(host) {
		return "", fmt.Errorf("host %q is neither an IP address nor a host name", host)
	}
	return host, nil
}

var hostnamePattern = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

func parsePort(p string) (int, error) {
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 || strconv.Itoa(port) != p {
		return 0, fmt.Errorf("port %q must be a number from 1 to 65535", p)
	}
	return port, nil
}

func parseS3URL(u *url.URL, query map[string]string, env func(string) string) (S3Config, error) {
	if u.User != nil {
		return S3Config{}, fmt.Errorf("an s3 URL takes no user; credentials come from %s and %s", EnvS3AccessKey, EnvS3SecretKey)
	}
	if u.Port() != "" || !bucketPattern.MatchString(u.Host) || strings.Contains(u.Host, "..") {
		return S3Config{}, fmt.Errorf("bucket %q is not a valid bucket name", u.Host)
	}
	prefix, err := parseS3Prefix(u.Path)
	if err != nil {
		return S3Config{}, err
	}
	if err := refuseUnknown(query, "endpoint", "path_style", "region"); err != nil {
		return S3Config{}, err
	}
	cfg := S3Config{Bucket: u.Host, Prefix: prefix}
	endpoint := defaultS3Endpoint
	if e, ok := query["endpoint"]; ok {
		endpoint = e
	}
	if cfg.Endpoint, cfg.Secure, err = parseEndpoint(endpoint); err != nil {
		return S3Config{}, err
	}
	if ps, ok := query["path_style"]; ok {
		switch ps {
		case "true":
			cfg.PathStyle = true
		case "false":
		default:
			return S3Config{}, fmt.Errorf("path_style %q must be true or false", ps)
		}
	}
	if r, ok := query["region"]; ok {
		if !regionPattern.MatchString(r) {
			return S3Config{}, fmt.Errorf("region %q must match %s", r, regionPattern)
		}
		cfg.Region = r
	}
	access, err := readSecret(env, EnvS3AccessKey)
	if err != nil {
		return S3Config{}, err
	}
	secret, err := readSecret(env, EnvS3SecretKey)
	if err != nil {
		return S3Config{}, err
	}
	cfg.AccessKey, cfg.SecretKey = Secret(access), Secret(secret)
	return cfg, nil
}

func parseS3Prefix(p string) (string, error) {
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	if err := ValidateKey(p); err != nil {
		return "", fmt.Errorf("bucket prefix: %w", err)
	}
	return p + "/", nil
}

// parseEndpoint accepts https://host[:port], or http:// for a loopback host
// only: credentials and backups never cross a network in clear.
func parseEndpoint(raw string) (hostPort string, secure bool, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, fmt.Errorf("endpoint: %w", err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" {
		return "", false, fmt.Errorf("endpoint %q must be scheme://host[:port] only", raw)
	}
	host, err := parseHost(u)
	if err != nil {
		return "", false, fmt.Errorf("endpoint: %w", err)
	}
	if p := u.Port(); p != "" {
		if _, err := parsePort(p); err != nil {
			return "", false, fmt.Errorf("endpoint: %w", err)
		}
	}
	switch u.Scheme {
	case "https":
		return u.Host, true, nil
	case "http":
		if host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback() {
			return u.Host, false, nil
		}
		return "", false, fmt.Errorf("endpoint %q uses plain http to a non-loopback host; use https", raw)
	default:
		return "", false, fmt.Errorf("endpoint %q must use https", raw)
	}
}
