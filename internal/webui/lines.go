package webui

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/instant-erp/instanterp/internal/orm"
)

// maxLines bounds the rows one form may submit.
const maxLines = 500

// blankLines are the empty rows offered for new lines when scripts are off.
const blankLines = 3

type lineRow struct {
	Index  int
	ID     int64
	Fields []fieldView
}

type linesView struct {
	Field   string
	Label   string
	Headers []string
	Rows    []lineRow
	Totals  []fieldView
	Error   string
	Count   int
	Picker  string
	// Editable lines have inputs, blank rows, Remove boxes and an Add button.
	Editable bool
}

// buildLines shows the one2many rows: existing lines, then blank rows for new ones.
func (u *UI) buildLines(rq *request, v *View, m *orm.Model, rec record, errs map[string]string, editable bool) (*linesView, error) {
	lf, _ := m.Field(v.Lines.Field)
	cm, _ := u.cfg.Registry.Model(lf.Comodel)
	lv := &linesView{Field: lf.Name, Label: lf.Label(), Error: errs[lf.Name], Editable: editable}
	for _, c := range v.Lines.Columns {
		f, _ := cm.Field(c)
		lv.Headers = append(lv.Headers, f.Label())
	}
	var rows []record
	switch x := rec[lf.Name].(type) {
	case []int64: // as read
		if len(x) > 0 {
			recs, err := rq.env.Read(rq.ctx, cm.Name, x, v.Lines.Columns)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				rows = append(rows, record(r))
			}
		}
	case []record: // as submitted
		rows = x
	}
	recID, _ := rec["id"].(int64)
	company := int64(0)
	if len(v.Lines.Tags) > 0 {
		var err error
		if company, err = u.formCompany(rq, v, recID, rec); err != nil {
			return nil, err
		}
	}
	cell := func(i int, c string, val any, r record, readonly bool) (fieldView, error) {
		f, _ := cm.Field(c)
		fv := u.fieldFor(v, f, val, readonly, rq.env.Location())
		fv.Name = lineInput(i, c)
		fv.Error = errs[lineInput(i, c)]
		switch f.Type {
		case orm.Many2one:
			fv.Picker = "/odoo/picker/" + v.Slug + "/" + lf.Name + "." + c
		case orm.Many2many:
			fv.Picker = "/odoo/picker/" + v.Slug + "/" + lf.Name + "." + c
			lt := v.Lines.Tags[c]
			if lt == nil {
				lt = &LineTags{}
			}
			ids, _ := val.([]int64)
			if err := u.fillLineTags(rq, lt, f, &fv, ids, company); err != nil {
				return fv, err
			}
			names := make([]string, len(fv.TagList))
			for k, t := range fv.TagList {
				names[k] = t.Name
			}
			fv.Value = strings.Join(names, ", ")
			// The product the tags were last filled for: as stored, or as submitted.
			if marker, ok := r[c+"__product"].(string); ok {
				fv.Marker = marker
			} else if lt.Product != "" {
				if p := ref(r[lt.Product]); p > 0 {
					fv.Marker = strconv.FormatInt(p, 10)
				}
			}
		}
		return fv, nil
	}
	for i, r := range rows {
		id, _ := r["id"].(int64)
		lr := lineRow{Index: i, ID: id}
		for _, c := range v.Lines.Columns {
			fv, err := cell(i, c, r[c], r, !editable || !contains(v.Lines.Editable, c))
			if err != nil {
				return nil, err
			}
			lr.Fields = append(lr.Fields, fv)
		}
		lv.Rows = append(lv.Rows, lr)
	}
	if editable {
		for i := len(rows); i < len(rows)+blankLines; i++ {
			lr := lineRow{Index: i}
			for _, c := range v.Lines.Columns {
				fv, err := cell(i, c, nil, record{}, !contains(v.Lines.Editable, c))
				if err != nil {
					return nil, err
				}
				fv.Required = false
				lr.Fields = append(lr.Fields, fv)
			}
			lv.Rows = append(lv.Rows, lr)
		}
	}
	lv.Count = len(lv.Rows)
	for _, t := range v.Lines.Totals {
		f, _ := m.Field(t)
		lv.Totals = append(lv.Totals, u.fieldFor(v, f, rec[t], true, rq.env.Location()))
	}
	return lv, nil
}

func lineInput(i int, col string) string {
	return "line-" + strconv.Itoa(i) + "-" + col
}

