package webui

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// View declares the screens of one model: its list, its form and what can be done
// from them. Modules declare views in Go; the handlers are generic and driven by the
// registry (labels, types, selections, relations).
type View struct {
	// Slug names the view in URLs: /odoo/<slug>, /odoo/<slug>/<id>.
	Slug string
	// App is the top-bar entry the view belongs to; the first view of an app is
	// where its entry leads.
	App   string
	Title string
	Model string
	// Domain restricts the view to some records (invoices among journal entries);
	// Defaults are given to records created from it. Both use Odoo's value forms.
	Domain   []any
	Defaults map[string]any

	// List view.
	Columns []string
	Search  []string // fields the search box matches (ilike), any of them
	Filters []Filter
	GroupBy []string
	Sum     []string // monetary or numeric columns totalled under the list

	// Form view.
	Sections []Section
	Lines    *Lines
	// Related are buttons to records linked to this one (an order's invoices),
	// shown when there are some, in the view of their model.
	Related []Related
	// Status is a selection field shown as the status bar.
	Status  string
	Actions []Action
	// ReadOnly views have no create or edit (payments, say).
	ReadOnly bool
	// Report renders the record as PDF; nil: no download.
	Report Report
	// Portal names the portal page of the record (/my/<Portal>/<id>); "" if none.
	Portal string
	// PortalHidden are fields of the sections the customer's page leaves out
	// (an order's invoice status, which is the company's business).
	PortalHidden []string
	// PortalAnswer lets the customer accept or decline from the portal page.
	PortalAnswer *PortalAnswer

	// Figures are shown on the dashboard.
	Figures []Figure

	// Admin views (groups, access rights, record rules) open to administrators
	// only, whatever the access rights let other users read: everyone else gets the
	// not-found page. They are reached from the Settings menu, not the top bar.
	Admin bool

	domain  domain.Domain
	filters map[string]domain.Domain
}

// Filter is a named, predefined search.
type Filter struct {
	Name, Label string
	Domain      []any
}

// Section is a titled group of fields on the form.
type Section struct {
	Title  string
	Fields []string
}

// Lines is the one2many line editor of a form (order lines, invoice lines).
type Lines struct {
	Field   string
	Columns []string
	// Editable columns; the others (subtotals) are computed by the server.
	Editable []string
	// Totals are fields of the parent shown under the lines.
	Totals []string
	// Tags configures the editable many2many columns (taxes), by column.
	Tags map[string]*LineTags
}

// LineTags is a many2many column of the line editor, edited as tags: only
// records matching Domain and of the record's company (when the column's model
// has one) may be picked, and picking a product fills it with the product's
// defaults, as Odoo's onchange does.
type LineTags struct {
	// Domain narrows what may be picked (sale taxes among all taxes).
	Domain []any
	// Product is the many2one column whose pick fills this one with Defaults.
	Product  string
	Defaults func(ctx context.Context, env *orm.Env, product int64) ([]int64, error)

	domain domain.Domain
}

// Related is a button to records linked to the form's record: those a
// one2many or many2many Field of it holds (their form when there is one,
// else their list), or those of the view View whose many2one Inverse points
// at it (a customer's orders: their list, narrowed to that customer).
type Related struct {
	Label, Field  string
	View, Inverse string
}

// Action is a button of the status bar calling an exported method of the model.
type Action struct {
	Method, Label string
	// States lists the values of the view's Status field in which the button shows
	// (all when empty).
	States []string
	// When is an Odoo domain the record must also match for the button to show
	// and to run ("Register payment" only while something is due).
	When []any
	// Params are asked on a page of their own before the method runs, and
	// passed to it as keyword arguments (a payment's amount, date, journal).
	Params  []ActionParam
	Primary bool
	// Opens is the model of the records the method returns ids of (an invoice
	// created from an order); the form of the first one is shown next.
	Opens string

	when domain.Domain
}

// ActionParam is one value an action asks for before it runs.
type ActionParam struct {
	Name, Label string
	// Kind is "amount", "date" or "choice".
	Kind string
	// Default is the value the page starts with, for the record.
	Default func(ctx context.Context, env *orm.Env, id int64) (string, error)
	// Choices are the ids and labels a "choice" offers, for the record; only
	// they are accepted.
	Choices func(ctx context.Context, env *orm.Env, id int64) ([]ParamChoice, error)
}

// ParamChoice is one option of a "choice" parameter.
type ParamChoice struct {
	ID    int64
	Label string
}

// Figure is a number on the dashboard: a count of records, or a sum of a field.
type Figure struct {
	Label  string
	Domain []any
	Sum    string
}

// Report renders a record as a PDF document; log receives what the document is
// printed without (a logo that cannot be printed).
type Report func(ctx context.Context, env *orm.Env, id int64, log *slog.Logger) (filename string, pdf []byte, err error)

var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

var reservedSlugs = map[string]bool{"account": true, "settings": true, "picker": true, "new": true, "selection": true}

