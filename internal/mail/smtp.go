package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Server is a parsed --smtp-url.
type Server struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	// ImplicitTLS is smtps:// (TLS from the first byte); otherwise STARTTLS.
	ImplicitTLS bool
}

// Loopback tells whether the server is on this machine, the one case where a
// connection without TLS is accepted.
func (s Server) Loopback() bool {
	if strings.EqualFold(s.Host, "localhost") {
		return true
	}
	ip := net.ParseIP(s.Host)
	return ip != nil && ip.IsLoopback()
}

// String is the URL without any secret.
func (s Server) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	return u.String()
}

// ParseServerURL parses smtp://[user@]host[:port] (STARTTLS, port 587 by default) or
// smtps://[user@]host[:port] (implicit TLS, port 465). A password in the URL is
// refused: it belongs in INSTANTERP_SMTP_PASSWORD or INSTANTERP_SMTP_PASSWORD_FILE,
// out of command lines and settings files.
func ParseServerURL(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Server{}, errors.New("want smtp://user@host:port or smtps://user@host:port")
	}
	var s Server
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return Server{}, errors.New("want smtp://user@host:port or smtps://user@host:port")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Server{}, errors.New("want smtp://user@host:port with no path or query")
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return Server{}, errors.New("the URL must not hold the password: set INSTANTERP_SMTP_PASSWORD or INSTANTERP_SMTP_PASSWORD_FILE")
		}
		s.Username = u.User.Username()
		if s.Username == "" || hasControl(s.Username) || len(s.Username) > 256 {
			return Server{}, errors.New("invalid user name")
		}
	}
	s.Host = u.Hostname()
	if !validHost(s.Host) {
		return Server{}, errors.New("want a host name or IP address")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Server{}, fmt.Errorf("invalid port %q", p)
		}
		s.Port = n
	}
	return s, nil
}

// SMTPConfig configures an SMTP sender.
type SMTPConfig struct {
	Server   Server
	Password string // used only when Server.Username is set
	From     string // default sender address
	// TLS supplies trusted roots (tests); nil means the system's. The server name
	// is always the server's host.
	TLS     *tls.Config
	Timeout time.Duration // per connection; 0 means 30 s
	Now     func() time.Time
}

// SMTP sends each message over a new connection to the configured server.
type SMTP struct {
	cfg  SMTPConfig
	opts []gomail.Option
}

// NewSMTP checks cfg. Nothing is dialled until Send.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Server.Host == "" {
		return nil, errors.New("smtp: no server")
	}
	if _, err := ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("smtp sender: %w", err)
	}
	if cfg.Server.Username != "" && cfg.Password == "" {
		return nil, errors.New("smtp: the URL names a user but no password is set (INSTANTERP_SMTP_PASSWORD or INSTANTERP_SMTP_PASSWORD_FILE)")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLS != nil {
		tlsConfig = cfg.TLS.Clone()
		if tlsConfig.MinVersion < tls.VersionTLS12 {
			tlsConfig.MinVersion = tls.VersionTLS12
		}
	}
	tlsConfig.ServerName = cfg.Server.Host
	tlsConfig.InsecureSkipVerify = false

	opts := []gomail.Option{
		gomail.WithPort(cfg.Server.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithTLSConfig(tlsConfig),
	}
	switch {
	case cfg.Server.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case cfg.Server.Loopback():
		// A relay on this machine: STARTTLS when offered, plain otherwise.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if cfg.Server.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Server.Username), gomail.WithPassword(cfg.Password))
	}
	return &SMTP{cfg: cfg, opts: opts}, nil
}

// Send delivers msg. The error names the server but never the password.
func (s *SMTP) Send(ctx context.Context, msg Message) error {
	m, err := build(msg, s.cfg.From, s.cfg.Now())
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.cfg.Server.Host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.cfg.Server, err)
	}
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("send mail through %s: %w", s.cfg.Server, err)
	}
	return nil
}

// validHost accepts an IP address or a DNS name (letters, digits, '-', '.', '_').
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}
