package webui

import (
	"fmt"
	"net/url"
	"strconv"

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
}

// buildLines shows the one2many rows: existing lines, then blank rows for new ones.
func (u *UI) buildLines(rq *request, v *View, m *orm.Model, rec record, errs map[string]string) (*linesView, error) {
	lf, _ := m.Field(v.Lines.Field)
	cm, _ := u.cfg.Registry.Model(lf.Comodel)
	lv := &linesView{Field: lf.Name, Label: lf.Label(), Error: errs[lf.Name]}
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
	editable := !v.ReadOnly
	for i, r := range rows {
		id, _ := r["id"].(int64)
		lr := lineRow{Index: i, ID: id}
		for _, c := range v.Lines.Columns {
			f, _ := cm.Field(c)
			fv := u.fieldFor(v, f, r[c], !editable || !contains(v.Lines.Editable, c))
			fv.Name = lineInput(i, c)
			if f.Type == orm.Many2one {
				fv.Picker = "/odoo/picker/" + v.Slug + "/" + lf.Name + "." + c
			}
			lr.Fields = append(lr.Fields, fv)
		}
		lv.Rows = append(lv.Rows, lr)
	}
	if editable {
		for i := len(rows); i < len(rows)+blankLines; i++ {
			lr := lineRow{Index: i}
			for _, c := range v.Lines.Columns {
				f, _ := cm.Field(c)
				fv := u.fieldFor(v, f, nil, !contains(v.Lines.Editable, c))
				fv.Name = lineInput(i, c)
				fv.Required = false
				if f.Type == orm.Many2one {
					fv.Picker = "/odoo/picker/" + v.Slug + "/" + lf.Name + "." + c
				}
				lr.Fields = append(lr.Fields, fv)
			}
			lv.Rows = append(lv.Rows, lr)
		}
	}
	lv.Count = len(lv.Rows)
	for _, t := range v.Lines.Totals {
		f, _ := m.Field(t)
		lv.Totals = append(lv.Totals, u.fieldFor(v, f, rec[t], true))
	}
	return lv, nil
}

func lineInput(i int, col string) string {
	return "line-" + strconv.Itoa(i) + "-" + col
}

// parseLines turns the submitted rows into x2many commands: (1, id, vals) for kept
// lines, (2, id) for removed ones, (0, 0, vals) for new non-empty rows. Only ids
// that are lines of this record are accepted.
func (u *UI) parseLines(rq *request, v *View, m *orm.Model, existing []int64, form url.Values) (cmds []any, shown []record, errs map[string]string, err error) {
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
			if raw != "" || display != "" {
				empty = false
			}
			val, sh, ferr := parseInput(rq.ctx, rq.env, f, raw, display)
			row[c] = sh
			if ferr != nil {
				errs[lf.Name] = fmt.Sprintf("line %d, %s: %s", i+1, f.Label(), ferr.(*fieldError).Message)
				continue
			}
			vals[c] = val
		}
		if id == 0 && empty {
			continue
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
