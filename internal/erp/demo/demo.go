// Package demo loads a believable, deterministic data set into a tenant through
// the ORM, as its administrator: 50 partners, 30 products, 20 quotations and
// orders in every state, 10 invoices of which some are paid. The same code always
// produces the same records (dates follow the day it runs).
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/product"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// ErrLoaded is returned when the tenant already holds the demo data.
var ErrLoaded = errors.New("the demo data is already loaded")

// Summary counts what Load created.
type Summary struct {
	Partners, Products, Orders, Invoices, Paid int
}

// marker is the reference of the first demo customer, to recognise a loaded tenant.
const marker = "DEMO-C01"

// Load adds the demo data to an installed tenant in one transaction.
func Load(ctx context.Context, db *store.DB, reg *orm.Registry) (Summary, error) {
	var sum Summary
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		sys, err := reg.NewEnv(tx, db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		n, err := sys.Sudo().SearchCount(ctx, "res.partner", seed.Dom("ref", "=", marker), orm.SearchOptions{IncludeArchived: true})
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrLoaded
		}
		admins, err := sys.Sudo().Search(ctx, "res.users", seed.Dom("groups_id.xml_id", "=", "base.group_system"), orm.SearchOptions{Limit: 1, Order: "id"})
		if err != nil {
			return err
		}
		if len(admins) == 0 {
			return fmt.Errorf("load demo data: the tenant has no administrator")
		}
		env, err := base.NewEnv(ctx, tx, db.Engine, reg, admins[0])
		if err != nil {
			return err
		}
		l := &loader{env: env, rng: rand.New(rand.NewPCG(2026, 11)), company: env.Identity().CompanyID, now: nowUTC()}
		sum, err = l.run(ctx)
		return err
	})
	return sum, err
}

type loader struct {
	env      *orm.Env
	rng      *rand.Rand
	company  int64
	tax      int64
	partners []int64 // customers that buy: companies and individuals
	products []int64
	sellers  []int64
	now      time.Time // the orders are dated back from it
}

func (l *loader) create(ctx context.Context, model string, vals map[string]any) (int64, error) {
	ids, err := l.env.Create(ctx, model, []map[string]any{vals})
	if err != nil {
		return 0, fmt.Errorf("demo %s: %w", model, err)
	}
	return ids[0], nil
}

func (l *loader) run(ctx context.Context) (Summary, error) {
	var sum Summary
	taxes, err := l.env.Search(ctx, account.Tax, seed.Dom("name", "=", "15%", "company_id", "=", l.company), orm.SearchOptions{Limit: 1})
	if err != nil || len(taxes) == 0 {
		return sum, fmt.Errorf("demo: the 15%% sales tax is missing (%v)", err)
	}
	l.tax = taxes[0]
	if err := l.salespeople(ctx); err != nil {
		return sum, err
	}
	if sum.Partners, err = l.partnersSet(ctx); err != nil {
		return sum, err
	}
	if sum.Products, err = l.productsSet(ctx); err != nil {
		return sum, err
	}
	orders, err := l.ordersSet(ctx)
	if err != nil {
		return sum, err
	}
	sum.Orders = len(orders)
	sum.Invoices, sum.Paid, err = l.invoicesSet(ctx, orders)
	return sum, err
}

func (l *loader) salespeople(ctx context.Context) error {
	for _, s := range []struct{ name, login string }{{"Marc Demo", "marc.demo@example.com"}, {"Mitchell Admin", "mitchell@example.com"}} {
		p, err := l.create(ctx, "res.partner", map[string]any{"name": s.name, "email": s.login, "company_id": l.company})
		if err != nil {
			return err
		}
		g, err := seed.GroupID(ctx, l.env, sale.GroupSalesman)
		if err != nil {
			return err
		}
		u, err := l.create(ctx, "res.users", map[string]any{"name": s.name, "login": s.login, "partner_id": p, "company_id": l.company,
			"company_ids": []any{[]any{6, 0, []any{l.company}}}, "groups_id": []any{[]any{6, 0, []any{g}}}})
		if err != nil {
			return err
		}
		l.sellers = append(l.sellers, u)
	}
	return nil
}

