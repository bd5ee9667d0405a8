package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// settingsIDs are records the settings screens are tried on.
type settingsIDs struct {
	group, company, access, rule, partnerModel, ghostModel int64
}

func (f *fixture) settingsRecords() settingsIDs {
	var s settingsIDs
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		first := func(model string, dom domain.Domain) (int64, error) {
			ids, err := env.Search(ctx, model, dom, orm.SearchOptions{Limit: 1})
			if err != nil || len(ids) == 0 {
				return 0, fmt.Errorf("no %s: %v", model, err)
			}
			return ids[0], nil
		}
		var err error
		if s.group, err = first("res.groups", seed.Leaf("xml_id", "=", "base.group_user")); err != nil {
			return err
		}
		if s.company, err = first("res.company", domain.Domain{}); err != nil {
			return err
		}
		if s.access, err = first("ir.model.access", domain.Domain{}); err != nil {
			return err
		}
		if s.partnerModel, err = first("ir.model", seed.Leaf("model", "=", "res.partner")); err != nil {
			return err
		}
		ids, err := env.Create(ctx, "ir.rule", []map[string]any{{"name": "Existing rule", "model_id": s.partnerModel, "domain_force": "[(1, '=', 1)]"}})
		if err != nil {
			return err
		}
		s.rule = ids[0]
		// A catalogue row of a module that is not installed.
		ids, err = env.Create(ctx, "ir.model", []map[string]any{{"name": "Ghost", "model": "x.ghost"}})
		if err != nil {
			return err
		}
		s.ghostModel = ids[0]
		return nil
	})
	return s
}

func (f *fixture) countWhere(model string, dom domain.Domain) int64 {
	var n int64
	f.sudo("acme", func(ctx context.Context, env *orm.Env) (err error) {
		n, err = env.SearchCount(ctx, model, dom, orm.SearchOptions{IncludeArchived: true})
		return err
	})
	return n
}

