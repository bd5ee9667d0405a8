package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/report"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// pdfText extracts the text of a PDF with pdftotext (Debian's poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("PDF TEXT TESTS SKIPPED: pdftotext is not installed (apt-get install poppler-utils)")
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(20, len(pdf))])
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestOrderAndInvoicePDF(t *testing.T) {
	e := storetest.Engines()[0] // rendering does not depend on the engine
	tn := erptest.Install(t, e)
	company := tn.MainCompany()
	const customer = `<b>Bold & "Sons"</b> Ltd`
	var order, invoice int64
	if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
		taxes, err := env.Search(ctx, account.Tax, seed.Dom("name", "=", "15%", "company_id", "=", company), orm.SearchOptions{})
		if err != nil {
			return err
		}
		partner, err := erptest.Create(ctx, env, "res.partner", map[string]any{"name": customer, "is_company": true,
			"street": "12 Rue de l'Église", "city": "Liège", "company_id": company})
		if err != nil {
			return err
		}
		tax := []any{[]any{6, 0, []any{taxes[0]}}}
		order, err = erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": partner, "order_line": []any{
			[]any{0, 0, map[string]any{"name": "Large Cabinet <script>alert(1)</script>", "product_uom_qty": 2.0, "price_unit": "320.00", "tax_id": tax}},
			[]any{0, 0, map[string]any{"name": "Installation (hours)", "product_uom_qty": 3.5, "price_unit": "40.00", "discount": 10.0, "tax_id": tax}},
		}})
		if err != nil {
			return err
		}
		if err := sale.Confirm(ctx, env, []int64{order}); err != nil {
			return err
		}
		ids, err := sale.CreateInvoices(ctx, env, []int64{order}, nil)
		if err != nil {
			return err
		}
		invoice = ids[0]
		return account.Post(ctx, env, ids)
	}); err != nil {
		t.Fatal(err)
	}
	// 2 × 320 = 640.00; 3.5 × 40 − 10% = 126.00; untaxed 766.00, tax 114.90, total 880.90.
	var orderPDF, invoicePDF []byte
	var invoiceName string
	if err := tn.As(tn.Admin, func(ctx context.Context, env *orm.Env) error {
		var err error
		if orderPDF, err = report.Order(ctx, env, order, nil); err != nil {
			return err
		}
		if invoicePDF, err = report.Invoice(ctx, env, invoice, nil); err != nil {
			return err
		}
		r, err := env.Read(ctx, account.Move, []int64{invoice}, []string{"name"})
		invoiceName = r[0]["name"].(string)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		pdf  []byte
		want []string
	}{
		"order": {orderPDF, []string{"Order S00001", customer, "Liège", "Large Cabinet <script>alert(1)</script>", "Installation (hours)",
			"640.00", "126.00", "766.00", "114.90", "880.90 USD"}},
		"invoice": {invoicePDF, []string{"Invoice " + invoiceName, customer, "Large Cabinet <script>alert(1)</script>", "3.5",
			"880.90 USD", "Amount Due", "Please use the following communication for your payment: " + invoiceName}},
	} {
		text := pdfText(t, c.pdf)
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s PDF lacks %q:\n%s", name, w, text)
			}
		}
	}
}

func TestReportsFollowAccessRights(t *testing.T) {
	tn := erptest.Install(t, storetest.Engines()[0])
	company := tn.MainCompany()
	var order int64
	tn.Sudo(func(ctx context.Context, env *orm.Env) error {
		p, err := erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Someone", "company_id": company})
		if err != nil {
			return err
		}
		order, err = erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": p, "user_id": tn.Admin, "company_id": company,
			"currency_id": mustCurrency(ctx, env, company)})
		return err
	})
	other := tn.User("seller@example.com", company, []int64{company}, 0, sale.GroupSalesman)
	err := tn.Try(other, func(ctx context.Context, env *orm.Env) error {
		_, err := report.Order(ctx, env, order, nil)
		return err
	})
	if err == nil {
		t.Fatal("a salesperson printed another salesperson's order")
	}
}

func mustCurrency(ctx context.Context, env *orm.Env, company int64) int64 {
	c, err := account.CompanyCurrency(ctx, env, company)
	if err != nil {
		panic(err)
	}
	return c
}
