package account

import (
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/money"
)

func pct(id int64, rate string, included bool) TaxSpec {
	return TaxSpec{ID: id, AmountType: "percent", Amount: money.MustParse(rate), PriceInclude: included, Sequence: id}
}

func fixedTax(id int64, amount string, included bool) TaxSpec {
	return TaxSpec{ID: id, AmountType: "fixed", Amount: money.MustParse(amount), PriceInclude: included, Sequence: id}
}

type goldenLine struct {
	price, qty, disc string
	taxes            []TaxSpec
}

func (l goldenLine) input() LineInput {
	d := l.disc
	if d == "" {
		d = "0"
	}
	return LineInput{PriceUnit: money.MustParse(l.price), Quantity: money.MustParse(l.qty), Discount: money.MustParse(d), Taxes: l.taxes}
}

// Every expected value below was computed by hand; the comment shows the working.
func TestComputeTotalsGolden(t *testing.T) {
	t15 := pct(1, "15", false)
	cases := []struct {
		name                 string
		digits               int
		method               string
		lines                []goldenLine
		untaxed, tax, total  string
		firstSubtotal, first string // first line's subtotal and total
	}{
		// 3 × 100 = 300; 15% = 45.
		{"excluded", 2, RoundPerLine, []goldenLine{{"100", "3", "", []TaxSpec{t15}}}, "300.00", "45.00", "345.00", "300.00", "345.00"},
		// 115 / 1.15 = 100; tax 15.
		{"included", 2, RoundPerLine, []goldenLine{{"115", "1", "", []TaxSpec{pct(1, "15", true)}}}, "100.00", "15.00", "115.00", "100.00", "115.00"},
		// 10 / 1.21 = 8.2644…; tax 1.7355… → 1.74; without tax 10 − 1.74 = 8.26.
		{"included 21% per line", 2, RoundPerLine, []goldenLine{{"10", "1", "", []TaxSpec{pct(1, "21", true)}}}, "8.26", "1.74", "10.00", "8.26", "10.00"},
		// 99.99 × 0.9 × 3 = 269.973 → 269.97; 15% of 269.97 = 40.4955 → 40.50.
		{"discount per line", 2, RoundPerLine, []goldenLine{{"99.99", "3", "10", []TaxSpec{t15}}}, "269.97", "40.50", "310.47", "269.97", "310.47"},
		// 269.973 × 15% = 40.49595 → 40.50 once for the document.
		{"discount globally", 2, RoundGlobally, []goldenLine{{"99.99", "3", "10", []TaxSpec{t15}}}, "269.97", "40.50", "310.47", "269.97", "310.47"},
		// 3 lines of 1.05 at 7%: 0.0735 → 0.07 each, 0.21 in all.
		{"three lines per line", 2, RoundPerLine, []goldenLine{
			{"1.05", "1", "", []TaxSpec{pct(1, "7", false)}}, {"1.05", "1", "", []TaxSpec{pct(1, "7", false)}}, {"1.05", "1", "", []TaxSpec{pct(1, "7", false)}},
		}, "3.15", "0.21", "3.36", "1.05", "1.12"},
		// the same globally: 3 × 0.0735 = 0.2205 → 0.22.
		{"three lines globally", 2, RoundGlobally, []goldenLine{
			{"1.05", "1", "", []TaxSpec{pct(1, "7", false)}}, {"1.05", "1", "", []TaxSpec{pct(1, "7", false)}}, {"1.05", "1", "", []TaxSpec{pct(1, "7", false)}},
		}, "3.15", "0.22", "3.37", "1.05", "1.12"},
		// JPY: 1999 × 3 × 0.9 = 5397.3 → 5397; 8% of 5397 = 431.76 → 432.
		{"zero decimals per line", 0, RoundPerLine, []goldenLine{{"1999", "3", "10", []TaxSpec{pct(1, "8", false)}}}, "5397", "432", "5829", "5397", "5829"},
		// globally: 8% of 5397.3 = 431.784 → 432.
		{"zero decimals globally", 0, RoundGlobally, []goldenLine{{"1999", "3", "10", []TaxSpec{pct(1, "8", false)}}}, "5397", "432", "5829", "5397", "5829"},
		// JPY included 10%: 1100 / 1.1 = 1000; 7 units: 7700 → 7000 + 700.
		{"zero decimals included", 0, RoundPerLine, []goldenLine{{"1100", "7", "", []TaxSpec{pct(1, "10", true)}}}, "7000", "700", "7700", "7000", "7700"},
		// KWD: 1.234 × 7 = 8.638; 5% = 0.4319 → 0.432.
		{"three decimals", 3, RoundPerLine, []goldenLine{{"1.234", "7", "", []TaxSpec{pct(1, "5", false)}}}, "8.638", "0.432", "9.070", "8.638", "9.070"},
		// KWD included 5%: 2.000 / 1.05 = 1.90476…; tax 0.09523… → 0.095; 2.000 − 0.095 = 1.905.
		{"three decimals included", 3, RoundPerLine, []goldenLine{{"2", "1", "", []TaxSpec{pct(1, "5", true)}}}, "1.905", "0.095", "2.000", "1.905", "2.000"},
		// fixed 2.50 per unit and 10%, both excluded: 80 + 10 + 8.
		{"fixed and percent", 2, RoundPerLine, []goldenLine{{"20", "4", "", []TaxSpec{fixedTax(1, "2.50", false), pct(2, "10", false)}}}, "80.00", "18.00", "98.00", "80.00", "98.00"},
		// fixed 1.00 included: 2 × 11 = 22 − 2 = 20.
		{"fixed included", 2, RoundPerLine, []goldenLine{{"11", "2", "", []TaxSpec{fixedTax(1, "1", true)}}}, "20.00", "2.00", "22.00", "20.00", "22.00"},
		// 12% included and 5% excluded: 112 / 1.12 = 100; 12 + 5.
		{"included and excluded", 2, RoundPerLine, []goldenLine{{"112", "1", "", []TaxSpec{pct(1, "12", true), pct(2, "5", false)}}}, "100.00", "17.00", "117.00", "100.00", "117.00"},
		// no taxes, fractional quantity: 2.5 × 19.99 = 49.975 → 49.98.
		{"no tax", 2, RoundPerLine, []goldenLine{{"19.99", "2.5", "", nil}}, "49.98", "0.00", "49.98", "49.98", "49.98"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in []LineInput
			for _, l := range c.lines {
				in = append(in, l.input())
			}
			got := ComputeTotals(in, c.digits, c.method)
			for _, p := range []struct{ what, got, want string }{
				{"untaxed", money.Format(got.Untaxed, c.digits), c.untaxed},
				{"tax", money.Format(got.Tax, c.digits), c.tax},
				{"total", money.Format(got.Total, c.digits), c.total},
				{"first subtotal", money.Format(got.Lines[0].Subtotal, c.digits), c.firstSubtotal},
				{"first total", money.Format(got.Lines[0].Total, c.digits), c.first},
			} {
				if p.got != p.want {
					t.Errorf("%s = %s, want %s", p.what, p.got, p.want)
				}
			}
			sum := money.Zero()
			for _, bt := range got.ByTax {
				sum = money.Add(sum, bt.Amount)
			}
			if money.Cmp(sum, got.Tax) != 0 {
				t.Errorf("taxes by tax add up to %s, not %s", sum, got.Tax)
			}
		})
	}
}
