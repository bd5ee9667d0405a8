package webui

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

const (
	pageSize     = 80
	maxQueryText = 256
	maxPage      = 1 << 20
)

// listQuery is the state of a list view, all of it in the URL.
type listQuery struct {
	Text    string
	Filters []string
	GroupBy string
	// Group narrows the list to one group of GroupBy (its value as text).
	GroupField, GroupValue string
	Order                  string
	Desc                   bool
	Page                   int
	// IDs narrows the list to some records: those a form's related button
	// leads to (an order's invoices). The rules apply as to any search.
	IDs []int64
}

// maxListIDs bounds the records a list can be narrowed to by id.
const maxListIDs = 200

// parseListQuery reads the list's parameters; unknown filters, groups and
// orders are ignored, malformed ids refused.
func parseListQuery(v *View, q url.Values) (listQuery, error) {
	lq := listQuery{Text: strings.TrimSpace(q.Get("q")), Page: 1}
	if s := q.Get("ids"); s != "" {
		parts := strings.Split(s, ",")
		if len(parts) > maxListIDs {
			return lq, errBadRequest
		}
		for _, p := range parts {
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil || id <= 0 {
				return lq, errBadRequest
			}
			lq.IDs = append(lq.IDs, id)
		}
		lq.IDs = uniq(lq.IDs)
	}
	if len(lq.Text) > maxQueryText {
		lq.Text = lq.Text[:maxQueryText]
	}
	for _, f := range q["f"] {
		if _, ok := v.filters[f]; ok && len(lq.Filters) < len(v.Filters) {
			lq.Filters = append(lq.Filters, f)
		}
	}
	if g := q.Get("g"); contains(v.GroupBy, g) {
		lq.GroupBy = g
	}
	if gf := q.Get("gf"); contains(v.GroupBy, gf) {
		lq.GroupField, lq.GroupValue = gf, q.Get("gv")
	}
	if o := q.Get("o"); contains(v.Columns, o) {
		lq.Order, lq.Desc = o, q.Get("d") == "1"
	}
	if p, err := strconv.Atoi(q.Get("p")); err == nil && p > 1 && p < maxPage {
		lq.Page = p
	}
	return lq, nil
}

// idList is the ids parameter of a list narrowed to some records.
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// url rebuilds the list URL with changes applied by set.
func (lq listQuery) url(v *View, set func(*listQuery)) string {
	c := lq
	c.Filters = append([]string(nil), lq.Filters...)
	if set != nil {
		set(&c)
	}
	q := url.Values{}
	if c.Text != "" {
		q.Set("q", c.Text)
	}
	for _, f := range c.Filters {
		q.Add("f", f)
	}
	if c.GroupBy != "" {
		q.Set("g", c.GroupBy)
	}
	if c.GroupField != "" {
		q.Set("gf", c.GroupField)
		q.Set("gv", c.GroupValue)
	}
	if c.Order != "" {
		q.Set("o", c.Order)
		if c.Desc {
			q.Set("d", "1")
		}
	}
	if c.Page > 1 {
		q.Set("p", strconv.Itoa(c.Page))
	}
	if len(c.IDs) > 0 {
		q.Set("ids", idList(c.IDs))
	}
	s := "/odoo/" + v.Slug
	if enc := q.Encode(); enc != "" {
		s += "?" + enc
	}
	return s
}

// domain combines the view's domain, the search text, the filters and the group.
func (lq listQuery) domain(v *View, m *orm.Model) (domain.Domain, error) {
	parts := []domain.Domain{v.domain}
	if lq.Text != "" && len(v.Search) > 0 {
		var any []domain.Domain
		for _, f := range v.Search {
			any = append(any, leaf(f, "ilike", lq.Text))
		}
		parts = append(parts, domain.OrAll(any...))
	}
	for _, f := range lq.Filters {
		parts = append(parts, v.filters[f])
	}
	if len(lq.IDs) > 0 {
		parts = append(parts, leaf("id", "in", int64sAny(lq.IDs)))
	}
	if lq.GroupField != "" {
		f, _ := m.Field(lq.GroupField)
		val, err := groupValue(f, lq.GroupValue)
		if err != nil {
			return domain.Domain{}, err
		}
		parts = append(parts, leaf(f.Name, "=", val))
	}
	return domain.AndAll(parts...), nil
}

// groupValue reads a group's value from the URL in the form the domain wants.
func groupValue(f *orm.Field, s string) (any, error) {
	if s == "" || s == "false" {
		return false, nil
	}
	switch f.Type {
	case orm.Many2one, orm.Many2many, orm.Integer:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errBadRequest
		}
		return n, nil
	case orm.Boolean:
		return s == "true", nil
	}
	return s, nil
}

type column struct {
	Name, Label, SortURL string
	Sorted, Desc         bool
	Numeric              bool
}

