package sale_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestConfirmSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newShop(t, e)
		at := time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
		var order int64
		if err := s.As(s.Admin, func(ctx context.Context, env *orm.Env) error {
			var err error
			order, err = s.order(ctx, env, map[string]any{"product_id": s.desk, "product_uom_qty": 1.0, "price_unit": "100"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		refused := []sale.Signature{
			{Name: "", At: at},
			{Name: "   ", At: at},
			{Name: strings.Repeat("x", sale.MaxSignatureName+1), At: at},
			{Name: "Ann\r\nBcc: x", At: at},
			{Name: "Ann", At: at, Address: strings.Repeat("1", 65)},
			{Name: "Ann"},
		}
		for _, sig := range refused {
			err := s.Try(s.Admin, func(ctx context.Context, env *orm.Env) error {
				return sale.ConfirmSigned(ctx, env.Sudo(), order, sig)
			})
			if !userError(err) {
				t.Errorf("signature %+v: %v", sig, err)
			}
		}
		s.Sudo(func(ctx context.Context, env *orm.Env) error {
			return sale.ConfirmSigned(ctx, env, order, sale.Signature{Name: "  Ann Customer ", At: at, Address: "203.0.113.9"})
		})
		var h []mail.Entry
		s.Sudo(func(ctx context.Context, env *orm.Env) error {
			r := read(t, ctx, env, sale.Order, order, "state", "signed_by", "signed_on", "signature_address")
			if r["state"] != sale.StateSale || r["signed_by"] != "Ann Customer" || r["signed_on"] != "2026-11-03 09:30:00" || r["signature_address"] != "203.0.113.9" {
				t.Errorf("signed order: %v", r)
			}
			var err error
			h, err = mail.History(ctx, env, sale.Order, order)
			return err
		})
		if len(h) != 2 || !strings.Contains(h[0].Body, "Signed and accepted by Ann Customer on 2026-11-03 09:30 UTC from 203.0.113.9") ||
			changesText(h[1]) != "state: Quotation -> Sales Order" {
			t.Errorf("history of the signed order: %+v", h)
		}
		// Nobody writes a signature directly, not even the system: it only comes
		// with a confirmation from the portal.
		for _, field := range []string{"signed_by", "signed_on", "signature_address"} {
			err := s.Try(s.Admin, func(ctx context.Context, env *orm.Env) error {
				return env.Sudo().Write(ctx, sale.Order, []int64{order}, map[string]any{field: "2026-01-01 00:00:00"})
			})
			var ve *orm.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("writing %s: %v", field, err)
			}
		}
	})
}

func changesText(e mail.Entry) string {
	var parts []string
	for _, c := range e.Changes {
		parts = append(parts, c.Field+": "+c.Old+" -> "+c.New)
	}
	return strings.Join(parts, "; ")
}
