package webui

import (
	"fmt"

	"github.com/instant-erp/instanterp/internal/orm"
)

type myDocumentList struct {
	Title   string
	Columns []string
	Rows    []listRow
}

// myDocuments lists, for a signed-in user, the portal documents they may read: the
// record rules decide (a portal user sees their own company's documents).
func (u *UI) myDocuments(rq *request) error {
	var lists []myDocumentList
	for _, v := range u.order {
		if v.Portal == "" || !canRead(rq, v.Model) {
			continue
		}
		m := v.model(u.cfg.Registry)
		recs, err := rq.env.SearchRead(rq.ctx, v.Model, v.domain, v.Columns, orm.SearchOptions{Limit: pageSize})
		if err != nil {
			return err
		}
		l := myDocumentList{Title: v.Title}
		for _, c := range v.Columns {
			f, _ := m.Field(c)
			l.Columns = append(l.Columns, f.Label())
		}
		for _, r := range recs {
			id := r["id"].(int64)
			row := listRow{ID: id, URL: fmt.Sprintf("/odoo/%s/%d", v.Slug, id)}
			if !rq.user.Internal {
				row.URL = ""
			}
			for _, c := range v.Columns {
				f, _ := m.Field(c)
				row.Cells = append(row.Cells, cell{Text: formatLocal(f, r[c], rq.env.Location()), Numeric: numeric(f)})
			}
			l.Rows = append(l.Rows, row)
		}
		lists = append(lists, l)
	}
	return rq.page(u, 200, "my", &page{Title: "My documents", Content: lists})
}
