package app

import (
	"context"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// OpenTenantForTest opens a tenant the way the server's router does.
func OpenTenantForTest(ctx context.Context, p *Platform, t tenancy.Tenant) (*store.DB, error) {
	return p.openTenant(ctx, t, 1)
}
