package erp_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/product"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// world is an installed tenant with two companies, customers, and one user per role.
type world struct {
	*erptest.Tenant
	companyA, companyB          int64
	customer, portalPartner     int64
	other                       int64 // a customer the portal user has nothing to do with
	tax, journal, currency, eur int64
	roles                       map[string]int64
	productA                    int64
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	w := &world{Tenant: erptest.Install(t, e), roles: map[string]int64{}}
	w.companyA = w.MainCompany()
	w.Sudo(func(ctx context.Context, env *orm.Env) error {
		var err error
		if w.companyB, err = erptest.Create(ctx, env, "res.company", map[string]any{"name": "Company B"}); err != nil {
			return err
		}
		cur, err := account.CompanyCurrency(ctx, env, w.companyA)
		if err != nil {
			return err
		}
		w.currency = cur
		eurs, err := env.Search(ctx, "res.currency", seed.Dom("name", "=", "EUR"), orm.SearchOptions{})
		if err != nil || len(eurs) != 1 {
			return fmt.Errorf("EUR: %v %v", eurs, err)
		}
		w.eur = eurs[0]
		if err := env.Write(ctx, "res.company", []int64{w.companyB}, map[string]any{"currency_id": cur}); err != nil {
			return err
		}
		if err := account.InstallChart(ctx, env, w.companyB); err != nil {
			return err
		}
		if w.customer, err = erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Customer Inc", "is_company": true, "company_id": w.companyA, "email": "c@example.com"}); err != nil {
			return err
		}
		if w.portalPartner, err = erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Paula Portal", "parent_id": w.customer, "company_id": w.companyA}); err != nil {
			return err
		}
		if w.other, err = erptest.Create(ctx, env, "res.partner", map[string]any{"name": "Other Ltd", "is_company": true, "company_id": w.companyA}); err != nil {
			return err
		}
		taxes, err := env.Search(ctx, account.Tax, seed.Dom("company_id", "=", w.companyA), orm.SearchOptions{Limit: 1})
		if err != nil {
			return err
		}
		w.tax = taxes[0]
		if w.journal, err = account.JournalByType(ctx, env, w.companyA, "sale"); err != nil {
			return err
		}
		tmpl, err := erptest.Create(ctx, env, "product.template", map[string]any{"name": "Widget", "list_price": "10", "company_id": w.companyA})
		if err != nil {
			return err
		}
		w.productA, err = product.VariantOf(ctx, env, tmpl)
		return err
	})
	a := []int64{w.companyA}
	w.roles["admin"] = w.Admin
	w.roles["internal"] = w.User("internal@example.com", w.companyA, a, 0, "base.group_user")
	w.roles["salesA"] = w.User("sales-a@example.com", w.companyA, a, 0, sale.GroupSalesman)
	w.roles["salesB"] = w.User("sales-b@example.com", w.companyA, a, 0, sale.GroupSalesman)
	w.roles["salesAll"] = w.User("sales-all@example.com", w.companyA, a, 0, sale.GroupSalesmanAll)
	w.roles["billing"] = w.User("billing@example.com", w.companyA, a, 0, account.GroupBilling)
	w.roles["billingB"] = w.User("billing-b@example.com", w.companyB, []int64{w.companyB}, 0, account.GroupBilling)
	w.roles["portal"] = w.User("portal@example.com", w.companyA, a, w.portalPartner, "base.group_portal")
	w.roles["public"] = w.User("public", w.companyA, a, 0, "base.group_public")
	return w
}

// order creates a quotation (as the system) for a customer, owned by a salesperson.
func (w *world) order(ctx context.Context, env *orm.Env, partner, salesperson, company int64) (int64, error) {
	return erptest.Create(ctx, env.Sudo(), sale.Order, map[string]any{"partner_id": partner, "user_id": salesperson, "company_id": company,
		"currency_id": w.currency, "order_line": []any{[]any{0, 0, map[string]any{"product_id": w.productA, "product_uom_qty": 2.0, "price_unit": "10"}}}})
}

