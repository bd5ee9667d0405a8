package account

import (
	"context"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// AgedBuckets name the columns of the aged receivables report.
var AgedBuckets = []string{"not_due", "1-30", "31-60", "61-90", "older"}

// AgedRow is one customer's open receivables in the company's currency, by how
// many days past due they are on the report date.
type AgedRow struct {
	PartnerID   int64
	PartnerName string
	Buckets     [5]*apd.Decimal
	Total       *apd.Decimal
}

// AgedReceivables sums the open posted receivable items the user may read, per
// customer and age. Amounts are exact, in the company's currency.
func AgedReceivables(ctx context.Context, env *orm.Env, date string) ([]AgedRow, error) {
	asOf, err := time.Parse(orm.DateLayout, date)
	if err != nil {
		return nil, &orm.ValidationError{Message: "the report date must be YYYY-MM-DD"}
	}
	dom := seed.Dom("account_id.account_type", "=", "asset_receivable", "parent_state", "=", StatePosted,
		"reconciled", "=", false, "date", "<=", date)
	rows := map[int64]*AgedRow{}
	for offset := 0; ; {
		page, err := env.SearchRead(ctx, MoveLine, dom, []string{"partner_id", "amount_residual", "date_maturity", "date"},
			orm.SearchOptions{Limit: 1000, Offset: offset, Order: "id"})
		if err != nil {
			return nil, err
		}
		for _, l := range page {
			res := Dec(l["amount_residual"])
			if res.IsZero() {
				continue
			}
			p := M2O(l["partner_id"])
			row := rows[p]
			if row == nil {
				row = &AgedRow{PartnerID: p, Total: money.Zero()}
				if pair, ok := l["partner_id"].([]any); ok {
					row.PartnerName, _ = pair[1].(string)
				}
				for i := range row.Buckets {
					row.Buckets[i] = money.Zero()
				}
				rows[p] = row
			}
			due := Str(l["date_maturity"])
			if due == "" {
				due = Str(l["date"])
			}
			b := bucket(asOf, due)
			row.Buckets[b] = money.Add(row.Buckets[b], res)
			row.Total = money.Add(row.Total, res)
		}
		if len(page) < 1000 {
			break
		}
		offset += len(page)
	}
	out := make([]AgedRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b AgedRow) int {
		if a.PartnerName != b.PartnerName {
			if a.PartnerName < b.PartnerName {
				return -1
			}
			return 1
		}
		return int(a.PartnerID - b.PartnerID)
	})
	return out, nil
}

func bucket(asOf time.Time, due string) int {
	d, err := time.Parse(orm.DateLayout, due)
	if err != nil {
		return 0
	}
	days := int(asOf.Sub(d).Hours() / 24)
	switch {
	case days <= 0:
		return 0
	case days <= 30:
		return 1
	case days <= 60:
		return 2
	case days <= 90:
		return 3
	}
	return 4
}

func agedToValues(rows []AgedRow) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := map[string]any{"partner_id": []any{r.PartnerID, r.PartnerName}, "total": r.Total.Text('f')}
		if r.PartnerID == 0 {
			m["partner_id"] = false
		}
		for j, name := range AgedBuckets {
			m[name] = r.Buckets[j].Text('f')
		}
		out[i] = m
	}
	return out
}
