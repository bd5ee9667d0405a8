package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/backup"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/secrets"
)

const doctorUsage = `Usage: instanterp doctor [flags]

Checks the configuration and the state of the backups and prints one line per
problem: fewer than two distinct backup data centres, backup sites that cannot
be reached, a master key file others can read, PostgreSQL client tools of
another major version than the server, and tenants whose newest backup is
missing, older than 36 h, unverified or not on two data centres. Exits 0 when
all is well, 1 otherwise. It changes nothing, and never creates a master key.`

func doctorCommand(e env, args []string) error {
	fs := config.NewFlagSet("instanterp doctor", config.Common, e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, doctorUsage+"\n\nFlags:")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs.FlagSet, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usagef("doctor takes no arguments")
	}
	cfg, err := fs.Load(e.lookup)
	if err != nil {
		return err
	}
	problems := backup.CheckSites(e.ctx, cfg.BackupSites, site.Open)
	more, err := diagnoseInstallation(e, cfg)
	problems = append(problems, more...)
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("doctor found %d problem(s)", len(problems))
	}
	fmt.Fprintln(e.stdout, "No problems found.")
	return nil
}

// diagnoseInstallation checks what needs the installation itself. It opens
// it only once the master key loads, so that it never creates a new key.
func diagnoseInstallation(e env, cfg *config.Config) ([]string, error) {
	if _, err := secrets.Load(cfg.MasterKeyFile); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return []string{fmt.Sprintf("master key %s does not exist: this is not an initialised installation (or --master-key-file is wrong)", cfg.MasterKeyFile)}, nil
		}
		return []string{err.Error()}, nil
	}
	p, err := app.Open(e.ctx, cfg, app.NewLogger(cfg, e.stderr))
	if err != nil {
		return nil, err
	}
	defer p.Close()
	backups, err := p.Backups(e.ctx)
	if err != nil {
		return nil, err
	}
	defer backups.Close()
	return backups.Diagnose(e.ctx, backup.MaxBackupAge)
}
