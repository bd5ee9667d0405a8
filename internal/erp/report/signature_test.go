package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/report"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestSignedOrderPDF(t *testing.T) {
	tn := erptest.Install(t, storetest.Engines()[0])
	company := tn.MainCompany()
	var order int64
	var unsigned, signed []byte
	if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
		partner, err := erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Deco Addict", "company_id": company})
		if err != nil {
			return err
		}
		order, err = erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": partner, "order_line": []any{
			[]any{0, 0, map[string]any{"name": "Desk", "product_uom_qty": 1.0, "price_unit": "10.00"}}}})
		if err != nil {
			return err
		}
		if unsigned, err = report.Order(ctx, env, order, nil); err != nil {
			return err
		}
		at := time.Date(2026, 11, 28, 14, 5, 0, 0, time.UTC)
		if err := sale.ConfirmSigned(ctx, env.Sudo(), order, sale.Signature{Name: "Ann (Deco) <b>", At: at, Address: "2001:db8::7"}); err != nil {
			return err
		}
		signed, err = report.Order(ctx, env, order, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, unsigned); strings.Contains(text, "Signed by") {
		t.Errorf("an unsigned quotation shows a signature:\n%s", text)
	}
	want := "Signed by Ann (Deco) <b> on 2026-11-28 14:05:00 UTC from 2001:db8::7"
	if text := pdfText(t, signed); !strings.Contains(text, want) {
		t.Errorf("signed order PDF lacks %q:\n%s", want, text)
	}
}
