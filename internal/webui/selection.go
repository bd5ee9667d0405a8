package webui

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// maxSelection bounds the records one action may touch.
const maxSelection = 500

// selection runs a list action on the selected records: archive, restore, delete or
// export as CSV. Each id must be a record of the view the user may read; the ORM
// then checks the write or delete right on every one.
func (u *UI) selection(rq *request, v *View) error {
	raw := rq.r.PostForm["ids"]
	if len(raw) == 0 || len(raw) > maxSelection {
		return errBadRequest
	}
	ids := make([]int64, 0, len(raw))
	for _, s := range raw {
		id, ok := recordID(s)
		if !ok || id == 0 {
			return errBadRequest
		}
		ids = append(ids, id)
	}
	visible, err := rq.env.Search(rq.ctx, v.Model, domain.AndAll(v.domain, leaf("id", "in", int64sAny(ids))),
		orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return err
	}
	if len(visible) != len(uniq(ids)) {
		return errNotFound
	}
	back := "/odoo/" + v.Slug
	if rq.r.PostFormValue("back") == "form" && len(ids) == 1 {
		back = fmt.Sprintf("/odoo/%s/%d", v.Slug, ids[0])
	}
	op := rq.r.PostFormValue("op")
	switch op {
	case "export":
		return u.exportCSV(rq, v, visible)
	case "archive", "unarchive":
		if v.ReadOnly || !v.model(u.cfg.Registry).HasActive() {
			return errBadRequest
		}
		err = rq.env.Write(rq.ctx, v.Model, visible, map[string]any{"active": op == "unarchive"})
		op += "d"
	case "delete":
		if v.ReadOnly {
			return errBadRequest
		}
		// Deleting groups ends their members' sessions like any loss of a
		// group (base's watch on group membership, in this transaction).
		err = rq.env.Unlink(rq.ctx, v.Model, visible)
		op, back = "deleted", "/odoo/"+v.Slug
	default:
		return errBadRequest
	}
	if err != nil {
		if _, msg, ok := userFacing(err, v); ok {
			rq.rollback = true
			return u.refused(rq, v, msg)
		}
		return err
	}
	rq.setFlash(op)
	rq.redirect(back)
	return nil
}

// refused shows why an action was refused, with a way back.
func (u *UI) refused(rq *request, v *View, msg string) error {
	return rq.page(u, 422, "message", &page{Title: v.Title, Active: appSlug(u, v), Error: msg,
		Crumbs:  []crumb{{Label: v.Title, URL: "/odoo/" + v.Slug}, {Label: "Refused"}},
		Content: messageData{Back: "/odoo/" + v.Slug}})
}

type messageData struct {
	Text string
	Back string
}

// exportCSV writes the list columns of the records. Cells that a spreadsheet would
// read as a formula are prefixed with a quote.
func (u *UI) exportCSV(rq *request, v *View, ids []int64) error {
	m := v.model(u.cfg.Registry)
	recs, err := rq.env.Read(rq.ctx, v.Model, ids, v.Columns)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{"id"}
	for _, c := range v.Columns {
		f, _ := m.Field(c)
		header = append(header, f.Label())
	}
	w.Write(header)
	for _, r := range recs {
		row := []string{strconv.FormatInt(r["id"].(int64), 10)}
		for _, c := range v.Columns {
			f, _ := m.Field(c)
			row = append(row, neutraliseFormula(formatValue(f, r[c])))
		}
		w.Write(row)
	}
	w.Flush()
	name := fmt.Sprintf("%s-%s.csv", v.Slug, u.now().UTC().Format("20060102-150405"))
	rq.send("text/csv; charset=utf-8", buf.Bytes(), "Content-Disposition", `attachment; filename="`+name+`"`)
	return nil
}

func neutraliseFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func uniq(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
