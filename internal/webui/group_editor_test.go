package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// groupIDs returns the ids of the groups with these external ids.
func (f *fixture) groupIDs(xmlIDs ...string) map[string]int64 {
	f.t.Helper()
	out := map[string]int64{}
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		for _, x := range xmlIDs {
			ids, err := env.Search(ctx, "res.groups", seed.Leaf("xml_id", "=", x), orm.SearchOptions{Limit: 1})
			if err != nil {
				return err
			}
			if len(ids) != 1 {
				return fmt.Errorf("no group %s", x)
			}
			out[x] = ids[0]
		}
		return nil
	})
	return out
}

// groupExists reports whether group id is still in the database.
func (f *fixture) groupExists(id int64) bool {
	f.t.Helper()
	var n int
	f.sudo("acme", func(ctx context.Context, env *orm.Env) error {
		ids, err := env.Search(ctx, "res.groups", seed.Leaf("id", "=", id), orm.SearchOptions{})
		n = len(ids)
		return err
	})
	return n == 1
}

// signedOut reports whether c's session has ended: the application sends it to
// the sign-in page.
func signedOut(c *client) bool {
	w := c.get("/odoo/contacts")
	return w.Code == http.StatusSeeOther && strings.HasPrefix(w.Header().Get("Location"), "/web/login")
}

// The groups modules seed cannot be deleted from the group editor, alone or with
// another group, and nothing changes; a group the administrator created can be,
// which ends its members' sessions.
func TestGroupEditorKeepsModuleGroups(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		groups := f.groupIDs(base.GroupUser, base.GroupSystem, base.GroupPortal, sale.GroupSalesman, account.GroupBilling)
		admin := f.signIn("admin")
		member := f.signIn("user")
		w := admin.post("/odoo/groups/new", url.Values{"name": {"Temporary"}, "users": {fmt.Sprint(f.uid["user"])}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("create group: %d %s", w.Code, w.Body)
		}
		custom := strings.TrimPrefix(w.Header().Get("Location"), "/odoo/groups/")
		for xmlID, id := range groups {
			for _, ids := range [][]string{{fmt.Sprint(id)}, {custom, fmt.Sprint(id)}} {
				w := admin.post("/odoo/groups/selection", url.Values{"ids": ids, "op": {"delete"}})
				if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "comes with a module and cannot be deleted") ||
					!strings.Contains(w.Body.String(), xmlID) {
					t.Fatalf("delete %s (%v): %d %s", xmlID, ids, w.Code, w.Body)
				}
				if !f.groupExists(id) {
					t.Fatalf("%s was deleted", xmlID)
				}
			}
		}
		var customID int64
		fmt.Sscan(custom, &customID)
		if !f.groupExists(customID) {
			t.Fatal("a refused deletion deleted the other group selected")
		}
		if signedOut(member) {
			t.Fatal("a refused deletion ended the other group's members' sessions")
		}
		if w := admin.post("/odoo/groups/selection", url.Values{"ids": {custom}, "op": {"delete"}}); w.Code != http.StatusSeeOther || f.groupExists(customID) {
			t.Fatalf("delete the administrator's own group: %d %s", w.Code, w.Body)
		}
		if !signedOut(member) {
			t.Fatal("a member of the deleted group is still signed in")
		}
		if signedOut(admin) {
			t.Fatal("the administrator was signed out")
		}
	})
}

