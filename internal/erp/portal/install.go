package portal

import (
	"context"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Module is what the portal module seeds, step by step (see seed.Step).
func Module() seed.Module {
	return seed.Module{Name: "portal", Steps: []seed.Step{
		// Administrators list and revoke links.
		{Name: "access rights", Run: func(ctx context.Context, env *orm.Env) error {
			return seed.Rights(ctx, env, "portal", []seed.Right{{Model: Model, Group: "base.group_system", Perms: "rwu"}})
		}},
	}}
}
