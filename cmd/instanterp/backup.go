package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/backup"
	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

const backupUsage = `Usage: instanterp backup SUBCOMMAND [flags]

Subcommands:
  run [--tenant T] [--kind db|full]        back up one tenant, or every tenant
  list [--tenant T] [--json]               list backups, newest first
  status [--json]                          newest backup per tenant and where it is verified
  verify ID [--site NAME]                  test-restore a backup into a scratch location
  prune                                    apply retention on every site
  restore ID [--site NAME] [--as NEWNAME]  restore in place, or as a new tenant
  export --tenant T [--link]               portable export of a tenant's data for its owner`

func backupCommand(e env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		fmt.Fprintln(e.stderr, backupUsage)
		return usagef("backup needs a subcommand")
	}
	sub, args := args[0], args[1:]
	fs := config.NewFlagSet("instanterp backup "+sub, config.Common, e.stderr)
	var (
		tenant, kind, siteName, as, adminEmail = new(string), new(string), new(string), new(string), new(string)
		asJSON, link                           = new(bool), new(bool)
		wantID                                 bool
	)
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, backupUsage)
		return nil
	case "run":
		tenant = fs.String("tenant", "", "tenant to back up (default: every tenant)")
		kind = fs.String("kind", archive.KindDB, "db (database only) or full (database and filestore)")
	case "list":
		tenant = fs.String("tenant", "", "only this tenant's backups")
		asJSON = fs.Bool("json", false, "print JSON")
	case "status":
		asJSON = fs.Bool("json", false, "print JSON")
	case "verify":
		siteName = fs.String("site", "", "site to fetch the backup from (default: the outbox or any verified site)")
		wantID = true
	case "prune":
	case "restore":
		siteName = fs.String("site", "", "site to fetch the backup from (default: the outbox or any verified site)")
		as = fs.String("as", "", "restore into a new tenant of this name instead of in place")
		adminEmail = fs.String("admin-email", "", "administrator of the new tenant (with --as; default: the original's)")
		wantID = true
	case "export":
		tenant = fs.String("tenant", "", "tenant to export (required)")
		link = fs.Bool("link", false, "also print a signed download link (24 h, limited uses)")
	default:
		return usagef("unknown backup subcommand %q (run, list, status, verify, prune, restore, export)", sub)
	}
	rest, err := parseFlags(fs.FlagSet, args)
	if err != nil {
		return err
	}
	id, err := positionalArgument("backup", sub, "backup id", wantID, rest)
	if err != nil {
		return err
	}
	if wantID {
		if _, err := backup.ParseID(id); err != nil {
			return usagef("%v", err)
		}
	}
	if sub == "run" && *kind != archive.KindDB && *kind != archive.KindFull {
		return usagef("invalid --kind %q: want db or full", *kind)
	}
	if *tenant != "" {
		if err := tenancy.ValidateName(*tenant); err != nil {
			return err
		}
	}
	if sub == "export" && *tenant == "" {
		return usagef("backup export needs --tenant")
	}
	if *as != "" {
		if err := tenancy.ValidateName(*as); err != nil {
			return err
		}
	}
	if *adminEmail != "" && *as == "" {
		return usagef("--admin-email is only for a restore --as a new tenant")
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
	backups, err := p.Backups(e.ctx)
	if err != nil {
		return err
	}
	defer backups.Close()
	svc := backups.Service
	switch sub {
	case "run":
		return backupRun(e, p, svc, *tenant, *kind)
	case "list":
		recs, err := svc.List(e.ctx, *tenant)
		if err != nil {
			return err
		}
		if *asJSON {
			if recs == nil {
				recs = []backup.Record{}
			}
			return printJSON(e, recs)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTENANT\tKIND\tCREATED\tSIZE\tVERIFIED\tSITES")
		for _, r := range recs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Tenant, r.Kind, r.Created.Format(time.DateTime),
				humanBytes(r.Size), verifiedWord(r), strings.Join(verifiedSites(r), ","))
		}
		return tw.Flush()
	case "status":
		return backupStatus(e, svc, *asJSON)
	case "verify":
		r, err := svc.Verify(e.ctx, id, *siteName)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Backup %s of %s verified: hash, decryption, every member, integrity and row counts\n", r.ID, r.Tenant)
	case "prune":
		res, err := svc.Prune(e.ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Pruned %d copies, kept %d\n", res.Deleted, res.Kept)
	case "restore":
		res, err := svc.Restore(e.ctx, id, backup.RestoreOptions{Site: *siteName, As: *as, AdminEmail: *adminEmail})
		if err != nil {
			return err
		}
		if *as != "" {
			fmt.Fprintf(e.stdout, "Restored backup %s as new tenant %s (new secret and uuid; no sessions carried over)\n", res.BackupID, res.Tenant)
		} else {
			fmt.Fprintf(e.stdout, "Restored backup %s into %s; the state before is in safety backup %s\n", res.BackupID, res.Tenant, res.SafetyBackup)
		}
	case "export":
		return backupExport(e, cfg, svc, *tenant, *link)
	}
	return nil
}

