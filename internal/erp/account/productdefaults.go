package account

import (
	"context"
	"errors"
	"strings"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// A document line (an order line, an invoice line) that names a product but
// not its description, unit price, unit or taxes takes them from the product,
// as Odoo computes them: a client that creates a line with only a product and
// a quantity gets the same line here as there, and so does a user who leaves
// those cells empty.

// LineDocument is the document a new line belongs to, read from the line's
// values; ok is false when the line is not one that takes product defaults.
type LineDocument func(ctx context.Context, env *orm.Env, vals map[string]any) (doc LineDoc, ok bool, err error)

// LineDoc is what a line's price depends on: the document's currency, company
// and date.
type LineDoc struct {
	Currency, Company int64
	Date              string // YYYY-MM-DD
}

// ProductDefaults are the DefaultFor functions of a line model's description,
// unit price, unit and taxes fields, for lines whose product is in the field
// named product.
type ProductDefaults struct {
	Name, Price, UoM, Taxes orm.DefaultForFunc
}

// invoiceLineDocument is the invoice or credit note a new product line is on;
// other entries' lines take no product defaults.
func invoiceLineDocument(ctx context.Context, env *orm.Env, vals map[string]any) (LineDoc, bool, error) {
	if t, given := vals["display_type"]; given && t != LineProduct {
		return LineDoc{}, false, nil
	}
	move := IDValue(vals["move_id"])
	if move == 0 {
		return LineDoc{}, false, nil
	}
	m, err := readOne(ctx, env, Move, move, "move_type", "currency_id", "company_id", "invoice_date", "date")
	if err != nil {
		return LineDoc{}, false, err
	}
	if t := Str(m["move_type"]); t != TypeInvoice && t != TypeRefund {
		return LineDoc{}, false, nil
	}
	date := Str(m["invoice_date"])
	if date == "" {
		date = Str(m["date"])
	}
	if date == "" {
		date = today(env.Now())
	}
	return LineDoc{Currency: M2O(m["currency_id"]), Company: M2O(m["company_id"]), Date: date}, true, nil
}

// NewProductDefaults builds the defaults of lines whose product is in the
// field product and whose document doc tells.
func NewProductDefaults(product string, doc LineDocument) ProductDefaults {
	// with wraps one default. No product, a line that takes no defaults, or
	// values that are wrong (which the create then refuses with its own
	// message) leave the field without a default; a refusal of the default
	// itself (no exchange rate) refuses the create.
	with := func(fill func(ctx context.Context, env *orm.Env, product int64, d LineDoc) (any, error)) orm.DefaultForFunc {
		return func(ctx context.Context, env *orm.Env, vals map[string]any) (any, error) {
			p := IDValue(vals[product])
			if p == 0 {
				return nil, nil
			}
			d, ok, err := doc(ctx, env, vals)
			if err != nil || !ok {
				return nil, unlessRefusal(err)
			}
			v, err := fill(ctx, env, p, d)
			var refusal *orm.UserError
			if errors.As(err, &refusal) {
				return nil, err // no exchange rate for the document's date, say: the user can act on it
			}
			return v, unlessRefusal(err)
		}
	}
	// fromProduct is a default read from the product's own fields alone,
	// without the document. It reads as the system: the value only goes into
	// a line that links the product, which the create then checks the user
	// may read, and refuses otherwise.
	fromProduct := func(fill func(tmpl map[string]any) any, fields ...string) orm.DefaultForFunc {
		return func(ctx context.Context, env *orm.Env, vals map[string]any) (any, error) {
			p := IDValue(vals[product])
			if p == 0 {
				return nil, nil
			}
			tmpl, err := productTemplate(ctx, env.Sudo(), p, fields...)
			if err != nil {
				return nil, unlessRefusal(err)
			}
			return fill(tmpl), nil
		}
	}
	return ProductDefaults{
		// "[code] name", as Odoo names a product, then its sales description on
		// the lines that follow.
		Name: fromProduct(func(p map[string]any) any {
			name := Str(p["name"])
			if code := Str(p["default_code"]); code != "" {
				name = "[" + code + "] " + name
			}
			if extra := strings.TrimSpace(Str(p["description_sale"])); extra != "" {
				name += "\n" + extra
			}
			return name
		}, "name", "default_code", "description_sale"),
		UoM: fromProduct(func(p map[string]any) any {
			if uom := M2O(p["uom_id"]); uom != 0 {
				return uom
			}
			return nil
		}, "uom_id"),
		Price: with(productPrice),
		Taxes: with(productTaxes),
	}
}

// productPrice is the product's sales price in the document's currency on its
// date, rounded to that currency.
func productPrice(ctx context.Context, env *orm.Env, product int64, d LineDoc) (any, error) {
	tmpl, err := productTemplate(ctx, env.Sudo(), product, "list_price", "currency_id")
	if err != nil {
		return nil, err
	}
	price := Dec(tmpl["list_price"])
	if from := M2O(tmpl["currency_id"]); from != 0 && from != d.Currency {
		// Rates are units of a currency per unit of the company's.
		to, err := RateOn(ctx, env, d.Currency, d.Company, d.Date)
		if err != nil {
			return nil, err
		}
		back, err := RateOn(ctx, env, from, d.Company, d.Date)
		if err != nil {
			return nil, err
		}
		price = money.Div(money.Mul(price, to), back)
	}
	digits, err := CurrencyDigits(ctx, env, d.Currency)
	if err != nil {
		return nil, err
	}
	return money.Round(price, digits).Text('f'), nil
}

// productTaxes are the product's customer taxes that belong to the document's
// company and are sales taxes.
func productTaxes(ctx context.Context, env *orm.Env, product int64, d LineDoc) (any, error) {
	tmpl, err := productTemplate(ctx, env.Sudo(), product, "taxes_id")
	if err != nil {
		return nil, err
	}
	taxes := IDs(tmpl["taxes_id"])
	if len(taxes) == 0 {
		return nil, nil
	}
	// The product may carry other companies' taxes, which the user need not
	// be able to read: only their ids are compared.
	own, err := env.Sudo().Search(ctx, Tax, seed.Dom("id", "in", taxes, "company_id", "=", d.Company, "type_tax_use", "=", "sale"), orm.SearchOptions{Order: "sequence, id"})
	if err != nil {
		return nil, err
	}
	return []any{[]any{int64(6), int64(0), own}}, nil
}

// productTemplate reads fields of a product variant's template: two plain
// reads, where the variant's related fields would cost one more each.
func productTemplate(ctx context.Context, env *orm.Env, product int64, fields ...string) (map[string]any, error) {
	p, err := readOne(ctx, env, "product.product", product, "product_tmpl_id")
	if err != nil {
		return nil, err
	}
	return readOne(ctx, env, "product.template", M2O(p["product_tmpl_id"]), fields...)
}

// IDValue is a record id given in values: an int64, an int or a whole float
// (JSON numbers); 0 for anything else.
func IDValue(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return 0
}
