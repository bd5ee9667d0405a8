package sale

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/orm"
)

func methods() map[string]orm.Method {
	return map[string]orm.Method{
		"action_confirm": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
			return true, Confirm(ctx, env, ids)
		},
		"action_cancel": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
			return true, Cancel(ctx, env, ids)
		},
		"action_draft": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
			return true, SetToDraft(ctx, env, ids)
		},
		"action_quotation_send": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
			return SendQuotation(ctx, env, ids, time.Now())
		},
		"action_create_invoice": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
			q, err := quantitiesArg(kwargs["quantities"])
			if err != nil {
				return nil, err
			}
			return CreateInvoices(ctx, env, ids, q)
		},
		"get_portal_url": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
			if len(ids) != 1 {
				return nil, &orm.ValidationError{Model: Order, Message: "get_portal_url works on one order"}
			}
			return PortalURL(ctx, env, ids[0], time.Now())
		},
		"action_revoke_portal_links": func(ctx context.Context, env *orm.Env, ids []int64, args []any, kwargs map[string]any) (any, error) {
			if len(ids) != 1 {
				return nil, &orm.ValidationError{Model: Order, Message: "action_revoke_portal_links works on one order"}
			}
			return RevokePortalLinks(ctx, env, ids[0], time.Now())
		},
	}
}

// quantitiesArg reads {"line id": quantity} as JSON and XML-RPC deliver it.
func quantitiesArg(v any) (map[int64]*apd.Decimal, error) {
	if v == nil || v == false {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &orm.ValidationError{Model: Order, Message: "quantities must map order line ids to quantities"}
	}
	if len(m) > 10000 {
		return nil, &orm.ValidationError{Model: Order, Message: "too many quantities"}
	}
	out := make(map[int64]*apd.Decimal, len(m))
	for k, q := range m {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil || id <= 0 {
			return nil, &orm.ValidationError{Model: Order, Message: fmt.Sprintf("quantities: %q is not an order line id", k)}
		}
		d, err := money.From(q)
		if err != nil || d.NumDigits() > 20 || money.Decimals(d) > 3 {
			return nil, &orm.ValidationError{Model: Order, Message: fmt.Sprintf("quantities: the quantity of line %d is not a number with at most 3 decimals", id)}
		}
		out[id] = d
	}
	return out, nil
}
