package webui

import (
	"fmt"
	"strconv"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

type sectionView struct {
	Title  string
	Fields []fieldView
}

type statusStep struct {
	Label   string
	Current bool
}

type formData struct {
	View      *View
	ID        int64
	URL       string
	Name      string
	Sections  []sectionView
	Lines     *linesView
	Status    []statusStep
	Actions   []Action
	Errors    []string
	Editable  bool // the user may change the record (or create it, when new)
	CanDelete bool
	Archived  bool
	HasActive bool
	PDFURL    string
	Related   []relatedLink
	CanShare  bool
	ShareURL  string
	Chatter   *chatterView
	// Logo is the logo upload of a company's form.
	Logo *logoView
}

// record is a form's values: as read, or as submitted after a refused save.
type record map[string]any

// findRecord checks that id is a record of the view the user may read: the
// record rules and the view's domain apply, so another company's or another
// salesperson's id is simply not found.
func (u *UI) findRecord(rq *request, v *View, id int64) error {
	dom := domain.AndAll(v.domain, leaf("id", "=", id))
	ids, err := rq.env.Search(rq.ctx, v.Model, dom, orm.SearchOptions{Limit: 1, IncludeArchived: true})
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return errNotFound
	}
	return nil
}

// formFields lists every field the form reads.
func formFields(v *View, m *orm.Model) []string {
	var out []string
	for _, s := range v.Sections {
		out = append(out, s.Fields...)
	}
	if v.Lines != nil {
		out = append(out, v.Lines.Field)
		out = append(out, v.Lines.Totals...)
	}
	if v.Status != "" {
		out = append(out, v.Status)
	}
	for _, r := range v.Related {
		if r.View == "" {
			out = append(out, r.Field)
		}
	}
	if _, ok := m.Field("active"); ok {
		out = append(out, "active")
	}
	return append(out, "display_name")
}

// editableFields are the fields of the sections a user fills in: the only ones
// whose defaults a new form shows (a default such as the next order number is
// given on save, not on display).
func editableFields(v *View, m *orm.Model) []string {
	var out []string
	for _, s := range v.Sections {
		for _, name := range s.Fields {
			if f, _ := m.Field(name); !isReadonly(f) {
				out = append(out, name)
			}
		}
	}
	return out
}

// fieldDefault is the default a new form shows for one field, in Read's form (a
// many2one as [id, name]). Only the field's own default is computed: DefaultGet
// would compute every default, some of which take a number from a sequence.
func fieldDefault(rq *request, f *orm.Field) (any, error) {
	val := f.Default
	if val == nil && f.DefaultFunc != nil {
		var err error
		if val, err = f.DefaultFunc(rq.ctx, rq.env); err != nil {
			return nil, fmt.Errorf("default of %s: %w", f.Name, err)
		}
	}
	if f.Type == orm.Many2one && val != nil && val != false {
		var id int64
		switch x := val.(type) {
		case int64:
			id = x
		case int:
			id = int64(x)
		default:
			return false, nil
		}
		names, err := rq.env.Read(rq.ctx, f.Comodel, []int64{id}, []string{"display_name"})
		if err != nil || len(names) == 0 {
			return false, nil
		}
		return []any{id, names[0]["display_name"]}, nil
	}
	return val, nil
}

// form shows one record, or a new one (id 0).
func (u *UI) form(rq *request, v *View, id int64) error {
	m := v.model(u.cfg.Registry)
	var rec record
	if id == 0 {
		if v.ReadOnly {
			return errNotFound
		}
		rec = record{}
		for _, name := range editableFields(v, m) {
			f, _ := m.Field(name)
			val, err := fieldDefault(rq, f)
			if err != nil {
				return err
			}
			rec[name] = val
		}
		for k, val := range v.Defaults {
			rec[k] = val
		}
	} else {
		if err := u.findRecord(rq, v, id); err != nil {
			return err
		}
		recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, formFields(v, m))
		if err != nil {
			return err
		}
		rec = record(recs[0])
	}
	data, err := u.buildForm(rq, v, id, rec, nil, nil)
	if err != nil {
		return err
	}
	if data.Chatter, err = u.chatterFor(rq, v, id); err != nil {
		return err
	}
	return u.showForm(rq, v, data, 200)
}

func (u *UI) showForm(rq *request, v *View, data *formData, status int) error {
	crumbs := []crumb{{Label: v.Title, URL: "/odoo/" + v.Slug}, {Label: data.Name}}
	return rq.page(u, status, "form", &page{Title: data.Name + " · " + v.Title, Active: appSlug(u, v), Crumbs: crumbs, Content: data})
}

// buildForm turns a record into the form's sections, lines and buttons. errs holds
// refusals by field; general holds the rest.
func (u *UI) buildForm(rq *request, v *View, id int64, rec record, errs map[string]string, general []string) (*formData, error) {
	m := v.model(u.cfg.Registry)
	data := &formData{View: v, ID: id, Errors: general}
	var err error
	if id == 0 {
		data.Editable, err = mayDo(rq, v, "create")
	} else if data.Editable, err = mayDo(rq, v, "write", id); err == nil {
		data.CanDelete, err = mayDo(rq, v, "unlink", id)
	}
	if err != nil {
		return nil, err
	}
	data.URL = "/odoo/" + v.Slug + "/new"
	if id != 0 {
		data.URL = fmt.Sprintf("/odoo/%s/%d", v.Slug, id)
		if v.Report != nil {
			data.PDFURL = data.URL + "/pdf"
		}
		data.CanShare = v.Portal != ""
	}
	data.Name, _ = rec["display_name"].(string)
	if data.Name == "" {
		data.Name = "New"
		if id != 0 {
			data.Name = "#" + strconv.FormatInt(id, 10)
		}
	}
	if active, ok := rec["active"].(bool); ok {
		data.HasActive, data.Archived = true, !active && id != 0
	}
	state, _ := rec[v.Status].(string)
	for _, s := range v.Sections {
		sv := sectionView{Title: s.Title}
		for _, name := range s.Fields {
			f, _ := m.Field(name)
			fv := u.fieldFor(v, f, rec[name], !data.Editable, rq.env.Location())
			fv.Error = errs[name]
			if f.Type == orm.Many2many {
				if err := u.fillTags(rq, f, &fv, rec[name]); err != nil {
					return nil, err
				}
			}
			sv.Fields = append(sv.Fields, fv)
		}
		data.Sections = append(data.Sections, sv)
	}
	if v.Model == "res.company" && id != 0 && data.Editable && rq.env.Filestore() != nil {
		recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, []string{"logo"})
		if err != nil {
			return nil, err
		}
		data.Logo = &logoView{UploadURL: data.URL + "/logo"}
		if s, _ := recs[0]["logo"].(string); s != "" {
			data.Logo.URL = "/odoo/logo/" + strconv.FormatInt(id, 10)
		}
	}
	if v.Lines != nil {
		lv, err := u.buildLines(rq, v, m, rec, errs, data.Editable)
		if err != nil {
			return nil, err
		}
		data.Lines = lv
	}
	if v.Status != "" {
		f, _ := m.Field(v.Status)
		for _, o := range f.Selection {
			data.Status = append(data.Status, statusStep{Label: o.Label, Current: o.Value == state})
		}
	}
	if id != 0 {
		if data.Related, err = u.relatedLinks(rq, v, rec); err != nil {
			return nil, err
		}
		for _, a := range v.Actions {
			ok, err := actionAvailable(rq, v, a, id, state)
			if err != nil {
				return nil, err
			}
			if ok {
				data.Actions = append(data.Actions, a)
			}
		}
	}
	return data, nil
}