// The settings editors and the API key screens, for each role: anonymous visitors
// go to sign-in, portal users to the portal, users get "not found" on every
// administrator's screen (although the ORM lets them read groups and companies),
// and administrators get the page.
func TestSettingsScreensByRole(t *testing.T) {
	f := newFixture(t)
	ids := f.settingsRecords()
	clients := map[string]*client{}
	for _, role := range []string{"anonymous", "portal", "user", "admin"} {
		clients[role] = f.signIn(role)
	}
	const toLogin, toPortal = -1, -2
	adminOnly := map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 404, "admin": 200}
	everyInternal := map[string]int{"anonymous": toLogin, "portal": toPortal, "user": 200, "admin": 200}
	gets := []struct {
		path string
		want map[string]int
	}{
		{"/odoo/groups", adminOnly},
		{fmt.Sprintf("/odoo/groups/%d", ids.group), adminOnly},
		{"/odoo/groups/new", adminOnly},
		{"/odoo/companies", adminOnly},
		{fmt.Sprintf("/odoo/companies/%d", ids.company), adminOnly},
		{"/odoo/access-rights", adminOnly},
		{fmt.Sprintf("/odoo/access-rights/%d", ids.access), adminOnly},
		{"/odoo/record-rules", adminOnly},
		{fmt.Sprintf("/odoo/record-rules/%d", ids.rule), adminOnly},
		{"/odoo/record-rules/new", adminOnly},
		{"/odoo/picker/record-rules/model_id?q=res", adminOnly},
		{"/odoo/settings/api-keys", adminOnly},
		{"/odoo/account/api-keys", everyInternal},
	}
	check := func(method, path string, code int, loc string, role string, want int) {
		t.Helper()
		switch want {
		case toLogin:
			if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/web/login") {
				t.Errorf("%s %s as %s: %d %q, want sign-in", method, path, role, code, loc)
			}
		case toPortal:
			if code != http.StatusSeeOther || loc != "/my" {
				t.Errorf("%s %s as %s: %d %q, want the portal", method, path, role, code, loc)
			}
		default:
			if code != want {
				t.Errorf("%s %s as %s: %d, want %d", method, path, role, code, want)
			}
		}
	}
	for _, g := range gets {
		for role, want := range g.want {
			w := clients[role].get(g.path)
			check("GET", g.path, w.Code, w.Header().Get("Location"), role, want)
			if w.Code == 200 && !strings.Contains(g.path, "/picker/") {
				checkPage(t, role+" "+g.path, w.Header(), w.Body.Bytes())
			}
		}
	}
	// Posts from anyone but an administrator change nothing.
	posts := []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/odoo/groups/%d", ids.group), url.Values{"name": {"Hijacked"}}},
		{"/odoo/groups/new", url.Values{"name": {"Hijacked"}}},
		{fmt.Sprintf("/odoo/companies/%d", ids.company), url.Values{"name": {"Hijacked"}}},
		{"/odoo/access-rights/new", url.Values{"name": {"Hijacked"}, "model_id": {fmt.Sprint(ids.partnerModel)}, "perm_read": {"on"}}},
		{fmt.Sprintf("/odoo/record-rules/%d", ids.rule), url.Values{"name": {"Hijacked"}, "domain_force": {"[]"}}},
		{"/odoo/record-rules/selection", url.Values{"ids": {fmt.Sprint(ids.rule)}, "op": {"delete"}}},
		{"/odoo/settings/api-keys", url.Values{"op": {"policy"}, "max_days": {"3650"}}},
	}
	for _, p := range posts {
		for _, role := range []string{"anonymous", "portal", "user"} {
			c := clients[role]
			form := cloneValues(p.form)
			if role == "anonymous" {
				// An anonymous visitor has no token: the post is refused before routing.
				w := c.post(p.path, form)
				if w.Code != http.StatusSeeOther && w.Code != http.StatusForbidden {
					t.Errorf("POST %s as anonymous: %d", p.path, w.Code)
				}
				continue
			}
			c.get("/odoo/account/password")
			if role == "portal" {
				c.get("/my")
			}
			w := c.post(p.path, form)
			want := 404
			if role == "portal" {
				want = toPortal
			}
			check("POST", p.path, w.Code, w.Header().Get("Location"), role, want)
		}
	}
	// The user's own key screen: portal users and visitors cannot post to it.
	for _, role := range []string{"anonymous", "portal"} {
		w := clients[role].post("/odoo/account/api-keys", url.Values{"op": {"create"}, "name": {"Hijacked"}, "scope": {"rpc"}, "days": {"5"}, "current": {testPassword}})
		if role == "anonymous" && w.Code != http.StatusSeeOther && w.Code != http.StatusForbidden || role == "portal" && w.Header().Get("Location") != "/my" {
			t.Errorf("POST /odoo/account/api-keys as %s: %d %q", role, w.Code, w.Header().Get("Location"))
		}
		if shownKey.MatchString(w.Body.String()) {
			t.Errorf("a key was shown to %s", role)
		}
	}
	for _, model := range []string{"res.groups", "res.company", "ir.model.access", "ir.rule"} {
		if n := f.countWhere(model, seed.Leaf("name", "=", "Hijacked")); n != 0 {
			t.Errorf("%s: a refused post saved %d records", model, n)
		}
	}
	if n := f.countWhere("ir.rule", seed.Leaf("id", "=", ids.rule)); n != 1 {
		t.Error("a user deleted a record rule")
	}
	// Settings editors are not in the top bar, and links to companies from the
	// users' screens do not lead to the administrators' editor.
	home := clients["user"].get("/odoo").Body.String()
	for _, p := range []string{`href="/odoo/groups"`, `href="/odoo/companies"`, `href="/odoo/record-rules"`, `href="/odoo/access-rights"`} {
		if strings.Contains(home, p) {
			t.Errorf("a user's top bar links %s", p)
		}
	}
	if w := clients["user"].get("/odoo/contacts/new"); strings.Contains(w.Body.String(), "/odoo/companies/") {
		t.Error("a user's form links to the companies editor")
	}
	if !strings.Contains(clients["admin"].get("/odoo/settings").Body.String(), `href="/odoo/record-rules"`) {
		t.Error("the Settings menu lacks the record rules")
	}
}

