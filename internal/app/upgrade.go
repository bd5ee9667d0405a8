package app

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// schemaParameter records, in each tenant database, the schema (and seeds) it was
// brought to.
const schemaParameter = "database.schema_fingerprint"

// schemaFingerprint identifies the tenant schema this build expects: the fixed
// migrations, the stored shape of every model in the registry, and the seed
// steps of every module, so that a build adding only a seed step upgrades too.
func schemaFingerprint(reg *orm.Registry, seeds []seed.Module) (string, error) {
	digest, err := store.MigrationsDigest(store.TenantSchema)
	if err != nil {
		return "", fmt.Errorf("tenant migrations: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(digest))
	for _, m := range reg.Models() {
		fmt.Fprintf(h, "\nmodel %s %s", m.Name, m.Table)
		for _, f := range m.Fields {
			var sel []string
			for _, o := range f.Selection {
				sel = append(sel, fmt.Sprint(o))
			}
			fmt.Fprintf(h, "\n %s %s %s %s %s %s %s %v %v %v %d %s %s",
				f.Name, f.Type, f.Comodel, f.InverseName, f.Relation, f.Column1, f.Column2,
				f.Required, f.Index, f.Store, f.Size, f.Related, strings.Join(sel, ","))
		}
	}
	for _, m := range seeds {
		fmt.Fprintf(h, "\nseed %s %d", m.Name, len(m.Steps))
		for _, st := range m.Steps {
			fmt.Fprintf(h, "\n %s", st.Name)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// OpenTenant opens a tenant's database to work on its records: the server's
// router opens every tenant through it, and so do the commands that act on a
// tenant's users or data, so that no one works on a tenant below the seed level
// of the running build. On the first open after an upgrade of the program it
// brings the schema forward (additive changes only) and runs the seed steps the
// tenant lacks (erp.Upgrade). When nothing changed this costs one read.
//
// A seed step that fails was rolled back: the tenant keeps this build's schema and
// the seed level it had, as the older build served it, so it is opened and the
// error is logged naming module and step. Its fingerprint is not recorded, so the
// next open tries the step again. Any other failure refuses the tenant.
func (p *Platform) OpenTenant(ctx context.Context, t tenancy.Tenant, conns int) (*store.DB, error) {
	db, err := p.Storage.Open(ctx, t, conns)
	if err != nil {
		return nil, err
	}
	if err := p.upgradeTenant(ctx, db); err != nil {
		var step *seed.StepError
		if errors.As(err, &step) {
			p.Log.Error("tenant seed upgrade failed; using it at its previous seed level",
				"tenant", t.Name, "module", step.Module, "step", step.Step, "step_name", step.Name, "err", err)
			return db, nil
		}
		db.Close()
		return nil, fmt.Errorf("upgrade tenant %q: %w", t.Name, err)
	}
	return db, nil
}

func (p *Platform) upgradeTenant(ctx context.Context, db *store.DB) error {
	var current string
	err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT value FROM ir_config_parameter WHERE key = ?"), schemaParameter).Scan(&current)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if current == p.schema {
		return nil
	}
	if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
		return err
	}
	if err := p.Registry.Migrate(ctx, db); err != nil {
		return err
	}
	if _, err := erp.Upgrade(ctx, db, p.Registry, p.seeds); err != nil {
		return err
	}
	return recordSchema(ctx, db, p.schema)
}

func recordSchema(ctx context.Context, db *store.DB, fingerprint string) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.Rebind("DELETE FROM ir_config_parameter WHERE key = ?"), schemaParameter); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.Rebind("INSERT INTO ir_config_parameter (key, value) VALUES (?, ?)"), schemaParameter, fingerprint)
		return err
	})
}