func backupRun(e env, p *app.Platform, svc *backup.Service, tenant, kind string) error {
	names := []string{tenant}
	if tenant == "" {
		ts, err := p.Catalogue.List(e.ctx)
		if err != nil {
			return err
		}
		names = names[:0]
		for _, t := range ts {
			names = append(names, t.Name)
		}
	}
	var failed []string
	for _, name := range names {
		bar := newProgress(e.stderr, "backing up "+name)
		r, err := svc.Run(e.ctx, name, kind, bar.report)
		bar.finish()
		switch {
		case backup.IsReplicationError(err):
			fmt.Fprintf(e.stderr, "instanterp: warning: %v\n", err)
		case err != nil:
			if len(names) == 1 {
				return err
			}
			fmt.Fprintf(e.stderr, "instanterp: %v\n", err)
			failed = append(failed, name)
			continue
		}
		fmt.Fprintf(e.stdout, "Backed up %s: %s (%s, %s) verified=%s sites=%s\n", name, r.ID, r.Kind, humanBytes(r.Size),
			verifiedWord(r), strings.Join(verifiedSites(r), ","))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d backups failed: %s", len(failed), len(names), strings.Join(failed, ", "))
	}
	return nil
}

func backupStatus(e env, svc *backup.Service, asJSON bool) error {
	status, err := svc.Status(e.ctx)
	if err != nil {
		return err
	}
	flagged := 0
	for _, s := range status {
		if len(s.Problems) > 0 {
			flagged++
		}
	}
	if asJSON {
		if err := printJSON(e, status); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TENANT\tNEWEST\tAGE\tVERIFIED\tSITES\tDATA CENTRES\tATTENTION")
		for _, s := range status {
			age := "-"
			if s.Newest != "" {
				age = s.Age.Round(time.Minute).String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\t%s\n", s.Tenant, dash(s.Newest), age, s.Verified,
				dash(strings.Join(s.Sites, ",")), dash(strings.Join(s.DataCentres, ",")), dash(strings.Join(s.Problems, "; ")))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if flagged > 0 {
		return fmt.Errorf("%d of %d tenants need attention", flagged, len(status))
	}
	return nil
}

func verifiedWord(r backup.Record) string {
	switch {
	case r.Verified():
		return "yes"
	case r.VerifyError != "":
		return "FAILED"
	}
	return "pending"
}

func verifiedSites(r backup.Record) []string {
	var out []string
	for _, c := range r.Copies {
		if !c.VerifiedAt.IsZero() {
			out = append(out, c.Site+"@"+c.DataCentre)
		}
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// progress draws a bar on a terminal and nothing otherwise.
type progress struct {
	bar *progressbar.ProgressBar
}

func newProgress(w io.Writer, what string) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true), progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond))}
}

func (p *progress) report(done, total int64) {
	if p.bar == nil {
		return
	}
	if p.bar.GetMax64() != total {
		p.bar.ChangeMax64(total)
	}
	p.bar.Set64(done)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

func backupExport(e env, cfg *config.Config, svc *backup.Service, tenant string, link bool) error {
	ex, err := svc.Export(e.ctx, tenant, link)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Exported %s to %s (%s, sha256 %s)\n", ex.Tenant, ex.File, humanBytes(ex.Size), ex.SHA256)
	if link {
		fmt.Fprintf(e.stdout, "Download link (for a signed-in administrator of %s, until %s, %d uses): https://%s.%s/backup/download/%s\n",
			ex.Tenant, ex.Expires.Format(time.RFC3339), backup.DownloadUses, ex.Tenant, cfg.Domain, ex.Token)
	}
	return nil
}

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" }
