package sale_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/portal"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func userError(err error) bool {
	var ue *orm.UserError
	var ve *orm.ValidationError
	return errors.As(err, &ue) || errors.As(err, &ve)
}

// TestBadInputIsRefusedAndChangesNothing runs each bad request as the
// administrator and checks that it fails with a user error and leaves the order
// as it was.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newShop(t, e)
		var quote, confirmed, cancelled, archivedOrder, line int64
		var archivedTmpl int64
		if err := s.As(s.Admin, func(ctx context.Context, env *orm.Env) error {
			var err error
			mk := func() (int64, error) {
				return s.order(ctx, env, map[string]any{"product_id": s.desk, "product_uom_qty": 2.0, "price_unit": "100"})
			}
			if quote, err = mk(); err != nil {
				return err
			}
			if confirmed, err = mk(); err != nil {
				return err
			}
			if err := sale.Confirm(ctx, env, []int64{confirmed}); err != nil {
				return err
			}
			if cancelled, err = mk(); err != nil {
				return err
			}
			if err := sale.Cancel(ctx, env, []int64{cancelled}); err != nil {
				return err
			}
			tmpl, err := env.Create(ctx, "product.template", []map[string]any{{"name": "Old Lamp", "list_price": "5"}})
			if err != nil {
				return err
			}
			archivedTmpl = tmpl[0]
			variant, err := env.Search(ctx, "product.product", seed.Dom("product_tmpl_id", "=", archivedTmpl), orm.SearchOptions{})
			if err != nil {
				return err
			}
			if archivedOrder, err = s.order(ctx, env, map[string]any{"product_id": variant[0], "product_uom_qty": 1.0, "price_unit": "5"}); err != nil {
				return err
			}
			if err := env.Write(ctx, "product.template", tmpl, map[string]any{"active": false}); err != nil {
				return err
			}
			lines, err := env.Search(ctx, sale.OrderLine, seed.Dom("order_id", "=", confirmed), orm.SearchOptions{})
			line = lines[0]
			return err
		}); err != nil {
			t.Fatal(err)
		}
		snapshot := func() string {
			var b strings.Builder
			s.Sudo(func(ctx context.Context, env *orm.Env) error {
				recs, err := env.SearchRead(ctx, sale.Order, seed.Dom(), []string{"state", "amount_total", "invoice_status"}, orm.SearchOptions{Order: "id"})
				for _, r := range recs {
					b.WriteString(r["state"].(string) + " " + account.Dec(r["amount_total"]).Text('f') + " " + r["invoice_status"].(string) + ";")
				}
				n, _ := env.SearchCount(ctx, account.Move, seed.Dom(), orm.SearchOptions{})
				b.WriteString(" moves " + string(rune('0'+n)))
				return err
			})
			return b.String()
		}
		before := snapshot()
		cases := []struct {
			name string
			fn   func(ctx context.Context, env *orm.Env) error
		}{
			{"negative quantity", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, sale.OrderLine, []int64{line}, map[string]any{"product_uom_qty": -1.0})
			}},
			{"price with more decimals than the currency", func(ctx context.Context, env *orm.Env) error {
				_, err := s.order(ctx, env, map[string]any{"product_id": s.desk, "product_uom_qty": 1.0, "price_unit": "10.005"})
				return err
			}},
			{"negative price", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, sale.OrderLine, []int64{line}, map[string]any{"price_unit": "-1"})
			}},
			{"discount above 100%", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, sale.OrderLine, []int64{line}, map[string]any{"discount": 150.0})
			}},
			{"product price with more decimals", func(ctx context.Context, env *orm.Env) error {
				_, err := env.Create(ctx, "product.template", []map[string]any{{"name": "Pricey", "list_price": "1.999"}})
				return err
			}},
			{"deleting a sales order", func(ctx context.Context, env *orm.Env) error {
				return env.Unlink(ctx, sale.Order, []int64{confirmed})
			}},
			{"deleting a sales order among quotations", func(ctx context.Context, env *orm.Env) error {
				return env.Unlink(ctx, sale.Order, []int64{quote, confirmed})
			}},
			{"invoicing a cancelled order", func(ctx context.Context, env *orm.Env) error {
				_, err := sale.CreateInvoices(ctx, env, []int64{cancelled}, nil)
				return err
			}},
			{"invoicing a quotation", func(ctx context.Context, env *orm.Env) error {
				_, err := sale.CreateInvoices(ctx, env, []int64{quote}, nil)
				return err
			}},
			{"invoicing more than ordered", func(ctx context.Context, env *orm.Env) error {
				_, err := sale.CreateInvoices(ctx, env, []int64{confirmed}, map[int64]*apd.Decimal{line: money.Int(3)})
				return err
			}},
			{"invoicing a negative quantity", func(ctx context.Context, env *orm.Env) error {
				_, err := sale.CreateInvoices(ctx, env, []int64{confirmed}, map[int64]*apd.Decimal{line: money.Int(-1)})
				return err
			}},
			{"invoicing a line of another order", func(ctx context.Context, env *orm.Env) error {
				_, err := sale.CreateInvoices(ctx, env, []int64{confirmed}, map[int64]*apd.Decimal{line + 1000: money.Int(1)})
				return err
			}},
			{"confirming an order of an archived product", func(ctx context.Context, env *orm.Env) error {
				return sale.Confirm(ctx, env, []int64{archivedOrder})
			}},
			{"confirming twice", func(ctx context.Context, env *orm.Env) error { return sale.Confirm(ctx, env, []int64{confirmed}) }},
			{"writing the state", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, sale.Order, []int64{quote}, map[string]any{"state": "sale"})
			}},
			{"cancelling twice", func(ctx context.Context, env *orm.Env) error { return sale.Cancel(ctx, env, []int64{cancelled}) }},
			{"sending an order", func(ctx context.Context, env *orm.Env) error {
				_, err := sale.SendQuotation(orm.WithBaseURL(ctx, "https://acme.example.com"), env, []int64{confirmed}, time.Now())
				return err
			}},
			// A link without the company's address would reach the customer
			// without a target.
			{"sending without the company's address", func(ctx context.Context, env *orm.Env) error {
				_, err := sale.SendQuotation(ctx, env, []int64{quote}, time.Now())
				return err
			}},
		}
		for _, c := range cases {
			err := s.As(s.Admin, c.fn)
			if !userError(err) {
				t.Errorf("%s: want a clear user error, got %v", c.name, err)
			} else if strings.Contains(err.Error(), "SQL") || strings.Contains(err.Error(), "sql:") {
				t.Errorf("%s: the message leaks internals: %v", c.name, err)
			}
			if after := snapshot(); after != before {
				t.Fatalf("%s changed the data:\n%s\n%s", c.name, before, after)
			}
		}
	})
}