// parseLines turns the submitted rows into x2many commands: (1, id, vals) for kept
// lines, (2, id) for removed ones, (0, 0, vals) for new non-empty rows. Only ids
// that are lines of this record are accepted. Tags columns (taxes) accept only
// what they offer for the record's company, and are filled from a newly picked
// product; filled tells, per shown row, the columns filled that way.
func (u *UI) parseLines(rq *request, v *View, m *orm.Model, existing []int64, company int64, form url.Values) (cmds []any, shown []record, errs map[string]string, err error) {
	lf, _ := m.Field(v.Lines.Field)
	cm, _ := u.cfg.Registry.Model(lf.Comodel)
	n, perr := strconv.Atoi(form.Get("line-count"))
	if perr != nil || n < 0 || n > maxLines {
		return nil, nil, nil, errBadRequest
	}
	own := map[int64]bool{}
	for _, id := range existing {
		own[id] = true
	}
	prior, err := u.priorTags(rq, v, cm, existing)
	if err != nil {
		return nil, nil, nil, err
	}
	errs = map[string]string{}
	kept := map[int64]bool{}
	for i := 0; i < n; i++ {
		var id int64
		if s := form.Get(lineInput(i, "id")); s != "" {
			id, perr = strconv.ParseInt(s, 10, 64)
			if perr != nil || !own[id] || kept[id] {
				return nil, nil, nil, errBadRequest
			}
			kept[id] = true
		}
		if id != 0 && form.Get(lineInput(i, "delete")) != "" {
			cmds = append(cmds, []any{2, id})
			continue
		}
		vals := map[string]any{}
		row := record{"id": id}
		empty := true
		for _, c := range v.Lines.Editable {
			f, _ := cm.Field(c)
			raw, display := form.Get(lineInput(i, c)), form.Get(lineInput(i, c)+"__display")
			if f.Type == orm.Many2many {
				raw = strings.Join(form[lineInput(i, c)], ",") // one value per tag
			}
			if raw != "" || display != "" {
				empty = false
			}
			val, sh, ferr := parseInput(rq.ctx, rq.env, f, raw, display)
			row[c] = sh
			if id == 0 && raw == "" && display == "" && f.Type != orm.Boolean && f.Type != orm.Many2many {
				// A new line's empty cell takes the model's default: the
				// product's description and price, say.
				continue
			}
			if ferr != nil {
				errs[lf.Name] = fmt.Sprintf("line %d, %s: %s", i+1, f.Label(), ferr.(*fieldError).Message)
				errs[lineInput(len(shown), c)] = ferr.(*fieldError).Message
				continue
			}
			vals[c] = val
		}
		if id == 0 && empty {
			continue
		}
		for _, c := range v.Lines.Editable {
			lt := v.Lines.Tags[c]
			ids, parsed := row[c].([]int64)
			if lt == nil || !parsed {
				continue
			}
			f, _ := cm.Field(c)
			before := prior[id][c]
			marker := form.Get(lineInput(i, c) + "__product")
			if lt.Product != "" {
				product, _ := vals[lt.Product].(int64)
				if product != 0 && strconv.FormatInt(product, 10) != marker {
					changed, filled, err := u.lineTagsChange(rq, lt, f, company, product, ids, before)
					if err != nil {
						return nil, nil, nil, err
					}
					if filled {
						row[c+"__filled"] = true
					}
					ids, marker = changed, strconv.FormatInt(product, 10)
				}
			}
			row[c], row[c+"__product"] = ids, marker
			ok, err := u.pickable(rq, lt, f, company, ids)
			if err != nil {
				return nil, nil, nil, err
			}
			for _, t := range ids {
				// A tag the line already has may stay (an archived tax, say).
				if !ok[t] && !slices.Contains(before, t) {
					msg := "pick from the list: this one is not offered for the record's company"
					errs[lf.Name] = fmt.Sprintf("line %d, %s: %s", i+1, f.Label(), msg)
					errs[lineInput(len(shown), c)] = msg
					break
				}
			}
			vals[c] = setIDs(ids)
		}
		shown = append(shown, row)
		if id == 0 {
			cmds = append(cmds, []any{0, 0, vals})
		} else {
			cmds = append(cmds, []any{1, id, vals})
		}
	}
	// Lines of the record the form did not mention are left as they are.
	return cmds, shown, errs, nil
}

// priorTags reads the tags columns of the record's lines as stored, by line.
func (u *UI) priorTags(rq *request, v *View, cm *orm.Model, existing []int64) (map[int64]map[string][]int64, error) {
	out := map[int64]map[string][]int64{}
	if len(v.Lines.Tags) == 0 || len(existing) == 0 {
		return out, nil
	}
	var cols []string
	for c := range v.Lines.Tags {
		cols = append(cols, c)
	}
	recs, err := rq.env.Read(rq.ctx, cm.Name, existing, cols)
	if err != nil {
		return nil, fmt.Errorf("tags of the lines: %w", err)
	}
	for _, r := range recs {
		row := map[string][]int64{}
		for _, c := range cols {
			row[c], _ = r[c].([]int64)
		}
		out[r["id"].(int64)] = row
	}
	return out, nil
}
