package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/instant-erp/instanterp/internal/erp/portal"
	"github.com/instant-erp/instanterp/internal/orm"
)

// action calls one of the view's buttons: an exported method of the model, on this
// record, as the user. A refusal is shown on the form; nothing of it is kept.
func (u *UI) action(rq *request, v *View, id int64) error {
	a, _, err := u.availableAction(rq, v, id, rq.r.PostFormValue("method"))
	if errors.Is(err, errActionUnavailable) {
		return u.formWithError(rq, v, id, "This action is not available in the document's current state.")
	}
	if err != nil {
		return err
	}
	var kwargs map[string]any
	var values map[string]string
	if len(a.Params) > 0 {
		if kwargs, values, err = u.paramArgs(rq, a, id); errors.Is(err, errParamNotOffered) {
			rq.rollback = true
			return u.showParams(rq, v, id, a, values, []string{err.Error() + "."}, 422)
		} else if err != nil {
			return err
		}
	}
	fn, err := v.model(u.cfg.Registry).Method(a.Method)
	if err != nil {
		return err
	}
	var result any
	err = rq.savepoint(func() (err error) {
		result, err = fn(rq.ctx, rq.env, []int64{id}, nil, kwargs)
		return err
	})
	if err != nil {
		_, msg, ok := userFacing(err, v)
		if !ok {
			return err
		}
		if len(a.Params) > 0 {
			rq.rollback = true
			return u.showParams(rq, v, id, a, values, []string{msg}, 422)
		}
		return u.formWithError(rq, v, id, msg)
	}
	rq.setFlash("done")
	rq.redirect(u.resultTarget(result, a, v, id))
	return nil
}

// errActionUnavailable is a button the record does not show in its state.
var errActionUnavailable = errors.New("action not available")

// availableAction finds the view's button named method for record id, and
// the record's state: not found for a record the user cannot see, a bad
// request for a method that is not a button of the view, and
// errActionUnavailable when the record does not show it now.
func (u *UI) availableAction(rq *request, v *View, id int64, method string) (Action, string, error) {
	if err := u.findRecord(rq, v, id); err != nil {
		return Action{}, "", err
	}
	a, ok := v.action(method)
	if !ok {
		return Action{}, "", errBadRequest
	}
	var state string
	if len(a.States) > 0 {
		recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, []string{v.Status})
		if err != nil {
			return Action{}, "", err
		}
		state, _ = recs[0][v.Status].(string)
	}
	ok, err := actionAvailable(rq, v, a, id, state)
	if err != nil {
		return Action{}, "", err
	}
	if !ok {
		return Action{}, "", errActionUnavailable
	}
	return a, state, nil
}

// resultTarget follows an action's answer to the record it opened (an invoice
// created from an order), when a view shows that model; otherwise back to the record.
func (u *UI) resultTarget(result any, a Action, v *View, id int64) string {
	if ids, ok := result.([]int64); ok && len(ids) > 0 && a.Opens != "" {
		if tv, ok := u.byModel[a.Opens]; ok {
			return fmt.Sprintf("/odoo/%s/%d", tv.Slug, ids[0])
		}
	}
	if act, ok := result.(map[string]any); ok {
		model, _ := act["res_model"].(string)
		var target int64
		switch x := act["res_id"].(type) {
		case int64:
			target = x
		case int:
			target = int64(x)
		}
		if tv, ok := u.byModel[model]; ok && target > 0 {
			return fmt.Sprintf("/odoo/%s/%d", tv.Slug, target)
		}
	}
	return fmt.Sprintf("/odoo/%s/%d", v.Slug, id)
}

func (u *UI) formWithError(rq *request, v *View, id int64, msg string) error {
	rq.rollback = true
	m := v.model(u.cfg.Registry)
	recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, formFields(v, m))
	if err != nil {
		return err
	}
	data, err := u.buildForm(rq, v, id, record(recs[0]), nil, []string{msg})
	if err != nil {
		return err
	}
	return u.showForm(rq, v, data, 422)
}

type totalsAnswer struct {
	Totals map[string]string   `json:"totals"`
	Lines  []map[string]string `json:"lines"`
	Error  string              `json:"error,omitempty"`
	// LineTags are the tags columns filled from a newly picked product, by row.
	LineTags []map[string]filledTags `json:"line_tags,omitempty"`
}