var companies = []struct{ name, city, street string }{
	{"Azure Interior", "Fremont", "4557 De Silva St"}, {"Deco Addict", "Pasadena", "77 Santa Barbara Rd"},
	{"Gemini Furniture", "Fairfield", "317 Fairchild Dr"}, {"Lumber Inc", "Stockton", "1337 N San Joaquin St"},
	{"Ready Mat", "Tracy", "7500 W Linne Road"}, {"The Jackson Group", "Sacramento", "1611 Peony Dr"},
	{"Wood Corner", "Turlock", "1839 Arbor Way"}, {"Acme Office Supplies", "Portland", "12 Alder St"},
	{"Brightline Studio", "Seattle", "88 Pine St"}, {"Cedar & Stone", "Boise", "5 Main St"},
	{"Delta Logistics", "Reno", "900 Mill St"}, {"Evergreen Clinics", "Eugene", "41 Willamette St"},
	{"Foxglove Bakery", "Salem", "3 Court St"}, {"Granite Legal", "Spokane", "210 Riverside Ave"},
	{"Harbor Marine", "Tacoma", "15 Dock St"}, {"Ivy School", "Olympia", "400 Capitol Way"},
	{"Juniper Hotels", "Bend", "77 Wall St"}, {"Kestrel Labs", "Corvallis", "19 Monroe Ave"},
	{"Lakeside Dental", "Medford", "8 Lake Dr"}, {"Maple Architects", "Yakima", "260 Front St"},
}

var firstNames = []string{"Addison", "Brandon", "Colleen", "Douglas", "Edith", "Floyd", "Gemma", "Henry", "Iris", "Jesse",
	"Kim", "Lorraine", "Marvin", "Nadia", "Oscar"}

var lastNames = []string{"Olson", "Freeman", "Diaz", "Fletcher", "Sanchez", "Steward", "Fox", "Lopez", "Hayes", "Reed"}

// partnersSet creates 20 companies with 30 contacts among them: 50 partners.
func (l *loader) partnersSet(ctx context.Context) (int, error) {
	n := 0
	us, err := l.env.Search(ctx, "res.country", seed.Dom("code", "=", "US"), orm.SearchOptions{Limit: 1})
	if err != nil || len(us) == 0 {
		return n, fmt.Errorf("demo: the United States are missing from the countries (%v)", err)
	}
	var firms []int64
	for i, c := range companies {
		// 555-01xx numbers are reserved for fiction.
		id, err := l.create(ctx, "res.partner", map[string]any{"name": c.name, "is_company": true, "street": c.street, "city": c.city,
			"country_id": us[0], "phone": fmt.Sprintf("+1 555-01%02d", i),
			"email": fmt.Sprintf("info@%s.example.com", slug(c.name)), "ref": fmt.Sprintf("DEMO-C%02d", i+1), "company_id": l.company})
		if err != nil {
			return n, err
		}
		firms = append(firms, id)
		l.partners = append(l.partners, id)
		n++
	}
	for i := 0; i < 30; i++ {
		first, last := firstNames[i%len(firstNames)], lastNames[(i*7)%len(lastNames)]
		vals := map[string]any{"name": first + " " + last, "email": fmt.Sprintf("%s.%s@example.com", slug(first), slug(last)), "company_id": l.company}
		if i < 24 {
			vals["parent_id"] = firms[i%len(firms)]
		} else {
			vals["city"], vals["country_id"] = companies[i%len(companies)].city, us[0]
			vals["mobile"] = fmt.Sprintf("+1 555-01%02d", 50+i)
		}
		id, err := l.create(ctx, "res.partner", vals)
		if err != nil {
			return n, err
		}
		if i >= 24 {
			l.partners = append(l.partners, id)
		}
		n++
	}
	return n, nil
}

func slug(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			out = append(out, c)
		case 'A' <= c && c <= 'Z':
			out = append(out, c+'a'-'A')
		}
	}
	return string(out)
}

