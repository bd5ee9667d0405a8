package webui

import (
	"fmt"
	"net/url"
	"strconv"

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
	var out []relatedLink
	for _, r := range v.Related {
		if target := u.relatedView(v, r); target == nil || !canRead(rq, target.Model) {
			continue // an employee without sales rights opens a contact all the same
		}
		if r.View != "" {
			link, err := u.inverseLink(rq, r, rec)
			if err != nil {
				return nil, err
			}
			if link.Count > 0 {
				out = append(out, link)
			}
			continue
		}
		target := u.relatedView(v, r)
		held, _ := rec[r.Field].([]int64)
		if len(held) == 0 {
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

// relatedView is the view a related button leads to; nil when no view shows
// the field's records.
func (u *UI) relatedView(v *View, r Related) *View {
	if r.View != "" {
		return u.views[r.View]
	}
	f, _ := v.model(u.cfg.Registry).Field(r.Field)
	return u.byModel[f.Comodel]
}

// inverseLink is the button to the records of r.View whose many2one r.Inverse
// is rec: counted under the rules, and leading to that view's list narrowed
// to the group of rec (which scales to any number of records).
func (u *UI) inverseLink(rq *request, r Related, rec record) (relatedLink, error) {
	target := u.views[r.View]
	id, _ := rec["id"].(int64)
	n, err := rq.env.SearchCount(rq.ctx, target.Model, domain.AndAll(target.domain, leaf(r.Inverse, "=", id)), orm.SearchOptions{})
	if err != nil {
		return relatedLink{}, fmt.Errorf("related %s: %w", r.View, err)
	}
	q := url.Values{"gf": {r.Inverse}, "gv": {strconv.FormatInt(id, 10)}}
	return relatedLink{Label: r.Label, Count: int(n), URL: "/odoo/" + target.Slug + "?" + q.Encode()}, nil
}

// checkRelated checks v's inverse related buttons against the other views:
// the view exists, and its list can be narrowed by the many2one, which points
// at v's model.
func (u *UI) checkRelated(v *View) error {
	for _, r := range v.Related {
		if r.View == "" {
			continue
		}
		target, ok := u.views[r.View]
		if !ok || r.Label == "" {
			return fmt.Errorf("view %s: related view %q is unknown or unlabelled", v.Slug, r.View)
		}
		f, ok := target.model(u.cfg.Registry).Field(r.Inverse)
		if !ok || f.Type != orm.Many2one || f.Comodel != v.Model || !contains(target.GroupBy, r.Inverse) {
			return fmt.Errorf("view %s: related %s.%s is not a many2one to %s that view %s groups by", v.Slug, r.View, r.Inverse, v.Model, r.View)
		}
	}
	return nil
}