func TestQuotationMailAndPortalLink(t *testing.T) {
	s := newShop(t, storetest.Engines()[0])
	var order int64
	var token string
	now := time.Now()
	if err := s.As(s.Admin, func(ctx context.Context, env *orm.Env) error {
		var err error
		if order, err = s.order(ctx, env, map[string]any{"product_id": s.chair, "product_uom_qty": 1.0, "price_unit": "45.50"}); err != nil {
			return err
		}
		mails, err := sale.SendQuotation(orm.WithBaseURL(ctx, "https://acme.example.com"), env, []int64{order}, now)
		if err != nil {
			return err
		}
		recs, err := env.Read(ctx, "mail.mail", mails, []string{"email_to", "subject", "body_html", "state", "model", "res_id"})
		if err != nil {
			return err
		}
		m := recs[0]
		body := m["body_html"].(string)
		if m["email_to"] != "<azure@example.com>" && m["email_to"] != "azure@example.com" || m["subject"] != "Quotation S00001" || m["state"] != "outgoing" ||
			m["model"] != sale.Order || m["res_id"] != order || !strings.Contains(body, "52.33") || !strings.Contains(body, "https://acme.example.com/my/orders/") {
			t.Errorf("queued mail: %v", m)
		}
		i := strings.Index(body, "access_token=")
		if i < 0 {
			t.Fatalf("no token in %s", body)
		}
		token = body[i+len("access_token="):]
		token = token[:strings.IndexAny(token, `"&`)]
		st, err := env.Read(ctx, sale.Order, []int64{order}, []string{"state"})
		if err != nil || st[0]["state"] != "sent" {
			t.Errorf("state after sending: %v %v", st, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(token) < 43 {
		t.Fatalf("token %q is shorter than 256 bits in base64", token)
	}
	verify := func(tok string, at time.Time) error {
		var result error
		s.Sudo(func(ctx context.Context, env *orm.Env) error {
			result = portal.Verify(ctx, env, sale.Order, order, tok, at)
			return nil
		})
		return result
	}
	if err := verify(token, now); err != nil {
		t.Fatalf("the mailed token does not open the order: %v", err)
	}
	for name, c := range map[string]struct {
		tok string
		at  time.Time
	}{
		"altered":  {alterLast(token), now},
		"empty":    {"", now},
		"expired":  {token, now.Add(portal.DefaultTTL + time.Minute)},
		"too long": {strings.Repeat("A", 4096), now},
	} {
		if err := verify(c.tok, c.at); !errors.Is(err, portal.ErrInvalidToken) {
			t.Errorf("%s token: %v", name, err)
		}
	}
	s.Sudo(func(ctx context.Context, env *orm.Env) error {
		// The token is stored only as a hash.
		rows, err := env.SearchRead(ctx, portal.Model, seed.Dom(), []string{"token_hash"}, orm.SearchOptions{})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if strings.Contains(r["token_hash"].(string), token) {
				t.Error("the token is stored in clear")
			}
		}
		return nil
	})
	if err := s.As(s.Admin, func(ctx context.Context, env *orm.Env) error {
		n, err := sale.RevokePortalLinks(ctx, env, order, now)
		if n != 1 {
			t.Errorf("revoked %d links", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := verify(token, now); !errors.Is(err, portal.ErrInvalidToken) {
		t.Errorf("a revoked token still works: %v", err)
	}
}

// alterLast changes the token's last character to a different one; always
// writing the same letter would leave one token in sixteen unchanged.
func alterLast(token string) string {
	last := "A"
	if strings.HasSuffix(token, last) {
		last = "B"
	}
	return token[:len(token)-1] + last
}

// Quotations not yet sent and cancelled orders can be deleted, lines and
// history with them.
func TestDeletingQuotationsAndCancelledOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newShop(t, e)
		err := s.As(s.Admin, func(ctx context.Context, env *orm.Env) error {
			quote, err := s.order(ctx, env, map[string]any{"product_id": s.desk, "product_uom_qty": 1.0})
			if err != nil {
				return err
			}
			cancelled, err := s.order(ctx, env, map[string]any{"product_id": s.chair, "product_uom_qty": 1.0})
			if err != nil {
				return err
			}
			if err := sale.Confirm(ctx, env, []int64{cancelled}); err != nil {
				return err
			}
			if err := sale.Cancel(ctx, env, []int64{cancelled}); err != nil {
				return err
			}
			if err := env.Unlink(ctx, sale.Order, []int64{quote, cancelled}); err != nil {
				return err
			}
			left, err := env.Sudo().SearchCount(ctx, sale.OrderLine, domain.Domain{}, orm.SearchOptions{})
			if err == nil && left != 0 {
				t.Errorf("%d order lines left", left)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