var catalogue = []struct {
	name, code, price, cost string
	service                 bool
}{
	{"Office Chair", "FURN_0001", "70.00", "55.00", false}, {"Office Chair Black", "FURN_0002", "120.50", "90.00", false},
	{"Large Desk", "FURN_0003", "1799.00", "1300.00", false}, {"Corner Desk Left Sit", "FURN_0004", "85.00", "60.00", false},
	{"Drawer", "FURN_0005", "110.50", "80.00", false}, {"Drawer Black", "FURN_0006", "25.00", "18.00", false},
	{"Cabinet with Doors", "FURN_0007", "140.00", "110.00", false}, {"Large Cabinet", "FURN_0008", "320.00", "250.00", false},
	{"Storage Box", "FURN_0009", "15.80", "12.00", false}, {"Pedal Bin", "FURN_0010", "47.00", "30.00", false},
	{"Desk Combination", "FURN_0011", "450.00", "300.00", false}, {"Acoustic Bloc Screens", "FURN_0012", "295.00", "200.00", false},
	{"Three-Seat Sofa", "FURN_0013", "1500.00", "1000.00", false}, {"Conference Chair", "FURN_0014", "33.00", "28.00", false},
	{"Flipover", "FURN_0015", "1950.00", "1700.00", false}, {"Desk Stand with Screen", "FURN_0016", "2100.00", "1900.00", false},
	{"Individual Workplace", "FURN_0017", "885.00", "876.00", false}, {"Customizable Desk", "FURN_0018", "750.00", "500.00", false},
	{"Monitor Arm", "FURN_0019", "64.99", "40.00", false}, {"Whiteboard Pen", "FURN_0020", "1.20", "0.60", false},
	{"LED Desk Lamp", "FURN_0021", "39.90", "22.00", false}, {"Ergonomic Footrest", "FURN_0022", "29.95", "15.00", false},
	{"Filing Cabinet", "FURN_0023", "189.00", "140.00", false}, {"Coat Rack", "FURN_0024", "54.00", "31.00", false},
	{"Office Design Software", "SERV_0001", "280.00", "0", true}, {"Furniture Assembly", "SERV_0002", "45.00", "30.00", true},
	{"Delivery", "SERV_0003", "25.00", "15.00", true}, {"Interior Design Consultation", "SERV_0004", "95.00", "60.00", true},
	{"On-site Training", "SERV_0005", "120.00", "80.00", true}, {"Maintenance Contract", "SERV_0006", "499.00", "300.00", true},
}

func (l *loader) productsSet(ctx context.Context) (int, error) {
	units, err := product.UnitID(ctx, l.env, "Units")
	if err != nil {
		return 0, err
	}
	hours, err := product.UnitID(ctx, l.env, "Hours")
	if err != nil {
		return 0, err
	}
	for _, p := range catalogue {
		kind, uom := "consu", units
		if p.service {
			kind, uom = "service", hours
		}
		tmpl, err := l.create(ctx, "product.template", map[string]any{"name": p.name, "default_code": p.code, "list_price": p.price,
			"standard_price": p.cost, "type": kind, "uom_id": uom, "company_id": l.company, "taxes_id": []any{[]any{6, 0, []any{l.tax}}}})
		if err != nil {
			return 0, err
		}
		v, err := product.VariantOf(ctx, l.env, tmpl)
		if err != nil {
			return 0, err
		}
		l.products = append(l.products, v)
	}
	return len(catalogue), nil
}

// orderStates is the fate of each of the 20 orders, in order.
var orderStates = []string{
	"invoice_paid", "invoice_paid", "invoice_paid", "invoice_paid", "invoice_partial", "invoice_partial",
	"invoice", "invoice", "invoice", "invoice", "sale", "draft", "draft", "draft", "draft",
	"sent", "sent", "sent", "cancel", "cancel",
}

type demoOrder struct {
	id     int64
	fate   string
	placed time.Time
}

// placedDaysAgo spreads the orders over the last three months, as a company's
// would be: the invoiced ones from 90 days back, so that their invoices fall
// due at different times and every period of the aged receivables has
// something in it; the open quotations and orders within the last three weeks.
func placedDaysAgo(i int, fate string) int {
	if strings.HasPrefix(fate, "invoice") {
		return 90 - 9*i
	}
	return 2 * (len(orderStates) - i)
}

