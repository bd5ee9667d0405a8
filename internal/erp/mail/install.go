package mail

import (
	"context"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Module is what the mail module seeds, step by step (see seed.Step). The change
// history came after the queue: tenants created before it get its access rights
// on upgrade.
func Module() seed.Module {
	return seed.Module{Name: "mail", Steps: []seed.Step{
		// Administrators only: documents queue their mail through Queue after
		// checking the sender's own rights.
		{Name: "outgoing mail access", Run: func(ctx context.Context, env *orm.Env) error {
			return seed.Rights(ctx, env, "mail", []seed.Right{{Model: Model, Group: "base.group_system", Perms: "rwcu"}})
		}},
		{Name: "change history access", Run: installHistory},
	}}
}
