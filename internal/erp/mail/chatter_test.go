package mail_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/erp/product"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// historyShop is a tenant with two salespeople who each see only their own
// orders, a customer and a product.
type historyShop struct {
	*erptest.Tenant
	ann, bob          int64 // salespeople (own documents only)
	customer, product int64
}

func newHistoryShop(t *testing.T, e storetest.Engine) *historyShop {
	s := &historyShop{Tenant: erptest.Install(t, e)}
	c := s.MainCompany()
	s.ann = s.User("ann@example.com", c, []int64{c}, 0, sale.GroupSalesman)
	s.bob = s.User("bob@example.com", c, []int64{c}, 0, sale.GroupSalesman)
	s.Sudo(func(ctx context.Context, env *orm.Env) error {
		var err error
		if s.customer, err = erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Azure Interior", "company_id": c}); err != nil {
			return err
		}
		tmpl, err := erptest.Create(ctx, env, "product.template", map[string]any{"name": "Desk", "list_price": "100", "company_id": c})
		if err != nil {
			return err
		}
		s.product, err = product.VariantOf(ctx, env, tmpl)
		return err
	})
	return s
}

// orderAs creates a quotation with one line as uid.
func (s *historyShop) orderAs(t *testing.T, uid int64) int64 {
	t.Helper()
	var id int64
	if err := s.As(uid, func(ctx context.Context, env *orm.Env) error {
		var err error
		id, err = erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": s.customer,
			"order_line": []any{[]any{0, 0, map[string]any{"product_id": s.product, "product_uom_qty": 2, "price_unit": "100"}}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func history(t *testing.T, s *historyShop, uid int64, model string, id int64) []mail.Entry {
	t.Helper()
	var out []mail.Entry
	if err := s.Try(uid, func(ctx context.Context, env *orm.Env) error {
		var err error
		out, err = mail.History(ctx, env, model, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func changesText(e mail.Entry) string {
	var parts []string
	for _, c := range e.Changes {
		parts = append(parts, fmt.Sprintf("%s: %s -> %s", c.Field, c.Old, c.New))
	}
	return strings.Join(parts, "; ")
}

func TestHistoryTracksChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newHistoryShop(t, e)
		order := s.orderAs(t, s.ann)
		if h := history(t, s, s.ann, sale.Order, order); len(h) != 0 {
			t.Fatalf("a new order has history: %+v", h)
		}
		steps := []struct {
			name string
			do   func(ctx context.Context, env *orm.Env) error
			want string // changes of the newest message; "" for no new message
		}{
			{"tracked field written through the Env", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, sale.Order, []int64{order}, map[string]any{"client_order_ref": "PO-7", "note": "untracked"})
			}, "client_order_ref:  -> PO-7"},
			{"same value again", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, sale.Order, []int64{order}, map[string]any{"client_order_ref": "PO-7"})
			}, ""},
			{"untracked field only", func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, sale.Order, []int64{order}, map[string]any{"note": "changed"})
			}, ""},
			{"a line changes the tracked total", func(ctx context.Context, env *orm.Env) error {
				lines, err := env.Search(ctx, sale.OrderLine, seed.Dom("order_id", "=", order), orm.SearchOptions{})
				if err != nil {
					return err
				}
				return env.Write(ctx, sale.OrderLine, lines, map[string]any{"product_uom_qty": 3})
			}, "amount_total: 200.00 -> 300.00"},
			{"confirmation", func(ctx context.Context, env *orm.Env) error {
				return sale.Confirm(ctx, env, []int64{order})
			}, "state: Quotation -> Sales Order"},
			{"cancellation", func(ctx context.Context, env *orm.Env) error {
				return sale.Cancel(ctx, env, []int64{order})
			}, "state: Sales Order -> Cancelled"},
			{"refused change leaves no message", func(ctx context.Context, env *orm.Env) error {
				err := sale.Cancel(ctx, env, []int64{order})
				if err == nil {
					return errors.New("cancelling twice was accepted")
				}
				return nil
			}, ""},
		}
		count := 0
		for _, st := range steps {
			if err := s.As(s.ann, st.do); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			h := history(t, s, s.ann, sale.Order, order)
			if st.want == "" {
				if len(h) != count {
					t.Errorf("%s: %d messages, want %d: %+v", st.name, len(h), count, h)
				}
				continue
			}
			count++
			if len(h) != count {
				t.Fatalf("%s: %d messages, want %d", st.name, len(h), count)
			}
			if got := changesText(h[0]); got != st.want {
				t.Errorf("%s: newest message %q, want %q", st.name, got, st.want)
			}
			if h[0].Author != "ann@example.com" || h[0].Type != mail.TypeNotification {
				t.Errorf("%s: author %q type %q", st.name, h[0].Author, h[0].Type)
			}
		}
		// Partners and products are tracked as declared by the mail module.
		s.Sudo(func(ctx context.Context, env *orm.Env) error {
			return env.Write(ctx, "res.partner", []int64{s.customer}, map[string]any{"name": "Azure Interior SA"})
		})
		if h := history(t, s, s.Admin, "res.partner", s.customer); len(h) != 1 || changesText(h[0]) != "name: Azure Interior -> Azure Interior SA" {
			t.Errorf("partner history: %+v", h)
		}
	})
}

func TestHistoryFollowsRecordAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newHistoryShop(t, e)
		order := s.orderAs(t, s.ann)
		if err := s.As(s.ann, func(ctx context.Context, env *orm.Env) error {
			_, err := mail.Post(ctx, env, sale.Order, order, "Customer asked for delivery on Monday.")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		attempts := []struct {
			name string
			do   func(ctx context.Context, env *orm.Env) error
		}{
			{"history of another salesperson's order", func(ctx context.Context, env *orm.Env) error {
				_, err := mail.History(ctx, env, sale.Order, order)
				return err
			}},
			{"note on another salesperson's order", func(ctx context.Context, env *orm.Env) error {
				_, err := mail.Post(ctx, env, sale.Order, order, "hijack")
				return err
			}},
			{"messages searched directly", func(ctx context.Context, env *orm.Env) error {
				_, err := env.SearchRead(ctx, mail.MessageModel, seed.Dom("model", "=", sale.Order), []string{"body"}, orm.SearchOptions{})
				return err
			}},
			{"tracking values searched directly", func(ctx context.Context, env *orm.Env) error {
				_, err := env.SearchRead(ctx, mail.TrackingModel, seed.Dom(), []string{"new_value_char"}, orm.SearchOptions{})
				return err
			}},
			{"message forged through create", func(ctx context.Context, env *orm.Env) error {
				_, err := env.Create(ctx, mail.MessageModel, []map[string]any{{"model": sale.Order, "res_id": order, "body": "x", "date": "2026-01-01 00:00:00"}})
				return err
			}},
		}
		for _, a := range attempts {
			err := s.Try(s.bob, a.do)
			var ae *orm.AccessError
			if !errors.As(err, &ae) {
				t.Errorf("%s: %v, want an access error", a.name, err)
			}
		}
		// Bad targets are refused with a clear error, nothing written.
		for _, c := range []struct {
			model string
			id    int64
			text  string
		}{
			{sale.Order, 0, "x"}, {sale.Order, -4, "x"}, {sale.Order, order + 1000, "x"}, {"no.such.model", order, "x"},
			{mail.MessageModel, 1, "x"}, {sale.Order, order, "   "}, {sale.Order, order, strings.Repeat("a", mail.MaxNoteRunes+1)},
			{sale.Order, order, "\xff\xfe"},
		} {
			err := s.Try(s.ann, func(ctx context.Context, env *orm.Env) error {
				_, err := mail.Post(ctx, env, c.model, c.id, c.text)
				return err
			})
			if err == nil {
				t.Errorf("note on %s %d (%d chars) was accepted", c.model, c.id, len(c.text))
			}
		}
		if h := history(t, s, s.ann, sale.Order, order); len(h) != 1 || h[0].Type != mail.TypeComment {
			t.Errorf("history after refusals: %+v", h)
		}
	})
}

func TestNoteIsEscaped(t *testing.T) {
	s := newHistoryShop(t, storetest.Engines()[0])
	order := s.orderAs(t, s.ann)
	payload := `<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"` + "\nsecond line\n\nnew paragraph"
	if err := s.As(s.ann, func(ctx context.Context, env *orm.Env) error {
		_, err := mail.Post(ctx, env, sale.Order, order, payload)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h := history(t, s, s.ann, sale.Order, order)
	if len(h) != 1 {
		t.Fatalf("history: %+v", h)
	}
	body := h[0].Body
	if strings.Contains(body, "<script") || strings.Contains(body, "<img") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("note body not escaped: %s", body)
	}
	if !strings.Contains(body, "<br>second line</p><p>new paragraph</p>") {
		t.Errorf("note paragraphs lost: %s", body)
	}
}

// Invoices are tracked as the mail module declares: posting and paying one are
// recorded with the user who did it.
func TestInvoiceHistory(t *testing.T) {
	s := newHistoryShop(t, storetest.Engines()[0])
	var invoice int64
	if err := s.As(s.Admin, func(ctx context.Context, env *orm.Env) error {
		order, err := erptest.Create(ctx, env, sale.Order, map[string]any{"partner_id": s.customer,
			"order_line": []any{[]any{0, 0, map[string]any{"product_id": s.product, "product_uom_qty": 1, "price_unit": "80"}}}})
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
	h := history(t, s, s.Admin, account.Move, invoice)
	if len(h) == 0 || !strings.Contains(changesText(h[0]), "state: Draft -> Posted") {
		t.Fatalf("invoice history: %+v", h)
	}
	if h[0].Author == "" || h[0].Author == "System" {
		t.Errorf("posting recorded without its author: %+v", h[0])
	}
	// A salesperson who cannot read invoices cannot read their history either.
	err := s.Try(s.bob, func(ctx context.Context, env *orm.Env) error {
		_, err := mail.History(ctx, env, account.Move, invoice)
		return err
	})
	var ae *orm.AccessError
	if !errors.As(err, &ae) {
		t.Errorf("salesperson reading an invoice's history: %v", err)
	}
}