// totals computes the totals of a form as the server would store them, without
// storing anything: the submitted values are written inside a savepoint, the
// totals read, and the savepoint rolled back.
func (u *UI) totals(rq *request, v *View, id int64) error {
	if v.Lines == nil || v.ReadOnly {
		return errNotFound
	}
	if id != 0 {
		if err := u.findRecord(rq, v, id); err != nil {
			return err
		}
	}
	m := v.model(u.cfg.Registry)
	lf, _ := m.Field(v.Lines.Field)
	cm, _ := u.cfg.Registry.Model(lf.Comodel)
	ans := totalsAnswer{Totals: map[string]string{}}
	rq.rollback = true
	sub, err := u.parseForm(rq, v, id)
	if err != nil {
		return err
	}
	if rows, ok := sub.shown[v.Lines.Field].([]record); ok && len(v.Lines.Tags) > 0 {
		if ans.LineTags, err = u.filledLineTags(rq, v, rows); err != nil {
			return err
		}
	}
	if len(sub.errs) > 0 {
		for _, e := range sub.errs {
			ans.Error = e
			break
		}
		// The lines' own message names the line and the column.
		if e, ok := sub.errs[v.Lines.Field]; ok {
			ans.Error = e
		}
	} else {
		err = rq.discard(func() error {
			rid, err := u.apply(rq, v, id, sub.vals)
			if err != nil {
				return err
			}
			recs, err := rq.env.Read(rq.ctx, v.Model, []int64{rid}, append([]string{v.Lines.Field}, v.Lines.Totals...))
			if err != nil {
				return err
			}
			for _, t := range v.Lines.Totals {
				f, _ := m.Field(t)
				ans.Totals[t] = formatValue(f, recs[0][t])
			}
			lines, err := rq.env.Read(rq.ctx, cm.Name, recs[0][v.Lines.Field].([]int64), v.Lines.Columns)
			if err != nil {
				return err
			}
			for _, l := range lines {
				row := map[string]string{}
				for _, c := range v.Lines.Columns {
					f, _ := cm.Field(c)
					row[c] = formatValue(f, l[c])
				}
				ans.Lines = append(ans.Lines, row)
			}
			return nil
		})
		if err != nil {
			field, msg, ok := userFacing(err, v)
			if !ok {
				return err
			}
			if f, found := m.Field(field); found {
				msg = f.Label() + ": " + msg
			}
			ans.Error = msg
		}
	}
	body, err := json.Marshal(ans)
	if err != nil {
		return err
	}
	rq.send("application/json", body)
	return nil
}

// portalLinkLifetime is how long a customer link made from the form stays valid.
const portalLinkLifetime = portal.DefaultTTL

// share issues a customer link to the document and shows it once on the form.
func (u *UI) share(rq *request, v *View, id int64) error {
	if v.Portal == "" {
		return errNotFound
	}
	if _, ok := u.cfg.Registry.Model(portal.Model); !ok {
		return errNotFound
	}
	if err := u.findRecord(rq, v, id); err != nil {
		return err
	}
	tok, err := portal.Issue(rq.ctx, rq.env, v.Model, id, portalLinkLifetime, u.now())
	if err != nil {
		return err
	}
	u.log.InfoContext(rq.ctx, "portal link issued", "model", v.Model, "id", id, "user_id", rq.user.ID)
	m := v.model(u.cfg.Registry)
	recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, formFields(v, m))
	if err != nil {
		return err
	}
	data, err := u.buildForm(rq, v, id, record(recs[0]), nil, nil)
	if err != nil {
		return err
	}
	data.ShareURL = absoluteURL(rq.r, fmt.Sprintf("/my/%s/%d?access_token=%s", v.Portal, id, url.QueryEscape(tok)))
	return u.showForm(rq, v, data, 200)
}

// absoluteURL puts a path on the address the request reached the tenant at
// (orm.BaseURL, which the server sets).
func absoluteURL(r *http.Request, path string) string {
	return orm.BaseURL(r.Context()) + path
}

// pdf downloads the document rendered by the view's report.
func (u *UI) pdf(rq *request, v *View, id int64) error {
	if v.Report == nil {
		return errNotFound
	}
	if err := u.findRecord(rq, v, id); err != nil {
		return err
	}
	name, body, err := v.Report(rq.ctx, rq.env, id, u.log)
	if err != nil {
		return err
	}
	rq.send("application/pdf", body, "Content-Disposition", contentDisposition(name))
	return nil
}

// contentDisposition names a download with only safe characters.
func contentDisposition(name string) string {
	safe := make([]byte, 0, len(name))
	for i := 0; i < len(name) && len(safe) < 100; i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			safe = append(safe, c)
		} else {
			safe = append(safe, '_')
		}
	}
	if len(safe) == 0 {
		safe = []byte("document.pdf")
	}
	return `attachment; filename="` + string(safe) + `"`
}
