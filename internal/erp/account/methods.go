package account

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/orm"
)

// registerMethods exports the business actions callable through RPC.
func registerMethods(reg *orm.Registry) error {
	for model, methods := range map[string]map[string]orm.Method{
		Move: {
			"action_post": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				return true, Post(ctx, env, ids)
			},
			"button_draft": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				reason, err := textArg(kwargs, "reason", 500)
				if err != nil {
					return nil, err
				}
				return true, ResetToDraft(ctx, env, ids, reason)
			},
			"button_cancel": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				return true, Cancel(ctx, env, ids)
			},
			"action_reverse": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				id, err := oneID(ids)
				if err != nil {
					return nil, err
				}
				var opts ReverseOptions
				if opts.Date, err = dateArg(kwargs, "date"); err != nil {
					return nil, err
				}
				if opts.Reason, err = textArg(kwargs, "reason", 500); err != nil {
					return nil, err
				}
				opts.Reconcile = kwargs["reconcile"] == true
				return Reverse(ctx, env, id, opts)
			},
			"action_invoice_sent": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				return SendInvoice(ctx, env, ids, time.Now())
			},
			"action_register_payment": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				id, err := oneID(ids)
				if err != nil {
					return nil, err
				}
				var opts PaymentOptions
				if v, ok := kwargs["amount"]; ok && v != nil && v != false {
					if opts.Amount, err = amountArg(v); err != nil {
						return nil, err
					}
				}
				if opts.Date, err = dateArg(kwargs, "payment_date"); err != nil {
					return nil, err
				}
				if j, ok := kwargs["journal_id"]; ok && j != nil && j != false {
					n, ok := j.(int64)
					if f, isFloat := j.(float64); isFloat && f == float64(int64(f)) {
						n, ok = int64(f), true
					}
					if !ok || n <= 0 {
						return nil, &orm.ValidationError{Model: Move, Message: "journal_id must be a journal id"}
					}
					opts.JournalID = n
				}
				return RegisterPayment(ctx, env, id, opts)
			},
		},
		Payment: {
			"action_post": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				return true, PostPayments(ctx, env, ids)
			},
		},
		MoveLine: {
			"reconcile": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				return true, Reconcile(ctx, env, ids)
			},
			"get_aged_receivables": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
				date, err := dateArg(kwargs, "date")
				if err != nil {
					return nil, err
				}
				if date == "" {
					date = today(nowFunc())
				}
				rows, err := AgedReceivables(ctx, env, date)
				if err != nil {
					return nil, err
				}
				return agedToValues(rows), nil
			},
		},
	} {
		if err := reg.AddMethods(model, methods); err != nil {
			return err
		}
	}
	return nil
}

func oneID(ids []int64) (int64, error) {
	if len(ids) != 1 {
		return 0, &orm.ValidationError{Message: fmt.Sprintf("this action works on one record, got %d", len(ids))}
	}
	return ids[0], nil
}

func textArg(kwargs map[string]any, name string, max int) (string, error) {
	v, ok := kwargs[name]
	if !ok || v == nil || v == false {
		return "", nil
	}
	s, ok := v.(string)
	if !ok || len(s) > max {
		return "", &orm.ValidationError{Message: fmt.Sprintf("%s must be a text of at most %d characters", name, max)}
	}
	return s, nil
}

func dateArg(kwargs map[string]any, name string) (string, error) {
	s, err := textArg(kwargs, name, 10)
	if err != nil || s == "" {
		return s, err
	}
	if _, err := time.Parse(orm.DateLayout, s); err != nil {
		return "", &orm.ValidationError{Message: fmt.Sprintf("%s must be a date as YYYY-MM-DD", name)}
	}
	return s, nil
}

func amountArg(v any) (*apd.Decimal, error) {
	d, err := money.From(v)
	if err != nil {
		return nil, &orm.ValidationError{Message: "amount: " + err.Error()}
	}
	if d.NumDigits() > 30 || d.Exponent < -12 {
		return nil, &orm.ValidationError{Message: "amount: too many digits"}
	}
	return d, nil
}
