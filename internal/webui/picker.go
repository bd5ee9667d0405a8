package webui

import (
	"encoding/json"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

const pickerLimit = 8

type pickerItem struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// picker answers the many2one and many2many search-as-you-type of a form: only for a field the
// view declares (a field of the form, or "lines.column" of its line editor), and as
// the user, so it offers only records they may read.
func (u *UI) picker(rq *request, slug, field string) error {
	v, ok := u.views[slug]
	if !ok {
		return errNotFound
	}
	comodel, ok := u.pickerTarget(v, field)
	if !ok {
		return errNotFound
	}
	q := strings.TrimSpace(rq.r.URL.Query().Get("q"))
	if len(q) > maxQueryText {
		q = q[:maxQueryText]
	}
	dom := domain.Domain{}
	if lines, col, ok := strings.Cut(field, "."); ok && v.Lines != nil && lines == v.Lines.Field {
		if lt := v.Lines.Tags[col]; lt != nil {
			// The search offers the user's current company's choices; the form
			// checks them against the record's company on save.
			co, _ := u.cfg.Registry.Model(comodel)
			dom = tagChoices(lt, co, rq.env.Identity().CompanyID)
		}
	}
	found, err := rq.env.NameSearch(rq.ctx, comodel, q, dom, "ilike", pickerLimit)
	if err != nil {
		return err
	}
	items := make([]pickerItem, 0, len(found))
	for _, p := range found {
		name, _ := p[1].(string)
		items = append(items, pickerItem{ID: p[0].(int64), Name: name})
	}
	body, err := json.Marshal(items)
	if err != nil {
		return err
	}
	rq.send("application/json", body)
	return nil
}

func (u *UI) pickerTarget(v *View, field string) (string, bool) {
	m := v.model(u.cfg.Registry)
	if lines, col, ok := strings.Cut(field, "."); ok {
		if v.Lines == nil || lines != v.Lines.Field || !contains(v.Lines.Editable, col) {
			return "", false
		}
		lf, _ := m.Field(lines)
		cm, _ := u.cfg.Registry.Model(lf.Comodel)
		f, ok := cm.Field(col)
		if !ok || f.Type != orm.Many2one && (f.Type != orm.Many2many || v.Lines.Tags[col] == nil) {
			return "", false
		}
		return f.Comodel, true
	}
	if !formHas(v, field) {
		return "", false
	}
	f, _ := m.Field(field)
	if f.Type != orm.Many2one && f.Type != orm.Many2many || isReadonly(f) {
		return "", false
	}
	return f.Comodel, true
}
