package webui

import (
	"fmt"
	"slices"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// tagChoices is what a tags column of the line editor offers: the column's
// domain and, when the column's model is company-bound, the record's company.
func tagChoices(lt *LineTags, co *orm.Model, company int64) domain.Domain {
	dom := lt.domain
	if _, ok := co.Field("company_id"); ok {
		dom = domain.AndAll(dom, leaf("company_id", "=", company))
	}
	return dom
}

// formCompany is the company a form's record belongs to: as shown on the form
// (read or submitted), else as stored, else the user's current company.
func (u *UI) formCompany(rq *request, v *View, id int64, rec record) (int64, error) {
	m := v.model(u.cfg.Registry)
	if _, ok := m.Field("company_id"); !ok {
		return rq.env.Identity().CompanyID, nil
	}
	switch x := rec["company_id"].(type) {
	case []any:
		if c := ref(x); c > 0 {
			return c, nil
		}
	case int64:
		if x > 0 {
			return x, nil
		}
	}
	if id != 0 {
		recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, []string{"company_id"})
		if err != nil {
			return 0, fmt.Errorf("company of %s %d: %w", v.Model, id, err)
		}
		if c := ref(recs[0]["company_id"]); c > 0 {
			return c, nil
		}
	}
	return rq.env.Identity().CompanyID, nil
}

// fillLineTags gives a tags cell its current tags, named as the user may read
// them (others are "Restricted record", as fillTags does), and the options of
// its multi-select: the current tags, then what the column offers.
func (u *UI) fillLineTags(rq *request, lt *LineTags, f *orm.Field, fv *fieldView, ids []int64, company int64) error {
	co, _ := u.cfg.Registry.Model(f.Comodel)
	return fillTagsOffering(rq, f, fv, ids, tagChoices(lt, co, company))
}

// pickable returns which of ids the user may put in a tags column: the ones the
// column offers for the company, as the user reads them. An id of another
// company, of the wrong kind, unreadable or non-existent is simply not among them.
func (u *UI) pickable(rq *request, lt *LineTags, f *orm.Field, company int64, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	co, _ := u.cfg.Registry.Model(f.Comodel)
	dom := domain.AndAll(tagChoices(lt, co, company), leaf("id", "in", int64sAny(ids)))
	found, err := rq.env.Search(rq.ctx, f.Comodel, dom, orm.SearchOptions{})
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", f.Name, err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// lineTagsChange is the value of a tags column after a product was picked: the
// product's defaults (those the column offers) replace the submitted tags when
// the user left them as they were, so a choice made in the same submission wins.
func (u *UI) lineTagsChange(rq *request, lt *LineTags, f *orm.Field, company, product int64, submitted, before []int64) ([]int64, bool, error) {
	if !sameIDs(submitted, before) {
		return submitted, false, nil
	}
	defaults, err := lt.Defaults(rq.ctx, rq.env, product)
	if err != nil {
		return nil, false, err
	}
	ok, err := u.pickable(rq, lt, f, company, defaults)
	if err != nil {
		return nil, false, err
	}
	out := []int64{}
	for _, id := range defaults {
		if ok[id] && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, true, nil
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// setIDs is the command that sets a many2many to exactly ids.
func setIDs(ids []int64) []any {
	return []any{[]any{int64(6), int64(0), int64sAny(ids)}}
}

// filledTags is a tags cell the server filled from a newly picked product, for
// the line editor's script to show: the product and the tags now chosen.
type filledTags struct {
	Product string       `json:"product"`
	Tags    []pickerItem `json:"tags"`
}

// filledLineTags lists, per submitted row, the tags columns filled from a
// product (nil for rows where none was).
func (u *UI) filledLineTags(rq *request, v *View, rows []record) ([]map[string]filledTags, error) {
	lf, _ := v.model(u.cfg.Registry).Field(v.Lines.Field)
	cm, _ := u.cfg.Registry.Model(lf.Comodel)
	out := make([]map[string]filledTags, len(rows))
	for i, r := range rows {
		for c := range v.Lines.Tags {
			if r[c+"__filled"] != true {
				continue
			}
			f, _ := cm.Field(c)
			fv := fieldView{Readonly: true}
			ids, _ := r[c].([]int64)
			if err := u.fillLineTags(rq, v.Lines.Tags[c], f, &fv, ids, 0); err != nil {
				return nil, err
			}
			ft := filledTags{Tags: []pickerItem{}}
			ft.Product, _ = r[c+"__product"].(string)
			for _, t := range fv.TagList {
				ft.Tags = append(ft.Tags, pickerItem{ID: t.ID, Name: t.Name})
			}
			if out[i] == nil {
				out[i] = map[string]filledTags{}
			}
			out[i][c] = ft
		}
	}
	return out, nil
}
