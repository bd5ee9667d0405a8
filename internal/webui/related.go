package webui

import (
	"fmt"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// relatedLink is a form's button to linked records: "Invoices (2)".
type relatedLink struct {
	Label string
	Count int
	URL   string
}

// relatedLinks are the buttons of the view's Related fields that hold records
// the user may open: only those the target view shows and the rules let them
// read are counted and linked to.
func (u *UI) relatedLinks(rq *request, v *View, rec record) ([]relatedLink, error) {
	m := v.model(u.cfg.Registry)
	var out []relatedLink
	for _, r := range v.Related {
		f, _ := m.Field(r.Field)
		target, ok := u.byModel[f.Comodel]
		held, _ := rec[r.Field].([]int64)
		if !ok || len(held) == 0 {
			continue
		}
		ids, err := rq.env.Search(rq.ctx, target.Model, domain.AndAll(target.domain, leaf("id", "in", int64sAny(held))),
			orm.SearchOptions{Limit: maxListIDs, Order: "id", IncludeArchived: true})
		if err != nil {
			return nil, fmt.Errorf("related %s: %w", r.Field, err)
		}
		link := relatedLink{Label: r.Label, Count: len(ids)}
		switch len(ids) {
		case 0:
			continue
		case 1:
			link.URL = fmt.Sprintf("/odoo/%s/%d", target.Slug, ids[0])
		default:
			link.URL = "/odoo/" + target.Slug + "?ids=" + idList(ids)
		}
		out = append(out, link)
	}
	return out, nil
}
