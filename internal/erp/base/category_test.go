package base

import (
	"context"
	"errors"
	"testing"

	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestPartnerCategories(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		var vip, gold, partner int64
		w.sudo(func(ctx context.Context, env *orm.Env) (err error) {
			if vip, err = create(ctx, env, PartnerCategory, map[string]any{"name": "VIP", "color": int64(2)}); err != nil {
				return err
			}
			if gold, err = create(ctx, env, PartnerCategory, map[string]any{"name": "Gold", "parent_id": vip}); err != nil {
				return err
			}
			partner, err = create(ctx, env, "res.partner", map[string]any{"name": "Tagged", "company_id": w.companyA,
				"category_id": []any{[]any{6, 0, []any{vip, gold}}}})
			return err
		})
		err := w.as(w.roles["userA"], func(ctx context.Context, env *orm.Env) error {
			found, err := env.Search(ctx, "res.partner", leaf("category_id", "in", []any{gold}), orm.SearchOptions{})
			if err != nil {
				return err
			}
			if len(found) != 1 || found[0] != partner {
				t.Errorf("partners tagged Gold: %v, want [%d]", found, partner)
			}
			recs, err := env.Read(ctx, PartnerCategory, []int64{vip}, []string{"partner_ids", "child_ids"})
			if err != nil {
				return err
			}
			if ps := recs[0]["partner_ids"].([]int64); len(ps) != 1 || ps[0] != partner {
				t.Errorf("partner_ids of VIP: %v", ps)
			}
			if cs := recs[0]["child_ids"].([]int64); len(cs) != 1 || cs[0] != gold {
				t.Errorf("child_ids of VIP: %v", cs)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		refusals := []struct {
			name  string
			id    int64
			vals  map[string]any
			field string
		}{
			{"own parent", vip, map[string]any{"parent_id": vip}, "parent_id"},
			{"cycle through a child", vip, map[string]any{"parent_id": gold}, "parent_id"},
			{"colour below the palette", gold, map[string]any{"color": int64(-1)}, "color"},
			{"colour above the palette", gold, map[string]any{"color": int64(maxCategoryColor + 1)}, "color"},
		}
		for _, r := range refusals {
			err := w.as(w.roles["userA"], func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, PartnerCategory, []int64{r.id}, r.vals)
			})
			var ve *orm.ValidationError
			if !errors.As(err, &ve) || ve.Field != r.field {
				t.Errorf("%s: got %v, want a refusal of %s", r.name, err, r.field)
			}
		}
		// The portal user neither reads the tags nor learns them through a contact.
		err = w.as(w.roles["portal"], func(ctx context.Context, env *orm.Env) error {
			_, err := env.Read(ctx, PartnerCategory, []int64{vip}, []string{"name"})
			return err
		})
		var ae *orm.AccessError
		if !errors.As(err, &ae) {
			t.Errorf("portal reads a tag: %v", err)
		}
	})
}
