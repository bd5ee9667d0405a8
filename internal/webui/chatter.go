package webui

import (
	"errors"
	"fmt"
	"html/template"

	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/orm"
)

// chatterView is the change history under a form: the messages, newest first,
// and the note box.
type chatterView struct {
	PostURL  string
	Messages []messageView
	Note     string // the refused note, shown again
	Error    string
}

type messageView struct {
	Author  string
	Date    string
	Note    bool
	Body    template.HTML // sanitised again by the rich-text path
	Changes []mail.Change
}

// hasHistory reports whether records of m keep a change history: those with
// tracked fields (orders, invoices, partners, products).
func hasHistory(m *orm.Model) bool {
	for _, f := range m.Fields {
		if f.Tracked {
			return true
		}
	}
	return false
}

// chatterFor reads the history of a record the form has already found. The
// history checks the record's access itself (mail.History), so it never shows
// more than the record.
func (u *UI) chatterFor(rq *request, v *View, id int64) (*chatterView, error) {
	m := v.model(u.cfg.Registry)
	if id == 0 || !hasHistory(m) {
		return nil, nil
	}
	entries, err := mail.History(rq.ctx, rq.env, v.Model, id)
	if err != nil {
		return nil, err
	}
	cv := &chatterView{PostURL: fmt.Sprintf("/odoo/%s/%d/note", v.Slug, id)}
	loc := rq.env.Location()
	for _, e := range entries {
		mv := messageView{Author: e.Author, Note: e.Type == mail.TypeComment, Body: richText(e.Body), Changes: e.Changes}
		if mv.Author == "" {
			mv.Author = "System"
		}
		if !e.Date.IsZero() {
			mv.Date = e.Date.In(loc).Format("2006-01-02 15:04")
		}
		cv.Messages = append(cv.Messages, mv)
	}
	return cv, nil
}

// postNote adds the user's note to a record's history. The record must be one of
// the view's the user may read; a refused note shows the form again with the
// text kept and nothing saved.
func (u *UI) postNote(rq *request, v *View, id int64) error {
	if !hasHistory(v.model(u.cfg.Registry)) {
		return errNotFound
	}
	if err := u.findRecord(rq, v, id); err != nil {
		return err
	}
	text := rq.r.PostFormValue("note")
	err := rq.savepoint(func() error {
		_, err := mail.Post(rq.ctx, rq.env, v.Model, id, text)
		return err
	})
	if err == nil {
		rq.setFlash("saved")
		rq.redirect(fmt.Sprintf("/odoo/%s/%d#chatter", v.Slug, id))
		return nil
	}
	var ue *orm.UserError
	if !errors.As(err, &ue) {
		return err
	}
	rq.rollback = true
	recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, formFields(v, v.model(u.cfg.Registry)))
	if err != nil {
		return err
	}
	data, err := u.buildForm(rq, v, id, record(recs[0]), nil, nil)
	if err != nil {
		return err
	}
	if data.Chatter, err = u.chatterFor(rq, v, id); err != nil {
		return err
	}
	if data.Chatter != nil {
		data.Chatter.Note, data.Chatter.Error = text, ue.Message
	}
	return u.showForm(rq, v, data, 422)
}