// The record rule editor refuses a domain that does not parse, names an unknown
// field, holds code or is too large: the error is next to the domain, the typed
// text is shown again and nothing is saved. An access right on a model that is not
// installed is refused the same way.
func TestRuleEditorValidates(t *testing.T) {
	f := newFixture(t)
	ids := f.settingsRecords()
	admin := f.signIn("admin")
	admin.get("/odoo/record-rules/new")
	rules := f.countWhere("ir.rule", domain.Domain{})
	model := fmt.Sprint(ids.partnerModel)
	bad := []struct{ name, domain string }{
		{"unknown field", "[('x','=',1)]"},
		{"python", "\"__import__('os')\""},
		{"python bare", "__import__('os').system('id')"},
		{"unparseable", "[('name', '=', "},
		{"unknown name", "[('id', '=', user.password)]"},
		{"over the domain limit", "[" + strings.Repeat("('name', '=', 'a'), ", 300<<10/20) + "]"},
	}
	for _, tt := range bad {
		for _, target := range []string{"/odoo/record-rules/new", fmt.Sprintf("/odoo/record-rules/%d", ids.rule)} {
			w := admin.post(target, url.Values{"name": {"Bad rule"}, "model_id": {model}, "domain_force": {tt.domain}})
			body := w.Body.String()
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-domain_force"`) {
				t.Errorf("%s on %s: %d, want 422 with the error next to the domain", tt.name, target, w.Code)
				continue
			}
			if len(tt.domain) < 200 && !strings.Contains(body, escaped(tt.domain)) {
				t.Errorf("%s: the typed domain is not shown again", tt.name)
			}
		}
	}
	// A megabyte does not even reach the ORM: the request is refused whole.
	huge := "[" + strings.Repeat("('name', '=', 'a'), ", 1<<20/20) + "]"
	if w := admin.post("/odoo/record-rules/new", url.Values{"name": {"Bad rule"}, "model_id": {model}, "domain_force": {huge}}); w.Code != http.StatusRequestEntityTooLarge && w.Code != http.StatusUnprocessableEntity {
		t.Errorf("a 1 MB domain: %d", w.Code)
	}
	if n := f.countWhere("ir.rule", domain.Domain{}); n != rules {
		t.Fatalf("refused rules were saved: %d, want %d", n, rules)
	}
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		recs, err := env.Read(ctx, "ir.rule", []int64{ids.rule}, []string{"name", "domain_force"})
		if err == nil && (recs[0]["name"] != "Existing rule" || recs[0]["domain_force"] != "[(1, '=', 1)]") {
			t.Errorf("a refused write changed the existing rule: %v", recs[0])
		}
		return err
	})
	w := admin.post("/odoo/access-rights/new", url.Values{"name": {"Ghost right"}, "model_id": {fmt.Sprint(ids.ghostModel)}, "perm_read": {"on"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="e-model_id"`) {
		t.Errorf("access right on a model that is not installed: %d", w.Code)
	}
	if n := f.countWhere("ir.model.access", seed.Leaf("name", "=", "Ghost right")); n != 0 {
		t.Fatal("the refused access right was saved")
	}
	// Valid ones are saved.
	w = admin.post("/odoo/record-rules/new", url.Values{"name": {"Own company"}, "model_id": {model},
		"domain_force": {"['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]"}, "perm_read": {"on"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("a valid rule: %d %s", w.Code, w.Body)
	}
	w = admin.post("/odoo/access-rights/new", url.Values{"name": {"Partner read"}, "model_id": {model}, "perm_read": {"on"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("a valid access right: %d %s", w.Code, w.Body)
	}
}

// escaped is s as html/template writes it in an element's text or attribute.
func escaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// A group name holding markup is shown as text on the list and the form.
func TestGroupNameEscaped(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn("admin")
	admin.get("/odoo/groups/new")
	const payload = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	w := admin.post("/odoo/groups/new", url.Values{"name": {payload}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create group: %d %s", w.Code, w.Body)
	}
	for _, p := range []string{"/odoo/groups", w.Header().Get("Location"), fmt.Sprintf("/odoo/settings/users/%d", f.uid["user"])} {
		body := admin.get(p).Body.String()
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s renders the group name as markup", p)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the group name", p)
		}
	}
}

// An administrator edits a group's members and inherited groups as tags; the
// change of privileges holds from the member's next request (groups are loaded on
// every request), in both directions.
func TestGroupMembersEditedAsTags(t *testing.T) {
	f := newFixture(t)
	var system int64
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.groups", seed.Leaf("xml_id", "=", "base.group_system"), orm.SearchOptions{Limit: 1})
		system = ids[0]
		return err
	})
	admin := f.signIn("admin")
	user := f.signIn("user")
	if w := user.get("/odoo/settings"); w.Code != 404 {
		t.Fatalf("user before: %d", w.Code)
	}
	form := admin.get("/odoo/groups/new").Body.String()
	if !strings.Contains(form, `name="users"`) || !strings.Contains(form, `name="implied_ids"`) {
		t.Fatal("the group form cannot edit members and inherited groups")
	}
	w := admin.post("/odoo/groups/new", url.Values{"name": {"Deputies"}, "users": {fmt.Sprint(f.uid["user"])}, "implied_ids": {fmt.Sprint(system)}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create group: %d %s", w.Code, w.Body)
	}
	if got := user.get("/odoo/settings"); got.Code != 200 {
		t.Fatalf("a member of a group implying Settings: %d", got.Code)
	}
	// Emptying the members takes the privilege away at once: the former member's
	// sessions end, and signed in again they no longer reach Settings.
	if w := admin.post(w.Header().Get("Location"), url.Values{"name": {"Deputies"}, "users": {""}, "implied_ids": {fmt.Sprint(system)}}); w.Code != http.StatusSeeOther {
		t.Fatalf("remove member: %d %s", w.Code, w.Body)
	}
	if got := user.get("/odoo/settings"); got.Code != http.StatusSeeOther || !strings.HasPrefix(got.Header().Get("Location"), "/web/login") {
		t.Fatalf("a former member's session survived: %d", got.Code)
	}
	if got := f.signIn("user").get("/odoo/settings"); got.Code != 404 {
		t.Fatalf("a former member still reaches Settings: %d", got.Code)
	}
}