func (v *View) validate(reg *orm.Registry) error {
	if !slugPattern.MatchString(v.Slug) || reservedSlugs[v.Slug] {
		return fmt.Errorf("view slug %q: lower-case letters, digits and '-', not a reserved word", v.Slug)
	}
	m, ok := reg.Model(v.Model)
	if !ok {
		return fmt.Errorf("view %s: unknown model %q", v.Slug, v.Model)
	}
	if v.Title == "" || v.App == "" {
		return fmt.Errorf("view %s: a title and an app are required", v.Slug)
	}
	var err error
	if v.domain, err = domain.FromValue(v.Domain, domain.Limits{}); err != nil {
		return fmt.Errorf("view %s: domain: %w", v.Slug, err)
	}
	v.filters = map[string]domain.Domain{}
	for _, f := range v.Filters {
		if !slugPattern.MatchString(f.Name) {
			return fmt.Errorf("view %s: filter name %q", v.Slug, f.Name)
		}
		if v.filters[f.Name], err = domain.FromValue(f.Domain, domain.Limits{}); err != nil {
			return fmt.Errorf("view %s: filter %s: %w", v.Slug, f.Name, err)
		}
	}
	check := func(what string, model *orm.Model, names []string) error {
		for _, n := range names {
			f, ok := model.Field(n)
			if !ok {
				return fmt.Errorf("view %s: %s: %s has no field %q", v.Slug, what, model.Name, n)
			}
			if f.Secret {
				return fmt.Errorf("view %s: %s: %s.%s is secret", v.Slug, what, model.Name, n)
			}
		}
		return nil
	}
	if len(v.Columns) == 0 {
		return fmt.Errorf("view %s: a list needs columns", v.Slug)
	}
	for what, names := range map[string][]string{"columns": v.Columns, "search": v.Search, "group by": v.GroupBy, "sum": v.Sum} {
		if err := check(what, m, names); err != nil {
			return err
		}
	}
	for _, s := range v.Sections {
		if err := check("section "+s.Title, m, s.Fields); err != nil {
			return err
		}
	}
	if err := check("portal hidden", m, v.PortalHidden); err != nil {
		return err
	}
	if v.Status != "" {
		if f, ok := m.Field(v.Status); !ok || f.Type != orm.Selection {
			return fmt.Errorf("view %s: status %q is not a selection field", v.Slug, v.Status)
		}
	}
	if v.Lines != nil {
		f, ok := m.Field(v.Lines.Field)
		if !ok || f.Type != orm.One2many {
			return fmt.Errorf("view %s: lines %q is not a one2many field", v.Slug, v.Lines.Field)
		}
		cm, _ := reg.Model(f.Comodel)
		if err := check("lines", cm, v.Lines.Columns); err != nil {
			return err
		}
		if err := check("lines", cm, v.Lines.Editable); err != nil {
			return err
		}
		if err := check("totals", m, v.Lines.Totals); err != nil {
			return err
		}
		for col, lt := range v.Lines.Tags {
			tf, ok := cm.Field(col)
			if !ok || tf.Type != orm.Many2many || !contains(v.Lines.Editable, col) {
				return fmt.Errorf("view %s: line tags %q is not an editable many2many column", v.Slug, col)
			}
			if lt.Product != "" {
				pf, ok := cm.Field(lt.Product)
				if !ok || pf.Type != orm.Many2one || !contains(v.Lines.Editable, lt.Product) || lt.Defaults == nil {
					return fmt.Errorf("view %s: line tags %q: %q is not an editable many2one column with defaults", v.Slug, col, lt.Product)
				}
			}
			var err error
			if lt.domain, err = domain.FromValue(lt.Domain, domain.Limits{}); err != nil {
				return fmt.Errorf("view %s: line tags %q: %w", v.Slug, col, err)
			}
		}
	}
	for _, r := range v.Related {
		if r.View != "" {
			continue // checked against the other views (UI.checkRelated)
		}
		f, ok := m.Field(r.Field)
		if !ok || (f.Type != orm.One2many && f.Type != orm.Many2many) || r.Label == "" {
			return fmt.Errorf("view %s: related %q is not a labelled one2many or many2many field", v.Slug, r.Field)
		}
	}
	for i, a := range v.Actions {
		if _, err := m.Method(a.Method); err != nil {
			return fmt.Errorf("view %s: action %s: %w", v.Slug, a.Method, err)
		}
		if v.Actions[i].when, err = domain.FromValue(a.When, domain.Limits{}); err != nil {
			return fmt.Errorf("view %s: action %s: when: %w", v.Slug, a.Method, err)
		}
		for _, p := range a.Params {
			if !slugPattern.MatchString(strings.ReplaceAll(p.Name, "_", "-")) || p.Label == "" ||
				(p.Kind != "amount" && p.Kind != "date" && p.Kind != "choice") || (p.Kind == "choice") != (p.Choices != nil) {
				return fmt.Errorf("view %s: action %s: parameter %q: a name, a label, a kind among amount, date and choice, and choices for a choice only", v.Slug, a.Method, p.Name)
			}
		}
	}
	if v.PortalAnswer != nil && (v.Status == "" || v.Portal == "" || v.PortalAnswer.Accept == nil || v.PortalAnswer.Decline == nil) {
		return fmt.Errorf("view %s: a portal answer needs a status, a portal page and both hooks", v.Slug)
	}
	for _, fg := range v.Figures {
		if fg.Sum != "" {
			if _, ok := m.Field("company_id"); !ok {
				return fmt.Errorf("view %s: figure %q: sums are grouped by company_id, which %s lacks", v.Slug, fg.Label, m.Name)
			}
		}
		if _, err := domain.FromValue(fg.Domain, domain.Limits{}); err != nil {
			return fmt.Errorf("view %s: figure %q: %w", v.Slug, fg.Label, err)
		}
		if err := check("figure", m, nonEmpty(fg.Sum)); err != nil {
			return err
		}
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// model returns the view's model from the registry (validated at start).
func (v *View) model(reg *orm.Registry) *orm.Model {
	m, _ := reg.Model(v.Model)
	return m
}

// allowsAction reports whether the method is one of the view's buttons.
func (v *View) action(method string) (Action, bool) {
	for _, a := range v.Actions {
		if a.Method == method {
			return a, true
		}
	}
	return Action{}, false
}
