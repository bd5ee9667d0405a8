package base

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// NextByCode returns the next number of the active sequence with this code for the
// env's company (a sequence without company serves every company). Numbers are
// taken by an UPDATE that locks the sequence row until the transaction ends, so
// concurrent transactions queue, and a rolled-back transaction gives its number
// back: no gaps, no duplicates.
func NextByCode(ctx context.Context, env *orm.Env, code string) (string, error) {
	id := env.Identity()
	su := env.Sudo()
	ids, err := su.Search(ctx, "ir.sequence", leaf("code", "=", code), orm.SearchOptions{Order: "company_id desc, id"})
	if err != nil {
		return "", err
	}
	var seqID int64
	recs, err := su.ReadValues(ctx, "ir.sequence", ids, []string{"company_id"})
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		c, ok := r["company_id"].(int64)
		if ok && c == id.CompanyID {
			seqID = r["id"].(int64)
			break
		}
		if !ok && seqID == 0 {
			seqID = r["id"].(int64)
		}
	}
	if seqID == 0 {
		return "", &orm.UserError{Message: fmt.Sprintf("no sequence with code %q is configured for your company", code)}
	}
	return nextNumber(ctx, env, seqID)
}

func nextNumber(ctx context.Context, env *orm.Env, seqID int64) (string, error) {
	rb := &store.DB{Engine: env.Engine()}
	var number int64
	q := `UPDATE "ir_sequence" SET "number_next" = "number_next" + "number_increment" WHERE "id" = ? RETURNING "number_next" - "number_increment"`
	if err := env.Tx().QueryRowContext(ctx, rb.Rebind(q), seqID).Scan(&number); err != nil {
		return "", fmt.Errorf("take next number of sequence %d: %w", seqID, err)
	}
	recs, err := env.Sudo().Read(ctx, "ir.sequence", []int64{seqID}, []string{"prefix", "suffix", "padding"})
	if err != nil {
		return "", err
	}
	r := recs[0]
	prefix, _ := r["prefix"].(string)
	suffix, _ := r["suffix"].(string)
	now := time.Now().UTC()
	return interpolate(prefix, now) + fmt.Sprintf("%0*d", int(r["padding"].(int64)), number) + interpolate(suffix, now), nil
}

func interpolate(s string, t time.Time) string {
	return strings.NewReplacer(
		"%(year)s", t.Format("2006"), "%(y)s", t.Format("06"),
		"%(month)s", t.Format("01"), "%(day)s", t.Format("02"),
	).Replace(s)
}