// postedInvoice confirms and invoices an order and posts the invoice, as the system.
func postedInvoice(ctx context.Context, env *orm.Env, order int64) (int64, error) {
	su := env.Sudo()
	if err := sale.Confirm(ctx, su, []int64{order}); err != nil {
		return 0, err
	}
	ids, err := sale.CreateInvoices(ctx, su, []int64{order}, nil)
	if err != nil {
		return 0, err
	}
	return ids[0], account.Post(ctx, su, ids)
}

func isAccess(err error) bool {
	var ae *orm.AccessError
	return errors.As(err, &ae)
}

func TestSalespeopleSeeOnlyTheirOwnOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		var mine, theirs int64
		w.Sudo(func(ctx context.Context, env *orm.Env) error {
			var err error
			if mine, err = w.order(ctx, env, w.customer, w.roles["salesA"], w.companyA); err != nil {
				return err
			}
			theirs, err = w.order(ctx, env, w.customer, w.roles["salesB"], w.companyA)
			return err
		})
		if err := w.Try(w.roles["salesA"], func(ctx context.Context, env *orm.Env) error {
			ids, err := env.Search(ctx, sale.Order, seed.Dom(), orm.SearchOptions{})
			if err != nil {
				return err
			}
			if !slices.Equal(ids, []int64{mine}) {
				t.Errorf("salesperson A sees orders %v, want only %d", ids, mine)
			}
			if _, err := env.Read(ctx, sale.Order, []int64{theirs}, []string{"name"}); !isAccess(err) {
				t.Errorf("A read B's order: %v", err)
			}
			if _, err := env.Read(ctx, sale.OrderLine, nil, nil); err != nil {
				return err
			}
			lines, err := env.Search(ctx, sale.OrderLine, seed.Dom("order_id", "=", theirs), orm.SearchOptions{})
			if err != nil || len(lines) != 0 {
				t.Errorf("A sees B's lines %v (%v)", lines, err)
			}
			if err := env.Write(ctx, sale.Order, []int64{theirs}, map[string]any{"note": "mine now"}); !isAccess(err) {
				t.Errorf("A wrote B's order: %v", err)
			}
			if err := sale.Confirm(ctx, env, []int64{theirs}); !isAccess(err) {
				t.Errorf("A confirmed B's order: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, role := range []string{"salesAll", "admin"} {
			if err := w.Try(w.roles[role], func(ctx context.Context, env *orm.Env) error {
				n, err := env.SearchCount(ctx, sale.Order, seed.Dom(), orm.SearchOptions{})
				if err != nil || n != 2 {
					t.Errorf("%s sees %d orders (%v), want 2", role, n, err)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestPortalSeesOnlyOwnDocuments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		var own, ownDraft, foreign, ownInvoice, foreignInvoice int64
		w.Sudo(func(ctx context.Context, env *orm.Env) error {
			var err error
			if own, err = w.order(ctx, env, w.customer, w.Admin, w.companyA); err != nil {
				return err
			}
			if ownDraft, err = w.order(ctx, env, w.portalPartner, w.Admin, w.companyA); err != nil {
				return err
			}
			if foreign, err = w.order(ctx, env, w.other, w.Admin, w.companyA); err != nil {
				return err
			}
			if ownInvoice, err = postedInvoice(ctx, env, own); err != nil {
				return err
			}
			foreignInvoice, err = postedInvoice(ctx, env, foreign)
			return err
		})
		if err := w.Try(w.roles["portal"], func(ctx context.Context, env *orm.Env) error {
			orders, err := env.Search(ctx, sale.Order, seed.Dom(), orm.SearchOptions{})
			if err != nil {
				return err
			}
			if !slices.Equal(orders, []int64{own}) {
				t.Errorf("portal sees orders %v, want %d (its commercial entity's, not drafts)", orders, own)
			}
			moves, err := env.Search(ctx, account.Move, seed.Dom(), orm.SearchOptions{})
			if err != nil {
				return err
			}
			if !slices.Equal(moves, []int64{ownInvoice}) {
				t.Errorf("portal sees invoices %v, want %d", moves, ownInvoice)
			}
			for model, id := range map[string]int64{sale.Order: foreign, account.Move: foreignInvoice} {
				if _, err := env.Read(ctx, model, []int64{id}, []string{"name"}); !isAccess(err) {
					t.Errorf("portal read %s %d: %v", model, id, err)
				}
			}
			if _, err := env.Read(ctx, sale.Order, []int64{ownDraft}, []string{"name"}); !isAccess(err) {
				t.Errorf("portal read a draft quotation: %v", err)
			}
			if err := env.Write(ctx, sale.Order, []int64{own}, map[string]any{"note": "x"}); !isAccess(err) {
				t.Errorf("portal wrote its order: %v", err)
			}
			lines, err := env.SearchRead(ctx, account.MoveLine, seed.Dom(), []string{"move_id"}, orm.SearchOptions{})
			if err != nil {
				return err
			}
			for _, l := range lines {
				if account.M2O(l["move_id"]) != ownInvoice {
					t.Errorf("portal sees a journal item of move %v", l["move_id"])
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCompaniesAreIsolated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		var invoiceA int64
		w.Sudo(func(ctx context.Context, env *orm.Env) error {
			o, err := w.order(ctx, env, w.customer, w.Admin, w.companyA)
			if err != nil {
				return err
			}
			invoiceA, err = postedInvoice(ctx, env, o)
			return err
		})
		if err := w.Try(w.roles["billingB"], func(ctx context.Context, env *orm.Env) error {
			for _, model := range []string{account.Move, account.MoveLine, sale.Order, account.Account, account.Journal, account.Tax} {
				ids, err := env.Search(ctx, model, seed.Dom("company_id", "=", w.companyA), orm.SearchOptions{})
				if err != nil {
					return err
				}
				if len(ids) != 0 && model != sale.Order {
					t.Errorf("company B's accountant finds %d %s records of company A", len(ids), model)
				}
			}
			if _, err := env.Read(ctx, account.Move, []int64{invoiceA}, []string{"name", "amount_total"}); !isAccess(err) {
				t.Errorf("company B read company A's invoice by id: %v", err)
			}
			if _, err := account.RegisterPayment(ctx, env, invoiceA, account.PaymentOptions{}); !isAccess(err) {
				t.Errorf("company B paid company A's invoice: %v", err)
			}
			rows, err := account.AgedReceivables(ctx, env, "2100-01-01")
			if err != nil {
				return err
			}
			if len(rows) != 0 {
				t.Errorf("company B's aged receivables show company A's customers: %v", rows)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// matrixCase is one model of the access matrix: how to make a target (as the
// system, inside the rolled-back transaction), what a role would create, and the
// operations each role may perform (letters r, w, c, u; absent roles: none).
type matrixCase struct {
	model   string
	target  func(ctx context.Context, su *orm.Env, w *world) (int64, error)
	create  func(w *world) map[string]any // nil: creation is not offered to anyone
	allowed map[string]string
}

func plain(model string, vals func(w *world) map[string]any) func(ctx context.Context, su *orm.Env, w *world) (int64, error) {
	return func(ctx context.Context, su *orm.Env, w *world) (int64, error) {
		return erptest.Create(ctx, su, model, vals(w))
	}
}

func matrix() []matrixCase {
	catalogue := map[string]string{"internal": "r", "salesA": "r", "salesAll": "r", "billing": "r", "admin": "rwcu"}
	config := map[string]string{"internal": "r", "salesA": "r", "salesAll": "r", "billing": "r", "admin": "rwcu"}
	invoice := func(w *world) map[string]any {
		return map[string]any{"move_type": "out_invoice", "partner_id": w.customer, "journal_id": w.journal, "company_id": w.companyA,
			"currency_id": w.currency, "invoice_user_id": w.roles["salesA"]}
	}
	order := func(w *world) map[string]any {
		return map[string]any{"partner_id": w.customer, "user_id": w.roles["salesA"], "company_id": w.companyA, "currency_id": w.currency}
	}
	tmpl := func(w *world) map[string]any {
		return map[string]any{"name": "Matrix product", "company_id": w.companyA}
	}
	return []matrixCase{
		{model: "uom.uom", target: plain("uom.uom", func(w *world) map[string]any { return map[string]any{"name": "Box", "category": "unit"} }),
			create: func(w *world) map[string]any { return map[string]any{"name": "Crate", "category": "unit"} }, allowed: catalogue},
		{model: "product.category", target: plain("product.category", func(w *world) map[string]any { return map[string]any{"name": "Tools"} }),
			create: func(w *world) map[string]any { return map[string]any{"name": "Toys"} }, allowed: catalogue},
		{model: "product.template", target: plain("product.template", tmpl), create: tmpl, allowed: catalogue},
		{model: "product.product",
			target: func(ctx context.Context, su *orm.Env, w *world) (int64, error) {
				t, err := erptest.Create(ctx, su, "product.template", tmpl(w))
				if err != nil {
					return 0, err
				}
				return product.VariantOf(ctx, su, t)
			},
			create: nil, allowed: map[string]string{"internal": "r", "salesA": "r", "salesAll": "r", "billing": "r", "admin": "rwu"}},
		{model: account.Account, target: plain(account.Account, func(w *world) map[string]any {
			return map[string]any{"code": "999999", "name": "Suspense", "account_type": "asset_current", "company_id": w.companyA}
		}), create: func(w *world) map[string]any {
			return map[string]any{"code": "999998", "name": "Other", "account_type": "asset_current", "company_id": w.companyA}
		}, allowed: map[string]string{"billing": "r", "admin": "rwcu"}},
		{model: account.Journal, target: plain(account.Journal, func(w *world) map[string]any {
			return map[string]any{"name": "Bank 2", "code": "BNK2", "type": "bank", "company_id": w.companyA}
		}), create: func(w *world) map[string]any {
			return map[string]any{"name": "Bank 3", "code": "BNK3", "type": "bank", "company_id": w.companyA}
		}, allowed: map[string]string{"billing": "r", "admin": "rwcu"}},
		{model: account.Tax, target: plain(account.Tax, func(w *world) map[string]any {
			return map[string]any{"name": "7%", "amount": 7.0, "company_id": w.companyA}
		}), create: func(w *world) map[string]any {
			return map[string]any{"name": "8%", "amount": 8.0, "company_id": w.companyA}
		}, allowed: config},
		{model: account.Term, target: plain(account.Term, func(w *world) map[string]any { return map[string]any{"name": "45 Days", "days": 45} }),
			create: func(w *world) map[string]any { return map[string]any{"name": "60 Days", "days": 60} }, allowed: config},
		{model: account.Rate, target: plain(account.Rate, func(w *world) map[string]any {
			return map[string]any{"name": "2026-01-01", "rate": 0.9, "currency_id": w.eur, "company_id": w.companyA}
		}), create: func(w *world) map[string]any {
			return map[string]any{"name": "2026-01-02", "rate": 0.91, "currency_id": w.eur, "company_id": w.companyA}
		}, allowed: config},
		{model: account.Move, target: plain(account.Move, invoice), create: invoice,
			allowed: map[string]string{"salesA": "rwc", "salesAll": "rwc", "billing": "rwcu", "admin": "rwcu"}},
		{model: account.MoveLine, target: func(ctx context.Context, su *orm.Env, w *world) (int64, error) {
			m, err := erptest.Create(ctx, su, account.Move, invoice(w))
			if err != nil {
				return 0, err
			}
			return erptest.Create(ctx, su, account.MoveLine, map[string]any{"move_id": m, "name": "Line", "price_unit": "5"})
		}, allowed: map[string]string{"salesA": "rwu", "salesAll": "rwu", "billing": "rwu", "admin": "rwu"}},
		{model: account.MoveLog, target: func(ctx context.Context, su *orm.Env, w *world) (int64, error) {
			m, err := erptest.Create(ctx, su, account.Move, invoice(w))
			if err != nil {
				return 0, err
			}
			return erptest.Create(ctx, su, account.MoveLog, map[string]any{"move_id": m, "state": "cancel"})
		}, allowed: map[string]string{"internal": "r", "salesA": "r", "salesAll": "r", "billing": "r", "admin": "r"}},
		{model: account.Payment, target: plain(account.Payment, func(w *world) map[string]any {
			return map[string]any{"partner_id": w.customer, "amount": "5", "currency_id": w.currency, "journal_id": w.journal, "company_id": w.companyA}
		}), create: func(w *world) map[string]any {
			return map[string]any{"partner_id": w.customer, "amount": "6", "currency_id": w.currency, "journal_id": w.journal, "company_id": w.companyA}
		}, allowed: map[string]string{"billing": "rwcu", "admin": "rwcu"}},
		{model: account.FullRec, target: plain(account.FullRec, func(w *world) map[string]any { return map[string]any{"name": "M0"} }),
			create: func(w *world) map[string]any { return map[string]any{"name": "M1"} }, allowed: map[string]string{"billing": "rwcu", "admin": "rwcu"}},
		{model: "account.journal.counter", target: plain("account.journal.counter", func(w *world) map[string]any {
			return map[string]any{"journal_id": w.journal, "prefix": "X/"}
		}), create: func(w *world) map[string]any { return map[string]any{"journal_id": w.journal, "prefix": "Y/"} }, allowed: map[string]string{}},
		{model: sale.Order, target: plain(sale.Order, order), create: order,
			allowed: map[string]string{"salesA": "rwcu", "salesAll": "rwcu", "billing": "r", "admin": "rwcu"}},
		{model: sale.OrderLine, target: func(ctx context.Context, su *orm.Env, w *world) (int64, error) {
			o, err := erptest.Create(ctx, su, sale.Order, order(w))
			if err != nil {
				return 0, err
			}
			return erptest.Create(ctx, su, sale.OrderLine, map[string]any{"order_id": o, "name": "Service", "price_unit": "3"})
		}, allowed: map[string]string{"salesA": "rwu", "salesAll": "rwu", "billing": "r", "admin": "rwu"}},
		{model: sale.OrderLog, target: func(ctx context.Context, su *orm.Env, w *world) (int64, error) {
			o, err := erptest.Create(ctx, su, sale.Order, order(w))
			if err != nil {
				return 0, err
			}
			return erptest.Create(ctx, su, sale.OrderLog, map[string]any{"order_id": o, "state": "cancel"})
		}, allowed: map[string]string{"internal": "r", "salesA": "r", "salesAll": "r", "billing": "r", "admin": "r"}},
		{model: "mail.mail", target: plain("mail.mail", func(w *world) map[string]any { return map[string]any{"email_to": "x@example.com"} }),
			create: func(w *world) map[string]any { return map[string]any{"email_to": "y@example.com"} }, allowed: map[string]string{"admin": "rwcu"}},
		{model: "portal.token", target: plain("portal.token", func(w *world) map[string]any {
			return map[string]any{"res_model": "sale.order", "res_id": 1, "token_hash": "00", "expires_at": "2100-01-01 00:00:00"}
		}), allowed: map[string]string{"admin": "rwu"}},
	}
}

func TestAccessMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		roles := []string{"admin", "internal", "salesA", "salesAll", "billing", "portal", "public"}
		for _, c := range matrix() {
			for _, role := range roles {
				got := ""
				for _, op := range "rwcu" {
					err := w.Try(w.roles[role], func(ctx context.Context, env *orm.Env) error {
						target, err := c.target(ctx, env.Sudo(), w)
						if err != nil {
							t.Fatalf("%s target: %v", c.model, err)
						}
						switch op {
						case 'r':
							ids, err := env.Search(ctx, c.model, seed.Dom("id", "=", target), orm.SearchOptions{})
							if err == nil && len(ids) == 0 {
								return &orm.AccessError{}
							}
							if err == nil {
								_, err = env.Read(ctx, c.model, []int64{target}, nil)
							}
							return err
						case 'w':
							return env.Write(ctx, c.model, []int64{target}, map[string]any{})
						case 'c':
							if c.create == nil {
								return &orm.AccessError{}
							}
							_, err := env.Create(ctx, c.model, []map[string]any{c.create(w)})
							return err
						default:
							return env.Unlink(ctx, c.model, []int64{target})
						}
					})
					switch {
					case err == nil:
						got += string(op)
					case !isAccess(err):
						t.Errorf("%s as %s, %c: unexpected error %v", c.model, role, op, err)
					}
				}
				if want := c.allowed[role]; got != want {
					t.Errorf("%s as %s: allowed %q, want %q", c.model, role, got, want)
				}
			}
		}
	})
}
