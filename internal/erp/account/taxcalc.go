package account

import (
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
)

// Tax rounding methods, as Odoo names the company setting.
const (
	RoundPerLine  = "round_per_line"
	RoundGlobally = "round_globally"
)

// TaxSpec is what the computation needs of an account.tax.
type TaxSpec struct {
	ID           int64
	Name         string
	AmountType   string       // "percent" or "fixed" (per unit)
	Amount       *apd.Decimal // the rate in percent, or the fixed amount per unit
	PriceInclude bool
	AccountID    int64
	Sequence     int64
}

// LineInput is one priced line: unit price, quantity, discount in percent, taxes.
type LineInput struct {
	PriceUnit *apd.Decimal
	Quantity  *apd.Decimal
	Discount  *apd.Decimal
	Taxes     []TaxSpec
}

// TaxAmount is the amount of one tax on a line or a document, with its base.
type TaxAmount struct {
	Tax    TaxSpec
	Base   *apd.Decimal
	Amount *apd.Decimal
}

// LineResult is a computed line. Subtotal, Tax and Total are rounded to the
// currency; Taxes are rounded when rounding per line and exact otherwise, so that
// global rounding happens once per tax on the document.
type LineResult struct {
	Subtotal *apd.Decimal
	Tax      *apd.Decimal
	Total    *apd.Decimal
	Taxes    []TaxAmount
}

// Totals are a document's rounded amounts and its amount per tax.
type Totals struct {
	Untaxed *apd.Decimal
	Tax     *apd.Decimal
	Total   *apd.Decimal
	ByTax   []TaxAmount
	Lines   []LineResult
}

// ComputeLine computes one line in a currency with digits decimals. Taxes included
// in the price are taken out of it first (percentages together, as one divisor),
// then taxes excluded from the price are added on the amount without tax.
func ComputeLine(in LineInput, digits int, method string) LineResult {
	perLine := method != RoundGlobally
	qty := orZero(in.Quantity)
	price := orZero(in.PriceUnit)
	disc := orZero(in.Discount)
	gross := money.Mul(money.Mul(price, money.Sub(money.Int(1), money.Div(disc, money.Int(100)))), qty)
	if perLine {
		gross = money.Round(gross, digits)
	}
	taxes := slices.Clone(in.Taxes)
	slices.SortStableFunc(taxes, func(a, b TaxSpec) int {
		switch {
		case a.Sequence < b.Sequence:
			return -1
		case a.Sequence > b.Sequence:
			return 1
		}
		return 0
	})

	rate, fixed := money.Zero(), money.Zero()
	for _, t := range taxes {
		if !t.PriceInclude {
			continue
		}
		if t.AmountType == "fixed" {
			fixed = money.Add(fixed, money.Mul(t.Amount, qty))
		} else {
			rate = money.Add(rate, t.Amount)
		}
	}
	excluded := money.Div(money.Sub(gross, fixed), money.Add(money.Int(1), money.Div(rate, money.Int(100))))
	amounts := make([]*apd.Decimal, len(taxes))
	included := money.Zero()
	for i, t := range taxes {
		if !t.PriceInclude {
			continue
		}
		a := taxAmount(t, excluded, qty)
		if perLine {
			a = money.Round(a, digits)
		}
		amounts[i] = a
		included = money.Add(included, a)
	}
	if perLine {
		// The price with tax stays exactly what the customer was quoted.
		excluded = money.Sub(gross, included)
	}
	for i, t := range taxes {
		if t.PriceInclude {
			continue
		}
		a := taxAmount(t, excluded, qty)
		if perLine {
			a = money.Round(a, digits)
		}
		amounts[i] = a
	}
	res := LineResult{Subtotal: money.Round(excluded, digits)}
	sum := money.Zero()
	for i, t := range taxes {
		res.Taxes = append(res.Taxes, TaxAmount{Tax: t, Base: res.Subtotal, Amount: amounts[i]})
		sum = money.Add(sum, amounts[i])
	}
	res.Tax = money.Round(sum, digits)
	res.Total = money.Add(res.Subtotal, res.Tax)
	return res
}

func taxAmount(t TaxSpec, base, qty *apd.Decimal) *apd.Decimal {
	if t.AmountType == "fixed" {
		return money.Mul(t.Amount, qty)
	}
	return money.Percent(base, t.Amount)
}

func orZero(d *apd.Decimal) *apd.Decimal {
	if d == nil {
		return money.Zero()
	}
	return d
}

// ComputeTotals computes every line and the document's totals. Rounding per line
// adds the rounded tax of each line; rounding globally adds each tax's exact
// amounts over the lines and rounds the sum once.
func ComputeTotals(lines []LineInput, digits int, method string) Totals {
	out := Totals{Untaxed: money.Zero(), Tax: money.Zero()}
	index := map[int64]int{}
	for _, in := range lines {
		r := ComputeLine(in, digits, method)
		out.Lines = append(out.Lines, r)
		out.Untaxed = money.Add(out.Untaxed, r.Subtotal)
		for _, ta := range r.Taxes {
			i, ok := index[ta.Tax.ID]
			if !ok {
				i = len(out.ByTax)
				index[ta.Tax.ID] = i
				out.ByTax = append(out.ByTax, TaxAmount{Tax: ta.Tax, Base: money.Zero(), Amount: money.Zero()})
			}
			out.ByTax[i].Base = money.Add(out.ByTax[i].Base, ta.Base)
			out.ByTax[i].Amount = money.Add(out.ByTax[i].Amount, ta.Amount)
		}
	}
	for i := range out.ByTax {
		out.ByTax[i].Amount = money.Round(out.ByTax[i].Amount, digits)
		out.Tax = money.Add(out.Tax, out.ByTax[i].Amount)
	}
	out.Total = money.Add(out.Untaxed, out.Tax)
	return out
}
