package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/backup"
	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/config"
)

const drUsage = `Usage: instanterp dr drill --site NAME [--scratch DIR] [--identity FILE] [--max-rpo 24h] [--json]

Restores the newest verified backup of every tenant from that site alone into a
scratch area, verifies each, and reports per tenant the backup's age (RPO), the
restore time, size and result, then the worst RPO and the total RTO. Exits 1 if
any tenant fails or exceeds --max-rpo.

With --identity (the offline recovery key) it needs nothing but the site: run it
on a fresh machine with only --backup-site and the key.`

func drCommand(e env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		fmt.Fprintln(e.stderr, drUsage)
		return usagef("dr needs a subcommand")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, drUsage)
		return nil
	case "drill":
	default:
		return usagef("unknown dr subcommand %q (drill)", sub)
	}
	fs := config.NewFlagSet("instanterp dr drill", config.Common, e.stderr)
	siteName := fs.String("site", "", "site to restore from (required)")
	scratch := fs.String("scratch", "", "scratch directory (default: a temporary directory)")
	identityFile := fs.String("identity", "", "file holding the recovery identity (AGE-SECRET-KEY-1…); without it the platform's key and catalogue are used")
	maxRPO := fs.Duration("max-rpo", 24*time.Hour, "fail a tenant whose newest backup is older than this (0: no limit)")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseFlags(fs.FlagSet, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usagef("dr drill takes no arguments")
	}
	if *siteName == "" {
		return usagef("dr drill needs --site")
	}
	if *maxRPO < 0 {
		return usagef("invalid --max-rpo: negative")
	}
	cfg, err := fs.Load(e.lookup)
	if err != nil {
		return err
	}
	var spec *site.Spec
	for i := range cfg.BackupSites {
		if cfg.BackupSites[i].Name == *siteName {
			spec = &cfg.BackupSites[i]
		}
	}
	if spec == nil {
		return usagef("no --backup-site called %q is configured", *siteName)
	}
	dir := *scratch
	if dir == "" {
		if dir, err = os.MkdirTemp("", "instanterp-drill-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	drill := backup.DrillConfig{Scratch: filepath.Join(dir, "drill"), MaxRPO: *maxRPO, AdminURL: cfg.DatabaseURL, PGBinDir: cfg.PGBinDir}
	if *identityFile != "" {
		id, err := readIdentity(*identityFile)
		if err != nil {
			return err
		}
		drill.Identities = []age.Identity{id}
	} else {
		p, err := app.Open(e.ctx, cfg, app.NewLogger(cfg, e.stderr))
		if err != nil {
			return err
		}
		defer p.Close()
		svc, err := p.Backups(e.ctx)
		if err != nil {
			return err
		}
		defer svc.Close()
		drill.Identities = svc.Identities()
		if drill.Expected, err = svc.DrillExpectations(e.ctx, *siteName); err != nil {
			return err
		}
	}
	st, err := site.Open(e.ctx, *spec)
	if err != nil {
		return err
	}
	defer st.Close()
	drill.Site = st
	report, err := backup.Drill(e.ctx, drill)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := printJSON(e, report); err != nil {
			return err
		}
	} else {
		printDrill(e, report)
	}
	if !report.OK {
		return fmt.Errorf("drill from %s failed for %d of %d tenants", report.Site, failedTenants(report), len(report.Tenants))
	}
	return nil
}

func printDrill(e env, r backup.DrillReport) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tBACKUP\tRPO\tRESTORE\tSIZE\tRESULT")
	for _, t := range r.Tenants {
		result := "ok"
		if !t.OK {
			result = "FAILED: " + t.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Tenant, dash(t.BackupID), t.RPO.Round(time.Second), t.RestoreTime.Round(time.Millisecond), humanBytes(t.Size), result)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "Site %s: worst RPO %s, total RTO %s, %d tenants\n", r.Site, r.WorstRPO.Round(time.Second), r.TotalRTO.Round(time.Millisecond), len(r.Tenants))
}

func failedTenants(r backup.DrillReport) int {
	n := 0
	for _, t := range r.Tenants {
		if !t.OK {
			n++
		}
	}
	return n
}

func readIdentity(path string) (age.Identity, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--identity: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "AGE-SECRET-KEY-") {
			return archive.ParseIdentity(line)
		}
	}
	return nil, fmt.Errorf("--identity %s holds no AGE-SECRET-KEY-1… line", path)
}
