package app

import (
	"context"

	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// OpenTenantForTest opens a tenant the way the server's router does.
func OpenTenantForTest(ctx context.Context, p *Platform, t tenancy.Tenant) (*store.DB, error) {
	return p.OpenTenant(ctx, t, 1)
}

// InstallEachTenantForTest makes p's provisioner install the ERP into every new
// tenant instead of copying the template: tenant creation as it was before
// templates, for comparison.
func InstallEachTenantForTest(p *Platform) error {
	prov, err := tenancy.NewProvisioner(tenancy.ProvisionerConfig{
		Catalogue: p.Catalogue, Engine: p.Control.Engine, DataDir: p.Config.DataDir,
		Admin: p.Control, AdminURL: p.Config.DatabaseURL, Instance: p.Instance, Sealer: p.Key,
		Initialize: func(ctx context.Context, db *store.DB, t tenancy.Tenant) error {
			if err := erp.Install(ctx, db, p.Registry, t.AdminEmail); err != nil {
				return err
			}
			return recordSchema(ctx, db, p.schema)
		},
	})
	if err != nil {
		return err
	}
	p.Provisioner = prov
	return nil
}
