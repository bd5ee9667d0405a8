package webui

// appLink is one entry of the top bar.
type appLink struct {
	Slug, Label, URL string
}

// apps lists the applications the user may open: an app shows when the user may
// read the model of its first view. Settings shows to administrators.
func (u *UI) apps(rq *request) []appLink {
	var out []appLink
	seen := map[string]bool{}
	for _, v := range u.order {
		if seen[v.App] || v.Admin {
			continue
		}
		if !canRead(rq, v.Model) {
			continue
		}
		seen[v.App] = true
		out = append(out, appLink{Slug: v.Slug, Label: v.App, URL: "/odoo/" + v.Slug})
	}
	if rq.user.Admin {
		out = append(out, appLink{Slug: "settings", Label: "Settings", URL: "/odoo/settings"})
	}
	return out
}

// canRead reports whether the user has read access to a model. FieldsGet checks the
// access right without touching the model's rows.
func canRead(rq *request, model string) bool {
	_, err := rq.env.FieldsGet(rq.ctx, model, []string{"id"}, []string{"type"})
	return err == nil
}

// viewsOfApp returns the views grouped under an app, in declaration order.
func (u *UI) viewsOfApp(app string) []*View {
	var out []*View
	for _, v := range u.order {
		if v.App == app {
			out = append(out, v)
		}
	}
	return out
}