type listRow struct {
	ID    int64
	URL   string
	Cells []cell
}

type cell struct {
	Text    string
	Numeric bool
}

type listGroup struct {
	Label, URL string
	Count      int64
	Sums       []string
}

type filterLink struct {
	Label, URL string
	Active     bool
}

type listData struct {
	View       *View
	Query      listQuery
	Columns    []column
	Rows       []listRow
	Groups     []listGroup
	GroupSums  []string // labels of the summed fields
	Filters    []filterLink
	GroupBys   []filterLink
	Total      int64
	First      int
	Last       int
	PrevURL    string
	NextURL    string
	Sums       []string // per column, "" when not summed
	HasSums    bool
	CanCreate  bool
	CanWrite   bool // archive and restore, where the model has "active"
	CanDelete  bool
	HasActive  bool
	IDList     string // the ids the list is narrowed to, as in its URL
	ClearURL   string
	ActionBase string
	ColSpan    int
}

// list shows the list view: search, filters, group-by, sorting and pages of 80,
// with a selection form for archive, delete and CSV export.
func (u *UI) list(rq *request, v *View) error {
	m := v.model(u.cfg.Registry)
	lq, err := parseListQuery(v, rq.r.URL.Query())
	if err != nil {
		return err
	}
	dom, err := lq.domain(v, m)
	if err != nil {
		return err
	}
	data := &listData{View: v, Query: lq, HasActive: m.HasActive(), IDList: idList(lq.IDs), ClearURL: "/odoo/" + v.Slug, ActionBase: "/odoo/" + v.Slug, ColSpan: len(v.Columns) + 1}
	for _, p := range []struct {
		op string
		to *bool
	}{{"create", &data.CanCreate}, {"write", &data.CanWrite}, {"unlink", &data.CanDelete}} {
		if *p.to, err = mayDo(rq, v, p.op); err != nil {
			return err
		}
	}
	for _, name := range v.Columns {
		f, _ := m.Field(name)
		c := column{Name: name, Label: f.Label(), Numeric: numeric(f)}
		if f.IsStored() {
			c.Sorted, c.Desc = lq.Order == name, lq.Desc
			c.SortURL = lq.url(v, func(c *listQuery) {
				c.Desc = c.Order == name && !c.Desc
				c.Order, c.Page = name, 1
			})
		}
		data.Columns = append(data.Columns, c)
	}
	for _, f := range v.Filters {
		active := contains(lq.Filters, f.Name)
		data.Filters = append(data.Filters, filterLink{Label: f.Label, Active: active, URL: lq.url(v, func(c *listQuery) {
			c.Page = 1
			if active {
				c.Filters = remove(c.Filters, f.Name)
			} else {
				c.Filters = append(c.Filters, f.Name)
			}
		})})
	}
	for _, g := range v.GroupBy {
		f, _ := m.Field(g)
		active := lq.GroupBy == g
		data.GroupBys = append(data.GroupBys, filterLink{Label: f.Label(), Active: active, URL: lq.url(v, func(c *listQuery) {
			c.Page, c.GroupField, c.GroupValue = 1, "", ""
			if active {
				c.GroupBy = ""
			} else {
				c.GroupBy = g
			}
		})})
	}
	if data.Total, err = rq.env.SearchCount(rq.ctx, v.Model, dom, orm.SearchOptions{}); err != nil {
		return err
	}
	if lq.GroupBy != "" {
		if err := u.listGroups(rq, v, m, dom, lq, data); err != nil {
			return err
		}
		return rq.page(u, 200, "list", &page{Title: v.Title, Active: appSlug(u, v), Crumbs: []crumb{{Label: v.Title}}, Content: data})
	}
	order := ""
	if lq.Order != "" {
		order = lq.Order
		if lq.Desc {
			order += " desc"
		}
		order += ", id"
	}
	offset := (lq.Page - 1) * pageSize
	recs, err := rq.env.SearchRead(rq.ctx, v.Model, dom, v.Columns, orm.SearchOptions{Offset: offset, Limit: pageSize, Order: order})
	if err != nil {
		return err
	}
	sums := make([]*apd.Decimal, len(v.Columns))
	for _, rec := range recs {
		id := rec["id"].(int64)
		row := listRow{ID: id, URL: fmt.Sprintf("/odoo/%s/%d", v.Slug, id)}
		for i, name := range v.Columns {
			f, _ := m.Field(name)
			row.Cells = append(row.Cells, cell{Text: formatLocal(f, rec[name], rq.env.Location()), Numeric: numeric(f)})
			if contains(v.Sum, name) {
				sums[i] = addDecimal(sums[i], rec[name])
			}
		}
		data.Rows = append(data.Rows, row)
	}
	for i := range v.Columns {
		s := ""
		if sums[i] != nil {
			s, data.HasSums = formatDecimal(sums[i]), true
		}
		data.Sums = append(data.Sums, s)
	}
	if len(recs) > 0 {
		data.First, data.Last = offset+1, offset+len(recs)
	}
	if lq.Page > 1 {
		data.PrevURL = lq.url(v, func(c *listQuery) { c.Page-- })
	}
	if int64(offset+len(recs)) < data.Total {
		data.NextURL = lq.url(v, func(c *listQuery) { c.Page++ })
	}
	return rq.page(u, 200, "list", &page{Title: v.Title, Active: appSlug(u, v), Crumbs: []crumb{{Label: v.Title}}, Content: data})
}

