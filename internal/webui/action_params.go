package webui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// paramsPage is the page an action with parameters asks them on.
type paramsPage struct {
	Title, Label, Method, URL string
	Params                    []paramView
	Errors                    []string
}

type paramView struct {
	Name, Label, Kind, Value string
	Choices                  []choiceView
}

type choiceView struct {
	ID       int64
	Label    string
	Selected bool
}

// errParamNotOffered is a choice the page did not offer: a tampered form.
var errParamNotOffered = errors.New("not one of the choices offered")

// actionParams shows the page of an action's parameters, filled with their
// defaults.
func (u *UI) actionParams(rq *request, v *View, id int64) error {
	a, _, err := u.availableAction(rq, v, id, rq.r.URL.Query().Get("method"))
	if errors.Is(err, errActionUnavailable) {
		return u.formWithError(rq, v, id, "This action is not available in the document's current state.")
	}
	if err != nil {
		return err
	}
	if len(a.Params) == 0 {
		return errNotFound
	}
	values := map[string]string{}
	for _, p := range a.Params {
		if p.Default != nil {
			if values[p.Name], err = p.Default(rq.ctx, rq.env, id); err != nil {
				return fmt.Errorf("default of %s: %w", p.Name, err)
			}
		}
	}
	return u.showParams(rq, v, id, a, values, nil, 200)
}

// showParams renders the parameters page with values and errors.
func (u *UI) showParams(rq *request, v *View, id int64, a Action, values map[string]string, errs []string, status int) error {
	recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, []string{"display_name"})
	if err != nil {
		return err
	}
	name, _ := recs[0]["display_name"].(string)
	data := &paramsPage{Title: a.Label + " · " + name, Label: a.Label, Method: a.Method, URL: fmt.Sprintf("/odoo/%s/%d", v.Slug, id), Errors: errs}
	for _, p := range a.Params {
		pv := paramView{Name: p.Name, Label: p.Label, Kind: p.Kind, Value: values[p.Name]}
		if p.Choices != nil {
			choices, err := p.Choices(rq.ctx, rq.env, id)
			if err != nil {
				return fmt.Errorf("choices of %s: %w", p.Name, err)
			}
			for i, c := range choices {
				selected := strconv.FormatInt(c.ID, 10) == pv.Value || (pv.Value == "" && i == 0)
				pv.Choices = append(pv.Choices, choiceView{ID: c.ID, Label: c.Label, Selected: selected})
			}
		}
		data.Params = append(data.Params, pv)
	}
	crumbs := []crumb{{Label: v.Title, URL: "/odoo/" + v.Slug}, {Label: name, URL: data.URL}, {Label: a.Label}}
	return rq.page(u, status, "action_params", &page{Title: data.Title, Active: appSlug(u, v), Crumbs: crumbs, Content: data})
}

// paramArgs reads an action's parameters from the submitted form as keyword
// arguments of its method: empty ones are left out (the method's default
// applies), a choice must be one the page offers.
func (u *UI) paramArgs(rq *request, a Action, id int64) (kwargs map[string]any, values map[string]string, err error) {
	kwargs, values = map[string]any{}, map[string]string{}
	for _, p := range a.Params {
		raw := strings.TrimSpace(rq.r.PostFormValue("p-" + p.Name))
		if len(raw) > 64 {
			return nil, values, fmt.Errorf("%s: %w", p.Label, errParamNotOffered)
		}
		values[p.Name] = raw
		if raw == "" {
			continue
		}
		switch p.Kind {
		case "choice":
			choice, perr := strconv.ParseInt(raw, 10, 64)
			choices, err := p.Choices(rq.ctx, rq.env, id)
			if err != nil {
				return nil, values, err
			}
			offered := false
			for _, c := range choices {
				offered = offered || (perr == nil && c.ID == choice)
			}
			if !offered {
				return nil, values, fmt.Errorf("%s: %w", p.Label, errParamNotOffered)
			}
			kwargs[p.Name] = choice
		default: // amounts and dates go as typed; the method checks them
			kwargs[p.Name] = raw
		}
	}
	return kwargs, values, nil
}
