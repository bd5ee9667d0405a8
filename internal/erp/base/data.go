package base

import (
	"embed"
	"encoding/csv"
	"fmt"
	"slices"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// data holds ISO 3166-1 countries and ISO 4217 currencies, generated from
// Debian's iso-codes package.
//
//go:embed data/*.csv
var data embed.FS

type isoRow struct{ code, name string }

func readISO(file string) ([]isoRow, error) {
	f, err := data.Open("data/" + file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	out := make([]isoRow, 0, len(recs))
	for i, r := range recs {
		if i == 0 {
			continue
		}
		if len(r) != 2 {
			return nil, fmt.Errorf("read %s: line %d has %d columns", file, i+1, len(r))
		}
		out = append(out, isoRow{code: r[0], name: r[1]})
	}
	return out, nil
}

// commonCurrencies are active on a new tenant; the others are seeded archived.
func commonCurrency(code string) bool {
	return slices.Contains([]string{"USD", "EUR", "JPY", "GBP", "CNY", "AUD", "CAD", "CHF", "HKD", "SGD",
		"SEK", "KRW", "NOK", "NZD", "INR", "MXN", "TWD", "ZAR", "BRL", "DKK", "PLN", "THB", "ILS", "IDR",
		"CZK", "AED", "TRY", "HUF", "CLP", "SAR", "PHP", "MYR", "COP", "RON"}, code)
}

// decimalPlaces is the number of decimals amounts in the currency carry (CLDR).
func decimalPlaces(code string) int64 {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return int64(scale)
}

func currencySymbol(code string) string {
	u, err := currency.ParseISO(code)
	if err != nil {
		return code
	}
	return message.NewPrinter(language.English).Sprint(currency.NarrowSymbol(u))
}
