package account

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/orm"
)

// M2O returns the id of a many2one value as Read returns it ([id, name] or false).
func M2O(v any) int64 {
	if p, ok := v.([]any); ok && len(p) == 2 {
		if id, ok := p[0].(int64); ok {
			return id
		}
	}
	if id, ok := v.(int64); ok {
		return id
	}
	return 0
}

// M2OName returns the display name of a many2one value as Read returns it
// ([id, name]), "" for false.
func M2OName(v any) string {
	if p, ok := v.([]any); ok && len(p) == 2 {
		s, _ := p[1].(string)
		return s
	}
	return ""
}

// Dec returns a monetary or float value as Read returns it as an exact decimal.
func Dec(v any) *apd.Decimal {
	d, err := money.From(v)
	if err != nil {
		return money.Zero()
	}
	return d
}

// Str returns a text value, "" for false.
func Str(v any) string {
	s, _ := v.(string)
	return s
}

// IDs returns an x2many value.
func IDs(v any) []int64 {
	ids, _ := v.([]int64)
	return ids
}

func readOne(ctx context.Context, env *orm.Env, model string, id int64, fields ...string) (map[string]any, error) {
	recs, err := env.ReadValues(ctx, model, []int64{id}, fields)
	if err != nil {
		return nil, err
	}
	return recs[0], nil
}

// CurrencyDigits returns the decimal places of a currency.
func CurrencyDigits(ctx context.Context, env *orm.Env, currencyID int64) (int, error) {
	if currencyID == 0 {
		return 0, &orm.ValidationError{Message: "a currency is required"}
	}
	return memo(ctx, "digits", currencyID, func() (int, error) {
		r, err := readOne(ctx, env.Sudo(), "res.currency", currencyID, "decimal_places")
		if err != nil {
			return 0, err
		}
		return int(r["decimal_places"].(int64)), nil
	})
}

// CompanyCurrency returns the currency of a company.
func CompanyCurrency(ctx context.Context, env *orm.Env, companyID int64) (int64, error) {
	return memo(ctx, "company-currency", companyID, func() (int64, error) { return companyCurrency(ctx, env, companyID) })
}

func companyCurrency(ctx context.Context, env *orm.Env, companyID int64) (int64, error) {
	r, err := readOne(ctx, env.Sudo(), "res.company", companyID, "currency_id")
	if err != nil {
		return 0, err
	}
	if M2O(r["currency_id"]) == 0 {
		return 0, &orm.UserError{Message: "the company has no currency; set one in its settings"}
	}
	return M2O(r["currency_id"]), nil
}

// RoundingMethod returns the company's tax rounding method.
func RoundingMethod(ctx context.Context, env *orm.Env, companyID int64) (string, error) {
	return memo(ctx, "rounding", companyID, func() (string, error) { return roundingMethod(ctx, env, companyID) })
}

func roundingMethod(ctx context.Context, env *orm.Env, companyID int64) (string, error) {
	r, err := readOne(ctx, env.Sudo(), "res.company", companyID, "tax_calculation_rounding_method")
	if err != nil {
		return "", err
	}
	if m := Str(r["tax_calculation_rounding_method"]); m != "" {
		return m, nil
	}
	return RoundPerLine, nil
}

// TaxSpecs reads taxes for computation, those not yet memoised in one query.
func TaxSpecs(ctx context.Context, env *orm.Env, ids []int64) ([]TaxSpec, error) {
	l, _ := ctx.Value(lookupsKey{}).(*lookups)
	known := make(map[int64]TaxSpec, len(ids))
	var missing []int64
	for _, id := range ids {
		if l != nil {
			if t, ok := l.values[fmt.Sprintf("tax/%d", id)]; ok {
				known[id] = t.(TaxSpec)
				continue
			}
		}
		missing = append(missing, id)
	}
	if len(missing) > 0 {
		recs, err := env.Sudo().ReadValues(ctx, "account.tax", missing, []string{"name", "amount_type", "amount", "price_include", "account_id", "sequence"})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			id := r["id"].(int64)
			t := TaxSpec{ID: id, Name: Str(r["name"]), AmountType: Str(r["amount_type"]), Amount: Dec(r["amount"]),
				PriceInclude: r["price_include"] == true, AccountID: M2O(r["account_id"]), Sequence: r["sequence"].(int64)}
			known[id] = t
			if l != nil {
				l.values[fmt.Sprintf("tax/%d", id)] = t
			}
		}
	}
	out := make([]TaxSpec, 0, len(ids))
	for _, id := range ids {
		out = append(out, known[id])
	}
	return out, nil
}

// CheckDigits refuses an amount with more decimals than its currency has.
func CheckDigits(model, field string, d *apd.Decimal, digits int) error {
	if money.Decimals(d) > digits {
		return &orm.ValidationError{Model: model, Field: field,
			Message: fmt.Sprintf("the amount %s has more decimals than the currency allows (%d)", d.Text('f'), digits)}
	}
	return nil
}

// today is the current date in UTC, as a date field stores it.
func today(now time.Time) string { return now.UTC().Format(orm.DateLayout) }