// Taking a user out of a group in the group editor ends that user's sessions, as
// a change of privileges on the user's page does; members who stay keep theirs,
// and an administrator who takes themselves out keeps the session they used.
func TestGroupEditorRemovalEndsSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		admin := f.signIn("admin")
		otherAdmin := f.signIn("admin")
		user := f.signIn("user")
		userPhone := f.signIn("user")
		members := fmt.Sprintf("%d,%d", f.uid["admin"], f.uid["user"])
		w := admin.post("/odoo/groups/new", url.Values{"name": {"Deputies"}, "users": {members}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("create group: %d %s", w.Code, w.Body)
		}
		group := w.Header().Get("Location")
		for _, c := range []*client{admin, otherAdmin, user, userPhone} {
			if signedOut(c) {
				t.Fatal("adding members ended a session")
			}
		}
		// A save that keeps both members (the name changes) ends nothing.
		if w := admin.post(group, url.Values{"name": {"Deputies 2"}, "users": {members}}); w.Code != http.StatusSeeOther {
			t.Fatalf("rename: %d %s", w.Code, w.Body)
		}
		for _, c := range []*client{admin, otherAdmin, user, userPhone} {
			if signedOut(c) {
				t.Fatal("a save that removed nobody ended a session")
			}
		}
		if w := admin.post(group, url.Values{"name": {"Deputies 2"}, "users": {fmt.Sprint(f.uid["admin"])}}); w.Code != http.StatusSeeOther {
			t.Fatalf("remove the user: %d %s", w.Code, w.Body)
		}
		if !signedOut(user) || !signedOut(userPhone) {
			t.Fatal("the removed user is still signed in")
		}
		if signedOut(admin) || signedOut(otherAdmin) {
			t.Fatal("a member who stayed was signed out")
		}
		if w := admin.post(group, url.Values{"name": {"Deputies 2"}, "users": {""}}); w.Code != http.StatusSeeOther {
			t.Fatalf("remove themselves: %d %s", w.Code, w.Body)
		}
		if !signedOut(otherAdmin) {
			t.Fatal("the administrator's other session survived their removal")
		}
		if signedOut(admin) {
			t.Fatal("the administrator lost the session they removed themselves with")
		}
	})
}

// Taking a group out of another's inherited groups in the group editor ends the
// sessions of the members who lose it, and only theirs: a member who still holds
// it through another group keeps every session, and the administrator keeps the
// session they made the change from.
func TestGroupEditorInheritanceRemovalEndsSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		admin := f.signIn("admin")
		otherAdmin := f.signIn("admin")
		user := f.signIn("user")
		userPhone := f.signIn("user")
		create := func(vals url.Values) string {
			t.Helper()
			w := admin.post("/odoo/groups/new", vals)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("create group %s: %d %s", vals.Get("name"), w.Code, w.Body)
			}
			return w.Header().Get("Location")
		}
		ledger := strings.TrimPrefix(create(url.Values{"name": {"Ledger"}}), "/odoo/groups/")
		both := fmt.Sprintf("%d,%d", f.uid["admin"], f.uid["user"])
		clerks := create(url.Values{"name": {"Clerks"}, "implied_ids": {ledger}, "users": {both}})
		auditors := create(url.Values{"name": {"Auditors"}, "implied_ids": {ledger}, "users": {fmt.Sprint(f.uid["admin"])}})
		for _, c := range []*client{admin, otherAdmin, user, userPhone} {
			if signedOut(c) {
				t.Fatal("making groups ended a session")
			}
		}

		// The user held Ledger only through Clerks; the administrator holds it
		// through Auditors too.
		if w := admin.post(clerks, url.Values{"name": {"Clerks"}, "implied_ids": {""}, "users": {both}}); w.Code != http.StatusSeeOther {
			t.Fatalf("take Ledger out of Clerks: %d %s", w.Code, w.Body)
		}
		if !signedOut(user) || !signedOut(userPhone) {
			t.Fatal("the user who lost Ledger through Clerks is still signed in")
		}
		if signedOut(admin) || signedOut(otherAdmin) {
			t.Fatal("the administrator, who still holds Ledger through Auditors, was signed out")
		}

		if w := admin.post(auditors, url.Values{"name": {"Auditors"}, "implied_ids": {""}, "users": {fmt.Sprint(f.uid["admin"])}}); w.Code != http.StatusSeeOther {
			t.Fatalf("take Ledger out of Auditors: %d %s", w.Code, w.Body)
		}
		if !signedOut(otherAdmin) {
			t.Fatal("the administrator's other session survived their loss of Ledger")
		}
		if signedOut(admin) {
			t.Fatal("the administrator lost the session they made the change from")
		}
	})
}
