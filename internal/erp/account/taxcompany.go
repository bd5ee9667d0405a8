package account

import (
	"context"
	"fmt"

	"github.com/instant-erp/instanterp/internal/orm"
)

// CheckTaxCompany refuses lines (of model, through field) carrying a tax of
// another company than the line's own, as Odoo's company check does: a tax is
// booked on its company's accounts, so another company's tax would post there.
// env is the check's (the system); every line of ids is checked at once.
func CheckTaxCompany(ctx context.Context, env *orm.Env, model, field string, ids []int64) error {
	lines, err := env.ReadValues(ctx, model, ids, []string{field, "company_id"})
	if err != nil {
		return err
	}
	var taxIDs []int64
	for _, l := range lines {
		taxIDs = append(taxIDs, IDs(l[field])...)
	}
	if len(taxIDs) == 0 {
		return nil
	}
	taxes, err := env.ReadValues(ctx, Tax, uniq(taxIDs), []string{"company_id", "name"})
	if err != nil {
		return err
	}
	companyOf := make(map[int64]int64, len(taxes))
	for _, t := range taxes {
		companyOf[t["id"].(int64)] = M2O(t["company_id"])
	}
	for _, l := range lines {
		company := M2O(l["company_id"])
		for _, t := range IDs(l[field]) {
			if companyOf[t] != company {
				return &orm.ValidationError{Model: model, Field: field,
					Message: fmt.Sprintf("tax %d belongs to another company than the document; pick one of its own company's taxes", t)}
			}
		}
	}
	return nil
}
