package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/config"
	erpdemo "github.com/instant-erp/instanterp/internal/erp/demo"
	"github.com/instant-erp/instanterp/internal/identity"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// demoAdmin is the login of the demo tenant's administrator.
const demoAdmin = "admin@demo.example.com"

func serveCommand(e env, args []string) error {
	fs := config.NewFlagSet("instanterp serve", config.Common|config.Server, e.stderr)
	demo := fs.Bool("demo", false, "create a tenant called demo if it does not exist, and print its address")
	rest, err := parseFlags(fs.FlagSet, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve takes no arguments, got %q", rest[0])
	}
	cfg, err := fs.Load(e.lookup)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, e.stderr)
	p, err := app.Open(e.ctx, cfg, log)
	if err != nil {
		return err
	}
	defer p.Close()
	if *demo {
		if _, err := p.Provisioner.Create(e.ctx, "demo", demoAdmin); err != nil && !errors.Is(err, tenancy.ErrExists) {
			return fmt.Errorf("create demo tenant: %w", err)
		}
		// A demo tenant created by an earlier run keeps its data.
		if _, err := loadDemo(e.ctx, p, "demo"); err != nil && !errors.Is(err, erpdemo.ErrLoaded) {
			return err
		}
	}
	return p.Serve(e.ctx, e.stdout, func(l app.Listening) {
		fmt.Fprintf(e.stdout, "Instant-ERP is serving %s\n", l.URL)
		if *demo {
			fmt.Fprintf(e.stdout, "Demo tenant: %s\n", tenantURL(l.URL, "demo"))
			if err := demoSignIn(e, p, l); err != nil {
				fmt.Fprintf(e.stderr, "instanterp: demo sign-in link: %v\n", err)
			}
		}
	})
}

// demoSignIn prints a one-time link with which the demo administrator chooses a
// password (or a new one), on the port the server actually listens on.
func demoSignIn(e env, p *app.Platform, l app.Listening) error {
	if _, port, err := net.SplitHostPort(l.Addr.String()); err == nil {
		if n, err := strconv.Atoi(port); err == nil && p.Config.PublicPort == 8443 {
			p.Config.PublicPort = n
		}
	}
	svc, closeTenant, err := openIdentity(e.ctx, p, "demo")
	if err != nil {
		return err
	}
	defer closeTenant()
	admin, err := svc.Accounts().UserByLogin(e.ctx, demoAdmin)
	if err != nil {
		return err
	}
	kind := identity.InvitationLink
	if admin.HasPassword {
		kind = identity.ResetLink
	}
	link, err := svc.Link(e.ctx, kind, admin.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Sign in to the demo as %s: choose a password with this one-time link (valid %s):\n%s\n", admin.Login, validity(kind), link)
	return nil
}
