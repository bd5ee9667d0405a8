package base

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/orm"
)

// PartnerCategory is the model of contact tags, as Odoo names it.
const PartnerCategory = "res.partner.category"

// maxCategoryDepth bounds the chain of parents followed when a tag is saved: a
// deeper tree is refused rather than walked without end.
const maxCategoryDepth = 32

// maxCategoryColor is the last colour index of Odoo's tag palette (0 is none).
const maxCategoryColor = 11

func partnerCategoryModel() *orm.Model {
	return &orm.Model{
		Name: PartnerCategory, Description: "Partner Tags", Order: "name, id",
		Fields: []*orm.Field{
			{Name: "name", Type: orm.Char, Required: true, String: "Tag Name", Size: 128},
			{Name: "color", Type: orm.Integer, String: "Color Index"},
			{Name: "parent_id", Type: orm.Many2one, Comodel: PartnerCategory, Index: true, OnDelete: orm.Cascade, String: "Parent Category"},
			{Name: "child_ids", Type: orm.One2many, Comodel: PartnerCategory, InverseName: "parent_id", String: "Child Tags"},
			{Name: "active", Type: orm.Boolean, Default: true, Help: "archived tags are hidden from the pickers but stay on the contacts that have them"},
			{Name: "partner_ids", Type: orm.Many2many, Comodel: "res.partner", Relation: "res_partner_res_partner_category_rel",
				Column1: "category_id", Column2: "partner_id", String: "Partners"},
		},
		SQLConstraints: []orm.SQLConstraint{{Name: "name_parent_uniq", Fields: []string{"name", "parent_id"}, Message: "a tag name must be unique under its parent"}},
		Checks:         []orm.Check{{Name: "category_tree", Fields: []string{"parent_id", "color"}, Func: checkCategories}},
	}
}

// checkCategories refuses a colour outside the palette and a parent that makes
// the tags a cycle (or a chain deeper than maxCategoryDepth).
func checkCategories(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.ReadValues(ctx, PartnerCategory, ids, []string{"parent_id", "color"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if c, _ := r["color"].(int64); c < 0 || c > maxCategoryColor {
			return &orm.ValidationError{Model: PartnerCategory, Field: "color", Message: fmt.Sprintf("the colour index is from 0 to %d", maxCategoryColor)}
		}
		self := r["id"].(int64)
		cur, _ := r["parent_id"].(int64)
		for depth := 0; cur != 0; depth++ {
			if cur == self {
				return &orm.ValidationError{Model: PartnerCategory, Field: "parent_id", Message: "a tag cannot be its own parent, directly or through others"}
			}
			if depth == maxCategoryDepth {
				return &orm.ValidationError{Model: PartnerCategory, Field: "parent_id", Message: fmt.Sprintf("tags nest at most %d deep", maxCategoryDepth)}
			}
			up, err := env.ReadValues(ctx, PartnerCategory, []int64{cur}, []string{"parent_id"})
			if err != nil {
				return err
			}
			cur, _ = up[0]["parent_id"].(int64)
		}
	}
	return nil
}
