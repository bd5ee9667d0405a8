package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/password"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

const userUsage = `Usage: instanterp user SUBCOMMAND --tenant NAME LOGIN [--mail]

Subcommands:
  reset-password   print a one-time password reset link for LOGIN (valid 4 hours),
                   or mail it to the user with --mail
  invite           print a one-time set-password link for LOGIN (valid 144 hours),
                   or mail it with --mail

No command prints or accepts a user's password: operators can only hand out links.`

func userCommand(e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, userUsage)
		return usagef("user needs a subcommand")
	}
	sub, args := args[0], args[1:]
	var kind identity.LinkKind
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, userUsage)
		return nil
	case "reset-password":
		kind = identity.ResetLink
	case "invite":
		kind = identity.InvitationLink
	default:
		return usagef("unknown user subcommand %q (reset-password, invite)", sub)
	}
	fs := config.NewFlagSet("instanterp user "+sub, config.Common, e.stderr)
	tenantName := fs.String("tenant", "", "tenant the user belongs to (required)")
	byMail := fs.Bool("mail", false, "mail the link to the user instead of printing it")
	rest, err := parseFlags(fs.FlagSet, args)
	if err != nil {
		return err
	}
	if *tenantName == "" {
		return usagef("user %s needs --tenant", sub)
	}
	if len(rest) != 1 || strings.TrimSpace(rest[0]) == "" {
		return usagef("user %s needs exactly one login", sub)
	}
	login := strings.TrimSpace(rest[0])
	cfg, err := fs.Load(e.lookup)
	if err != nil {
		return err
	}
	p, err := app.Open(e.ctx, cfg, app.NewLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer p.Close()

	svc, closeTenant, err := openIdentity(e.ctx, p, *tenantName)
	if err != nil {
		return err
	}
	defer closeTenant()
	u, err := svc.Accounts().UserByLogin(e.ctx, login)
	if errors.Is(err, auth.ErrNoAccount) {
		return fmt.Errorf("tenant %s has no user with login %q", *tenantName, login)
	}
	if err != nil {
		return err
	}
	what := "password reset"
	if kind == identity.InvitationLink {
		what = "set-password"
	}
	// The operator's action is recorded in the tenant's security log like an
	// administrator's, with the command line as its user agent.
	from := identity.Origin{UserAgent: "instanterp " + sub}
	if *byMail {
		if err := svc.SendLink(e.ctx, kind, u.ID, from); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Mailed a one-time %s link to %s (%s)\n", what, u.Login, mailTransport(cfg))
		return nil
	}
	link, err := svc.Link(e.ctx, kind, u.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "One-time %s link for %s (valid %s):\n%s\n", what, u.Login, validity(kind), link)
	return nil
}

func validity(kind identity.LinkKind) string {
	if kind == identity.InvitationLink {
		return "144 hours"
	}
	return "4 hours"
}

func mailTransport(cfg *config.Config) string {
	if cfg.SMTPURL != "" {
		return "through " + cfg.SMTPURL
	}
	return "written to the outbox in " + cfg.DataDir
}

// openIdentity opens an active tenant's database and its identity service; the
// returned function closes the database. The tenant is opened as the server
// opens it (app.Platform.OpenTenant), so a tenant an older build created gets the
// seed steps it lacks before any of its users is touched.
func openIdentity(ctx context.Context, p *app.Platform, name string) (*identity.Service, func(), error) {
	t, err := p.Catalogue.Get(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if t.State != tenancy.Active {
		return nil, nil, fmt.Errorf("tenant %s is %s", name, t.State)
	}
	db, err := p.OpenTenant(ctx, t, 2)
	if err != nil {
		return nil, nil, err
	}
	svc, err := newIdentity(p, t.Name, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, func() { db.Close() }, nil
}

func newIdentity(p *app.Platform, tenant string, db *store.DB) (*identity.Service, error) {
	cfg := p.Config
	hasher, policy, err := passwordTools()
	if err != nil {
		return nil, err
	}
	sender, err := mail.New(mail.Settings{DataDir: cfg.DataDir, SMTPURL: cfg.SMTPURL, SMTPPassword: cfg.SMTPPassword, From: cfg.MailFrom})
	if err != nil {
		return nil, err
	}
	return identity.New(identity.Config{
		DB: db, Registry: p.Registry, BaseURL: strings.TrimSuffix(cfg.TenantURL(tenant), "/"), Tenant: tenant,
		Hasher: hasher, Policy: policy, Mail: sender, Logger: p.Log,
	})
}

func passwordTools() (*password.Hasher, *password.Policy, error) {
	hasher, err := password.NewHasher(0)
	if err != nil {
		return nil, nil, err
	}
	common, err := password.LoadCommonList()
	if err != nil {
		return nil, nil, err
	}
	policy, err := password.NewPolicy(0, common)
	if err != nil {
		return nil, nil, err
	}
	return hasher, policy, nil
}

// readPasswordFile reads a password for automation from path, or from standard
// input when path is "-". One trailing line break is removed; the password itself is
// never echoed, and errors do not repeat it.
func readPasswordFile(path string, stdin io.Reader) (string, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", usagef("--admin-password-file: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, password.MaxLength+3))
	if err != nil {
		return "", usagef("--admin-password-file: %v", err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) > password.MaxLength {
		return "", usagef("--admin-password-file: the password is longer than %d bytes", password.MaxLength)
	}
	if len(b) == 0 {
		return "", usagef("--admin-password-file: the file is empty")
	}
	return string(b), nil
}
