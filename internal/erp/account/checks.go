package account

import (
	"context"
	"fmt"
	"strconv"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// maxQuantityDecimals is the precision of quantities (Odoo's "Product Unit of
// Measure" accuracy).
const maxQuantityDecimals = 3

// checkPostedBalanced runs when a move's history gains an entry: an entry that
// posts the move is refused unless the move balances to the cent, in the same
// transaction. Every way to post goes through such an entry.
func checkPostedBalanced(ctx context.Context, env *orm.Env, ids []int64) error {
	logs, err := env.ReadValues(ctx, MoveLog, ids, []string{"move_id", "state"})
	if err != nil {
		return err
	}
	for _, l := range logs {
		if l["state"] != StatePosted {
			continue
		}
		if err := checkBalanced(ctx, env, M2O(l["move_id"])); err != nil {
			return err
		}
	}
	return nil
}

func checkBalanced(ctx context.Context, env *orm.Env, moveID int64) error {
	moves, err := loadMoves(ctx, env, []int64{moveID})
	if err != nil {
		return err
	}
	mc := moves[moveID]
	lines, err := env.SearchReadValues(ctx, MoveLine, seed.Dom("move_id", "=", moveID), []string{"debit", "credit", "amount_currency", "account_id", "display_type"}, orm.SearchOptions{})
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return &orm.UserError{Message: "an entry without journal items cannot be posted; add its lines first"}
	}
	debit, credit, cur := money.Zero(), money.Zero(), money.Zero()
	for _, l := range lines {
		if M2O(l["account_id"]) == 0 {
			return &orm.UserError{Message: "every journal item needs an account before the entry can be posted"}
		}
		debit = money.Add(debit, Dec(l["debit"]))
		credit = money.Add(credit, Dec(l["credit"]))
		cur = money.Add(cur, Dec(l["amount_currency"]))
	}
	if debit.Cmp(credit) != 0 {
		return &orm.UserError{Message: fmt.Sprintf("the entry is not balanced (debit %s, credit %s) and cannot be posted",
			money.Format(debit, mc.compDigits), money.Format(credit, mc.compDigits))}
	}
	if mc.currency != mc.companyCur && !cur.IsZero() {
		return &orm.UserError{Message: fmt.Sprintf("the entry is not balanced in its currency (off by %s) and cannot be posted", money.Format(cur, mc.digits))}
	}
	if debit.IsZero() && mc.moveType == TypeEntry {
		return &orm.UserError{Message: "an entry whose amounts are all zero cannot be posted"}
	}
	return nil
}

func checkLineAmounts(ctx context.Context, env *orm.Env, ids []int64) error {
	recs, err := env.ReadValues(ctx, MoveLine, ids, []string{"move_id", "debit", "credit", "amount_currency", "price_unit", "quantity", "discount", "display_type"})
	if err != nil {
		return err
	}
	var moveIDs []int64
	for _, r := range recs {
		moveIDs = append(moveIDs, M2O(r["move_id"]))
	}
	moves, err := loadMoves(ctx, env, uniq(moveIDs))
	if err != nil {
		return err
	}
	for _, r := range recs {
		mc := moves[M2O(r["move_id"])]
		debit, credit := Dec(r["debit"]), Dec(r["credit"])
		if debit.Sign() < 0 || credit.Sign() < 0 {
			return &orm.ValidationError{Model: MoveLine, Field: "debit", Message: "debit and credit cannot be negative"}
		}
		if debit.Sign() > 0 && credit.Sign() > 0 {
			return &orm.ValidationError{Model: MoveLine, Field: "debit", Message: "a journal item is either a debit or a credit, not both"}
		}
		for _, f := range []struct {
			name   string
			digits int
		}{{"debit", mc.compDigits}, {"credit", mc.compDigits}, {"amount_currency", mc.digits}, {"price_unit", mc.digits}} {
			if err := CheckDigits(MoveLine, f.name, Dec(r[f.name]), f.digits); err != nil {
				return err
			}
		}
		if r["display_type"] == LineProduct {
			if err := CheckQuantity(MoveLine, "quantity", r["quantity"].(float64)); err != nil {
				return err
			}
			if err := CheckDiscount(MoveLine, r["discount"].(float64)); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckQuantity refuses negative quantities and quantities finer than the unit
// precision.
func CheckQuantity(model, field string, q float64) error {
	if q < 0 {
		return &orm.ValidationError{Model: model, Field: field, Message: "a quantity cannot be negative"}
	}
	if money.Decimals(Dec(strconv.FormatFloat(q, 'f', -1, 64))) > maxQuantityDecimals {
		return &orm.ValidationError{Model: model, Field: field, Message: fmt.Sprintf("a quantity has at most %d decimals", maxQuantityDecimals)}
	}
	return nil
}

// CheckDiscount refuses discounts outside 0–100 % or with more than 2 decimals.
func CheckDiscount(model string, d float64) error {
	if d < 0 || d > 100 || money.Decimals(Dec(strconv.FormatFloat(d, 'f', -1, 64))) > 2 {
		return &orm.ValidationError{Model: model, Field: "discount", Message: "a discount is a percentage from 0 to 100 with at most 2 decimals"}
	}
	return nil
}

// checkPartial keeps reconciliation sound: two posted items of one reconcilable
// account, a debit and a credit, and no item reconciled beyond its amount.
func checkPartial(ctx context.Context, env *orm.Env, ids []int64) error {
	prs, err := env.ReadValues(ctx, Partial, ids, []string{"debit_move_id", "credit_move_id", "amount", "debit_amount_currency", "credit_amount_currency"})
	if err != nil {
		return err
	}
	for _, p := range prs {
		if Dec(p["amount"]).Sign() < 0 || Dec(p["debit_amount_currency"]).Sign() < 0 || Dec(p["credit_amount_currency"]).Sign() < 0 {
			return &orm.ValidationError{Model: Partial, Field: "amount", Message: "a reconciled amount cannot be negative"}
		}
		lines, err := env.ReadValues(ctx, MoveLine, []int64{M2O(p["debit_move_id"]), M2O(p["credit_move_id"])},
			[]string{"account_id", "balance", "amount_residual", "amount_residual_currency", "parent_state"})
		if err != nil {
			return err
		}
		d, c := lines[0], lines[1]
		if M2O(d["account_id"]) != M2O(c["account_id"]) {
			return &orm.UserError{Message: "only journal items of the same account can be reconciled"}
		}
		acc, err := readOne(ctx, env, Account, M2O(d["account_id"]), "reconcile")
		if err != nil {
			return err
		}
		if acc["reconcile"] != true {
			return &orm.UserError{Message: "the account does not allow reconciliation"}
		}
		if d["parent_state"] != StatePosted || c["parent_state"] != StatePosted {
			return &orm.UserError{Message: "only posted journal items can be reconciled"}
		}
		if Dec(d["balance"]).Sign() <= 0 || Dec(c["balance"]).Sign() >= 0 {
			return &orm.UserError{Message: "a reconciliation matches a debit item with a credit item"}
		}
		if Dec(d["amount_residual"]).Sign() < 0 || Dec(c["amount_residual"]).Sign() > 0 ||
			Dec(d["amount_residual_currency"]).Sign() < 0 || Dec(c["amount_residual_currency"]).Sign() > 0 {
			return &orm.UserError{Message: "the reconciliation exceeds the amount still open on a journal item"}
		}
	}
	return nil
}
