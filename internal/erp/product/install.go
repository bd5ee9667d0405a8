package product

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Module is what the product module seeds, step by step (see seed.Step). The
// groups its rights name must exist: the sales and invoicing modules run first.
func Module() seed.Module {
	return seed.Module{Name: "product", Steps: []seed.Step{
		{Name: "units and categories", Run: seedUnitsAndCategories},
		{Name: "access rights", Run: func(ctx context.Context, env *orm.Env) error {
			var rights []seed.Right
			for _, m := range []string{"uom.uom", "product.category", "product.template", "product.product"} {
				rights = append(rights,
					seed.Right{Model: m, Group: "base.group_user", Perms: "r"},
					seed.Right{Model: m, Group: groupSaleManager, Perms: "rwcu"},
					seed.Right{Model: m, Group: groupAccountManager, Perms: "rwcu"})
			}
			return seed.Rights(ctx, env, "product", rights)
		}},
		{Name: "record rules", Run: func(ctx context.Context, env *orm.Env) error {
			return seed.Rules(ctx, env, "product", []seed.Rule{
				{Name: "product template: multi-company", Model: "product.template", Domain: seed.MultiCompany},
				{Name: "product: multi-company", Model: "product.product", Domain: seed.MultiCompany},
			})
		}},
	}}
}

// seedUnitsAndCategories gives a tenant without units or categories the default
// ones; a tenant that has some keeps them as they are.
func seedUnitsAndCategories(ctx context.Context, env *orm.Env) error {
	n, err := env.SearchCount(ctx, "uom.uom", domain.Domain{}, orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := env.Create(ctx, "uom.uom", units()); err != nil {
			return fmt.Errorf("seed units: %w", err)
		}
	}
	if n, err = env.SearchCount(ctx, "product.category", domain.Domain{}, orm.SearchOptions{IncludeArchived: true}); err != nil || n > 0 {
		return err
	}
	all, err := env.Create(ctx, "product.category", []map[string]any{{"name": "All"}})
	if err != nil {
		return fmt.Errorf("seed categories: %w", err)
	}
	if _, err := env.Create(ctx, "product.category", []map[string]any{{"name": "Saleable", "parent_id": all[0]}}); err != nil {
		return fmt.Errorf("seed categories: %w", err)
	}
	return nil
}
