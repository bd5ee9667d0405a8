package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/erp/demo"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

const tenantUsage = `Usage: instanterp tenant SUBCOMMAND [flags]

Subcommands:
  create NAME --admin-email EMAIL [--demo] [--admin-password-file FILE|-]
                                    provision a tenant with its own database and
                                    print a one-time link for the administrator to
                                    set a password (--admin-password-file: set it
                                    from a file or standard input instead;
                                    --demo: load a demo data set)
  list [--json]                     list tenants
  show NAME [--json]                show one tenant
  suspend NAME                      refuse all access until resumed
  resume NAME                       lift a suspension
  delete NAME --yes                 destroy a tenant's database and files`

func tenantCommand(e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, tenantUsage)
		return usagef("tenant needs a subcommand")
	}
	sub, args := args[0], args[1:]
	fs := config.NewFlagSet("instanterp tenant "+sub, config.Common, e.stderr)
	var (
		adminEmail = new(string)
		withDemo   = new(bool)
		pwFile     = new(string)
		asJSON     = new(bool)
		yes        = new(bool)
		wantName   = true
	)
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, tenantUsage)
		return nil
	case "create":
		adminEmail = fs.String("admin-email", "", "email address of the tenant's first administrator (required)")
		withDemo = fs.Bool("demo", false, "load demo data: partners, products, orders, invoices and payments")
		pwFile = fs.String("admin-password-file", "", "set the administrator's password from this file (- for standard input) instead of printing a set-password link")
	case "list":
		asJSON = fs.Bool("json", false, "print JSON")
		wantName = false
	case "show":
		asJSON = fs.Bool("json", false, "print JSON")
	case "suspend", "resume":
	case "delete":
		yes = fs.Bool("yes", false, "confirm that the tenant's data is to be destroyed")
	default:
		return usagef("unknown tenant subcommand %q (create, list, show, suspend, resume, delete)", sub)
	}
	rest, err := parseFlags(fs.FlagSet, args)
	if err != nil {
		return err
	}
	name, err := positionalArgument("tenant", sub, "tenant name", wantName, rest)
	if err != nil {
		return err
	}
	if sub == "create" {
		if err := tenancy.ValidateName(name); err != nil {
			return err
		}
	}
	if sub == "create" && *adminEmail == "" {
		return usagef("tenant create needs --admin-email")
	}
	if sub == "delete" && !*yes {
		return usagef("tenant delete destroys all of %s's data: add --yes to confirm", name)
	}
	var adminPassword string
	if sub == "create" && *pwFile != "" {
		// Checked before anything is created, so a refused password changes nothing.
		if adminPassword, err = readPasswordFile(*pwFile, e.stdin); err != nil {
			return err
		}
		if _, policy, err := passwordTools(); err != nil {
			return err
		} else if err := policy.Check(adminPassword); err != nil {
			return usagef("--admin-password-file: %v", err)
		}
	}
	cfg, err := fs.Load(e.lookup)
	if err != nil {
		return err
	}
	p, err := app.Open(e.ctx, cfg, app.NewLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer p.Close()

	switch sub {
	case "create":
		t, err := p.Provisioner.Create(e.ctx, name, *adminEmail)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Created tenant %s (%s): %s\n", t.Name, t.Engine, cfg.TenantURL(t.Name))
		if *withDemo {
			sum, err := loadDemo(e.ctx, p, t.Name)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Loaded demo data: %d partners, %d products, %d orders, %d invoices (%d paid)\n",
				sum.Partners, sum.Products, sum.Orders, sum.Invoices, sum.Paid)
		}
		return adminAccess(e, p, t, adminPassword)
	case "list":
		ts, err := p.Catalogue.List(e.ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e, nonNil(ts))
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATE\tENGINE\tADMIN\tCREATED")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.State, t.Engine, t.AdminEmail, t.CreatedAt.Format(time.DateTime))
		}
		return tw.Flush()
	case "show":
		t, err := p.Catalogue.Get(e.ctx, name)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e, t)
		}
		fmt.Fprintf(e.stdout, "name:      %s\nstate:     %s\nengine:    %s\nlocation:  %s\nadmin:     %s\ncreated:   %s\nupdated:   %s\n",
			t.Name, t.State, t.Engine, t.Location, t.AdminEmail, t.CreatedAt.Format(time.RFC3339), t.UpdatedAt.Format(time.RFC3339))
	case "suspend":
		if _, err := p.Provisioner.Suspend(e.ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Suspended tenant %s\n", name)
	case "resume":
		if _, err := p.Provisioner.Resume(e.ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Resumed tenant %s\n", name)
	case "delete":
		if err := p.Provisioner.Delete(e.ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Deleted tenant %s\n", name)
	}
	return nil
}

// adminAccess gives the new tenant's administrator a way in: the password from
// --admin-password-file, or else a one-time set-password link. Neither a password
// nor a hash is ever printed.
func adminAccess(e env, p *app.Platform, t tenancy.Tenant, adminPassword string) error {
	svc, closeTenant, err := openIdentity(e.ctx, p, t.Name)
	if err != nil {
		return err
	}
	defer closeTenant()
	admin, err := svc.Accounts().UserByLogin(e.ctx, t.AdminEmail)
	if err != nil {
		return fmt.Errorf("find the administrator of %s: %w", t.Name, err)
	}
	if adminPassword != "" {
		if err := svc.SetPassword(e.ctx, admin.ID, adminPassword, 0, identity.Origin{UserAgent: "instanterp tenant create"}); err != nil {
			return fmt.Errorf("set the administrator's password: %w", err)
		}
		fmt.Fprintf(e.stdout, "Set the password of administrator %s from --admin-password-file\n", admin.Login)
		return nil
	}
	link, err := svc.Link(e.ctx, identity.InvitationLink, admin.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Administrator %s sets a password with this one-time link (valid 144 hours):\n%s\n", admin.Login, link)
	return nil
}

// loadDemo loads the demo data set into an existing tenant, opened as the server
// opens it (brought to this build's seed level first).
func loadDemo(ctx context.Context, p *app.Platform, name string) (demo.Summary, error) {
	t, err := p.Catalogue.Get(ctx, name)
	if err != nil {
		return demo.Summary{}, err
	}
	db, err := p.OpenTenant(ctx, t, 2)
	if err != nil {
		return demo.Summary{}, err
	}
	defer db.Close()
	// The quotations it sends link to the tenant's address.
	sum, err := demo.Load(orm.WithBaseURL(ctx, p.Config.TenantURL(name)), db, p.Registry)
	if err != nil {
		return sum, fmt.Errorf("load demo data into %s: %w", name, err)
	}
	return sum, nil
}

func nonNil(ts []tenancy.Tenant) []tenancy.Tenant {
	if ts == nil {
		return []tenancy.Tenant{}
	}
	return ts
}

func printJSON(e env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// tenantURL turns the control plane's URL into a tenant's.
func tenantURL(controlURL, tenant string) string {
	u, err := url.Parse(controlURL)
	if err != nil {
		return controlURL
	}
	u.Host = tenant + "." + u.Host
	return u.String()
}
