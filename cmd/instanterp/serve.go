package main

import (
	"errors"
	"fmt"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/config"
	erpdemo "github.com/instant-erp/instanterp/internal/erp/demo"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

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
		if _, err := p.Provisioner.Create(e.ctx, "demo", "admin@demo.example.com"); err != nil && !errors.Is(err, tenancy.ErrExists) {
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
		}
	})
}
