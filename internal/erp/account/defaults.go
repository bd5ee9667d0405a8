package account

import (
	"context"
	"errors"

	"github.com/instant-erp/instanterp/internal/orm"
)

// defaultMoveJournal gives a customer invoice or credit note created without a
// journal its company's sales journal, as Odoo does; other entries must name
// theirs.
func defaultMoveJournal(ctx context.Context, env *orm.Env, vals map[string]any) (any, error) {
	if t, _ := vals["move_type"].(string); t != TypeInvoice && t != TypeRefund {
		return nil, nil
	}
	company := moveCompany(env, vals)
	if company == 0 {
		return nil, nil
	}
	journal, err := JournalByType(ctx, env, company, "sale")
	if err != nil {
		return nil, unlessRefusal(err)
	}
	return journal, nil
}

// defaultMoveCurrency gives an entry created without a currency its company's.
func defaultMoveCurrency(ctx context.Context, env *orm.Env, vals map[string]any) (any, error) {
	company := moveCompany(env, vals)
	if company == 0 {
		return nil, nil
	}
	cur, err := CompanyCurrency(ctx, env, company)
	if err != nil {
		return nil, unlessRefusal(err)
	}
	return cur, nil
}

// moveCompany is the company an entry is created in: the one given, else the
// user's; 0 when the value given is not an id.
func moveCompany(env *orm.Env, vals map[string]any) int64 {
	v, given := vals["company_id"]
	if !given {
		return env.Identity().CompanyID
	}
	return IDValue(v)
}

// unlessRefusal drops an error that says the values are wrong (no such company,
// no sales journal): the default is then left out, and the create is refused
// by the checks made on the values themselves, with their messages.
func unlessRefusal(err error) error {
	var (
		missing *orm.MissingError
		user    *orm.UserError
		invalid *orm.ValidationError
		access  *orm.AccessError
	)
	if errors.As(err, &missing) || errors.As(err, &user) || errors.As(err, &invalid) || errors.As(err, &access) {
		return nil
	}
	return err
}