func (l *loader) ordersSet(ctx context.Context) ([]demoOrder, error) {
	terms, err := l.env.Search(ctx, account.Term, seed.Dom(), orm.SearchOptions{Order: "days"})
	if err != nil {
		return nil, err
	}
	var out []demoOrder
	for i, fate := range orderStates {
		nLines := 1 + l.rng.IntN(4)
		var lines []any
		for j := 0; j < nLines; j++ {
			p := l.products[l.rng.IntN(len(l.products))]
			pr, err := l.env.ReadValues(ctx, "product.product", []int64{p}, []string{"list_price", "uom_id"})
			if err != nil {
				return nil, err
			}
			vals := map[string]any{"product_id": p, "product_uom_qty": float64(1 + l.rng.IntN(9)), "price_unit": pr[0]["list_price"],
				"product_uom": pr[0]["uom_id"], "tax_id": []any{[]any{6, 0, []any{l.tax}}}}
			if l.rng.IntN(4) == 0 {
				vals["discount"] = float64(5 * (1 + l.rng.IntN(3)))
			}
			lines = append(lines, []any{0, 0, vals})
		}
		vals := map[string]any{"partner_id": l.partners[(i*7)%len(l.partners)], "user_id": l.sellers[i%len(l.sellers)], "order_line": lines}
		if len(terms) > 0 {
			vals["payment_term_id"] = terms[i%len(terms)]
		}
		id, err := l.create(ctx, sale.Order, vals)
		if err != nil {
			return nil, err
		}
		switch fate {
		case "draft":
		case "sent":
			_, err = sale.SendQuotation(ctx, l.env, []int64{id}, l.now)
		case "cancel":
			err = sale.Cancel(ctx, l.env, []int64{id})
		default:
			err = sale.Confirm(ctx, l.env, []int64{id})
		}
		if err != nil {
			return nil, fmt.Errorf("demo order %d (%s): %w", i+1, fate, err)
		}
		// Dated last: confirming an order dates it to the moment of confirmation.
		placed := l.now.AddDate(0, 0, -placedDaysAgo(i, fate))
		dates := map[string]any{"date_order": placed.Format(orm.DatetimeLayout), "validity_date": placed.AddDate(0, 0, 30).Format(orm.DateLayout)}
		if err := l.env.Write(ctx, sale.Order, []int64{id}, dates); err != nil {
			return nil, fmt.Errorf("date demo order %d: %w", i+1, err)
		}
		out = append(out, demoOrder{id: id, fate: fate, placed: placed})
	}
	return out, nil
}

func (l *loader) invoicesSet(ctx context.Context, orders []demoOrder) (invoices, paid int, err error) {
	for _, o := range orders {
		if o.fate != "invoice" && o.fate != "invoice_paid" && o.fate != "invoice_partial" {
			continue
		}
		ids, err := sale.CreateInvoices(ctx, l.env, []int64{o.id}, nil)
		if err != nil {
			return invoices, paid, err
		}
		// Invoiced the day after the order, paid a week after the invoice.
		invoiced := o.placed.AddDate(0, 0, 1)
		if err := l.env.Write(ctx, account.Move, ids, map[string]any{"invoice_date": invoiced.Format(orm.DateLayout)}); err != nil {
			return invoices, paid, err
		}
		if err := account.Post(ctx, l.env, ids); err != nil {
			return invoices, paid, err
		}
		invoices++
		opts := account.PaymentOptions{Date: invoiced.AddDate(0, 0, 7).Format(orm.DateLayout)}
		switch o.fate {
		case "invoice_paid":
		case "invoice_partial":
			m, err := l.env.ReadValues(ctx, account.Move, ids, []string{"amount_total", "currency_id"})
			if err != nil {
				return invoices, paid, err
			}
			digits, err := account.CurrencyDigits(ctx, l.env, account.M2O(m[0]["currency_id"]))
			if err != nil {
				return invoices, paid, err
			}
			opts.Amount = money.Round(money.Div(account.Dec(m[0]["amount_total"]), apd.New(2, 0)), digits)
		default:
			continue
		}
		if _, err := account.RegisterPayment(ctx, l.env, ids[0], opts); err != nil {
			return invoices, paid, err
		}
		paid++
	}
	return invoices, paid, nil
}