func (u *UI) listGroups(rq *request, v *View, m *orm.Model, dom domain.Domain, lq listQuery, data *listData) error {
	var aggs []string
	for _, s := range v.Sum {
		aggs = append(aggs, s+":sum")
		f, _ := m.Field(s)
		data.GroupSums = append(data.GroupSums, f.Label())
	}
	if f, _ := m.Field(lq.GroupBy); f.Type == orm.Many2many {
		return u.listTagGroups(rq, v, f, dom, lq, data)
	}
	groups, err := rq.env.ReadGroup(rq.ctx, v.Model, dom, aggs, []string{lq.GroupBy}, orm.GroupOptions{Limit: pageSize})
	if err != nil {
		return err
	}
	f, _ := m.Field(lq.GroupBy)
	for _, g := range groups {
		val := g[lq.GroupBy]
		label := formatValue(f, val)
		if label == "" {
			label = "None"
		}
		key := "false"
		switch x := val.(type) {
		case []any:
			key = strconv.FormatInt(ref(x), 10)
		case string:
			key = x
		case bool:
			key = strconv.FormatBool(x)
		case int64:
			key = strconv.FormatInt(x, 10)
		}
		count, _ := g["__count"].(int64)
		lg := listGroup{Label: label, Count: count, URL: lq.url(v, func(c *listQuery) {
			c.GroupBy, c.GroupField, c.GroupValue, c.Page = "", lq.GroupBy, key, 1
		})}
		for _, s := range v.Sum {
			sf, _ := m.Field(s)
			lg.Sums = append(lg.Sums, formatValue(sf, g[s]))
		}
		data.Groups = append(data.Groups, lg)
	}
	return nil
}

// listTagGroups groups by a many2many field (contact tags): a record is in the
// group of each of its tags, and in None when it has none. The tags are the
// first ones the user may read, by name; the counts are the user's searches.
func (u *UI) listTagGroups(rq *request, v *View, f *orm.Field, dom domain.Domain, lq listQuery, data *listData) error {
	tags, err := rq.env.NameSearch(rq.ctx, f.Comodel, "", domain.Domain{}, "ilike", pageSize)
	if err != nil {
		return err
	}
	type group struct {
		key, label string
		value      any
	}
	var groups []group
	for _, t := range tags {
		name, _ := t[1].(string)
		groups = append(groups, group{key: strconv.FormatInt(t[0].(int64), 10), label: name, value: t[0]})
	}
	groups = append(groups, group{key: "false", label: "None", value: false})
	for _, g := range groups {
		count, err := rq.env.SearchCount(rq.ctx, v.Model, domain.AndAll(dom, leaf(f.Name, "=", g.value)), orm.SearchOptions{})
		if err != nil {
			return err
		}
		if count == 0 {
			continue
		}
		lg := listGroup{Label: g.label, Count: count, URL: lq.url(v, func(c *listQuery) {
			c.GroupBy, c.GroupField, c.GroupValue, c.Page = "", lq.GroupBy, g.key, 1
		}), Sums: make([]string, len(v.Sum))}
		data.Groups = append(data.Groups, lg)
	}
	return nil
}

func numeric(f *orm.Field) bool {
	return f.Type == orm.Monetary || f.Type == orm.Float || f.Type == orm.Integer
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func addDecimal(sum *apd.Decimal, v any) *apd.Decimal {
	var d *apd.Decimal
	switch x := v.(type) {
	case *apd.Decimal:
		d = x
	case float64:
		d = new(apd.Decimal)
		d.SetFloat64(x)
	case int64:
		d = apd.New(x, 0)
	default:
		return sum
	}
	if sum == nil {
		sum = apd.New(0, 0)
	}
	out := new(apd.Decimal)
	apd.BaseContext.WithPrecision(34).Add(out, sum, d)
	return out
}

// appSlug is the top-bar entry a view belongs to.
func appSlug(u *UI, v *View) string {
	if v.Admin {
		return "settings"
	}
	if vs := u.viewsOfApp(v.App); len(vs) > 0 {
		return vs[0].Slug
	}
	return v.Slug
}
