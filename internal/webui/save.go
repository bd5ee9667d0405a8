package webui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/instant-erp/instanterp/internal/orm"
)

// submission is a parsed form: the values to save, what to redisplay if refused,
// and the refusals found before reaching the ORM.
type submission struct {
	vals  map[string]any
	shown record
	errs  map[string]string
}

// parseForm reads the editable fields of the view's sections and lines.
func (u *UI) parseForm(rq *request, v *View, id int64) (*submission, error) {
	m := v.model(u.cfg.Registry)
	form := rq.r.PostForm
	sub := &submission{vals: map[string]any{}, shown: record{}, errs: map[string]string{}}
	for _, s := range v.Sections {
		for _, name := range s.Fields {
			f, _ := m.Field(name)
			if isReadonly(f) {
				continue
			}
			// A field the form did not send keeps its value (or gets its default on
			// create); an unticked checkbox is the one input browsers leave out.
			if _, sent := form[name]; !sent && f.Type != orm.Boolean {
				if _, sentName := form[name+"__display"]; !sentName {
					continue
				}
			}
			raw := form.Get(name)
			if f.Type == orm.Many2many {
				raw = strings.Join(form[name], ",") // a multi-select sends one value per tag
			}
			val, shown, err := parseInput(rq.ctx, rq.env, f, raw, form.Get(name+"__display"))
			sub.shown[name] = shown
			var fe *fieldError
			if errors.As(err, &fe) {
				sub.errs[name] = fe.Message
				continue
			}
			sub.vals[name] = val
		}
	}
	if v.Lines != nil {
		var existing []int64
		if id != 0 {
			recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, []string{v.Lines.Field})
			if err != nil {
				return nil, err
			}
			existing, _ = recs[0][v.Lines.Field].([]int64)
		}
		company, err := u.formCompany(rq, v, id, sub.shown)
		if err != nil {
			return nil, err
		}
		cmds, shown, errs, err := u.parseLines(rq, v, m, existing, company, form)
		if err != nil {
			return nil, err
		}
		for k, e := range errs {
			sub.errs[k] = e
		}
		sub.vals[v.Lines.Field] = cmds
		sub.shown[v.Lines.Field] = shown
	}
	if id == 0 {
		for k, val := range v.Defaults {
			sub.vals[k] = val
		}
	}
	return sub, nil
}

// apply creates or writes the record; it returns the record id.
func (u *UI) apply(rq *request, v *View, id int64, vals map[string]any) (int64, error) {
	if id == 0 {
		ids, err := rq.env.Create(rq.ctx, v.Model, []map[string]any{vals})
		if err != nil {
			return 0, err
		}
		return ids[0], nil
	}
	// Taking users out of a group, or a group out of another's inherited
	// groups, ends the sessions of those who lose it (base's watch on group
	// membership, in this transaction).
	if err := rq.env.Write(rq.ctx, v.Model, []int64{id}, vals); err != nil {
		return 0, err
	}
	return id, nil
}

// save creates or updates a record from its form. A refused save changes nothing
// and shows the form again with the submitted values and the refusal next to its field.
func (u *UI) save(rq *request, v *View, id int64) error {
	if v.ReadOnly {
		return errNotFound
	}
	if id != 0 {
		if err := u.findRecord(rq, v, id); err != nil {
			return err
		}
	}
	sub, err := u.parseForm(rq, v, id)
	if err != nil {
		return err
	}
	var general []string
	if len(sub.errs) == 0 {
		var newID int64
		err := rq.savepoint(func() (err error) {
			newID, err = u.apply(rq, v, id, sub.vals)
			return err
		})
		if err == nil {
			if id == 0 {
				rq.setFlash("created")
			} else {
				rq.setFlash("saved")
			}
			rq.redirect(fmt.Sprintf("/odoo/%s/%d", v.Slug, newID))
			return nil
		}
		field, msg, ok := userFacing(err, v)
		if !ok {
			return err
		}
		if field != "" {
			sub.errs[field] = msg
		} else {
			general = append(general, msg)
		}
	}
	rq.rollback = true
	rec := sub.shown
	if id != 0 {
		// Read-only parts (names, totals, status) as they are in the database.
		m := v.model(u.cfg.Registry)
		recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, formFields(v, m))
		if err != nil {
			return err
		}
		for k, val := range recs[0] {
			if _, submitted := rec[k]; !submitted {
				rec[k] = val
			}
		}
	}
	if len(general) == 0 {
		general = []string{"The record was not saved: correct the fields marked below."}
	}
	data, err := u.buildForm(rq, v, id, rec, sub.errs, general)
	if err != nil {
		return err
	}
	return u.showForm(rq, v, data, 422)
}

// userFacing turns an ORM refusal into a message for the user and, when it is about
// one field of the form, that field. Other errors are not the user's to see.
func userFacing(err error, v *View) (field, msg string, ok bool) {
	var (
		verr *orm.ValidationError
		uerr *orm.UserError
		aerr *orm.AccessError
		merr *orm.MissingError
	)
	switch {
	case errors.As(err, &verr):
		if verr.Model == v.Model && verr.Field != "" && formHas(v, verr.Field) {
			return verr.Field, verr.Message, true
		}
		if v.Lines != nil && verr.Model != v.Model {
			return v.Lines.Field, verr.Error(), true
		}
		return "", verr.Error(), true
	case errors.As(err, &uerr):
		return "", uerr.Message, true
	case errors.As(err, &aerr):
		return "", aerr.Error(), true
	case errors.As(err, &merr):
		return "", merr.Error(), true
	}
	return "", "", false
}

func formHas(v *View, field string) bool {
	for _, s := range v.Sections {
		if contains(s.Fields, field) {
			return true
		}
	}
	return false
}
