package webui

import (
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Settings are for administrators (Settings group). An administrator manages users
// (invite, groups, deactivate, trigger a reset) but never sees or sets a password.
func (u *UI) settingsRoute(get, post bool, seg []string) handlerFunc {
	admin := func(h handlerFunc) handlerFunc {
		return func(rq *request) error {
			if !rq.user.Admin {
				return errNotFound
			}
			return h(rq)
		}
	}
	switch {
	case len(seg) == 0 && get:
		return admin(u.usersPage)
	case len(seg) == 1 && seg[0] == "invite" && post:
		return admin(u.invite)
	case len(seg) == 1 && seg[0] == "security-log" && get:
		return admin(u.securityLogPage)
	case len(seg) == 1 && seg[0] == "bans" && get:
		return admin(u.bansPage)
	case len(seg) == 1 && seg[0] == "bans" && post:
		return admin(u.liftBan)
	case len(seg) == 1 && seg[0] == "two-factor" && get:
		return admin(u.twoFactorSettings)
	case len(seg) == 1 && seg[0] == "two-factor" && post:
		return admin(u.setTwoFactorPolicy)
	case len(seg) == 1 && seg[0] == "api-keys" && get:
		return admin(func(rq *request) error { return u.apiKeysAdminPage(rq, nil) })
	case len(seg) == 1 && seg[0] == "api-keys" && post:
		return admin(u.apiKeysAdminPost)
	case len(seg) >= 1 && seg[0] == "providers":
		if h := u.providersRoute(get, post, seg[1:]); h != nil {
			return admin(h)
		}
		return nil
	case len(seg) == 2 && seg[0] == "users":
		id, ok := recordID(seg[1])
		if !ok || id == 0 {
			return nil
		}
		if get {
			return admin(func(rq *request) error { return u.userPage(rq, id) })
		}
		if post {
			return admin(func(rq *request) error { return u.userAction(rq, id) })
		}
	}
	return nil
}

type userRow struct {
	ID                int64
	Name, Login, Kind string
	Active            bool
}

func settingsCrumbs(last string) []crumb {
	if last == "" {
		return []crumb{{Label: "Settings"}}
	}
	return []crumb{{Label: "Settings", URL: "/odoo/settings"}, {Label: last}}
}

func (u *UI) usersPage(rq *request) error {
	recs, err := rq.env.SearchRead(rq.ctx, "res.users", domain.Domain{}, []string{"name", "login", "active", "share"},
		orm.SearchOptions{IncludeArchived: true, Limit: 500})
	if err != nil {
		return err
	}
	rows := make([]userRow, 0, len(recs))
	for _, r := range recs {
		row := userRow{ID: r["id"].(int64), Kind: "Internal user"}
		row.Name, _ = r["name"].(string)
		row.Login, _ = r["login"].(string)
		row.Active, _ = r["active"].(bool)
		if share, _ := r["share"].(bool); share {
			row.Kind = "Portal user"
		}
		rows = append(rows, row)
	}
	return rq.page(u, 200, "settings_users", &page{Title: "Users", Active: "settings", Crumbs: settingsCrumbs(""), Content: rows})
}

// invite creates an internal user (with a contact) without a password and mails
// them an invitation link to choose one.
func (u *UI) invite(rq *request) error {
	name := strings.TrimSpace(rq.r.PostFormValue("name"))
	email := strings.TrimSpace(rq.r.PostFormValue("email"))
	addr, err := mail.ParseAddress(email)
	if name == "" || len(name) > 256 || err != nil || addr.Address != email || len(email) > 254 {
		rq.rollback = true
		return rq.page(u, 422, "message", &page{Title: "Users", Active: "settings", Crumbs: settingsCrumbs("Invite"),
			Error: "Enter a name and a plain email address.", Content: messageData{Back: "/odoo/settings"}})
	}
	var uid int64
	err = u.inTx(rq.ctx, rq.svc, rq.user.ID, func(env *orm.Env) error {
		ident := env.Identity()
		partner, err := env.Create(rq.ctx, "res.partner", []map[string]any{{"name": name, "email": email, "company_id": ident.CompanyID}})
		if err != nil {
			return err
		}
		groups, err := env.Search(rq.ctx, "res.groups", leaf("xml_id", "=", base.GroupUser), orm.SearchOptions{Limit: 1})
		if err != nil || len(groups) == 0 {
			return fmt.Errorf("find the internal user group: %v", err)
		}
		ids, err := env.Create(rq.ctx, "res.users", []map[string]any{{"name": name, "login": email, "email": email,
			"partner_id": partner[0], "company_id": ident.CompanyID, "company_ids": []any{ident.CompanyID},
			"groups_id": []any{groups[0]}}})
		if err != nil {
			return err
		}
		uid = ids[0]
		return nil
	})
	if err != nil {
		if _, msg, ok := userFacing(err, &View{Model: "res.users"}); ok {
			rq.rollback = true
			return rq.page(u, 422, "message", &page{Title: "Users", Active: "settings", Crumbs: settingsCrumbs("Invite"),
				Error: msg, Content: messageData{Back: "/odoo/settings"}})
		}
		return err
	}
	if err := u.sendPasswordLink(rq.ctx, rq.r, rq.svc, invitationLink, uid, rq.user.ID); err != nil {
		// The user exists; the administrator can send the link again from their page.
		var ue *orm.UserError
		if errors.As(err, &ue) {
			return rq.page(u, 422, "message", &page{Title: "Users", Active: "settings", Crumbs: settingsCrumbs("Invite"),
				Error: "The user was created but not invited: " + ue.Message, Content: messageData{Back: fmt.Sprintf("/odoo/settings/users/%d", uid)}})
		}
		return err
	}
	rq.setFlash("invited")
	rq.redirect(fmt.Sprintf("/odoo/settings/users/%d", uid))
	return nil
}

type groupBox struct {
	ID      int64
	Name    string
	Checked bool
}

type userDetail struct {
	ID          int64
	Name, Login string
	Active      bool
	Self        bool
	TwoFactor   bool
	Groups      []groupBox
	Sessions    []sessionRow
}

func (u *UI) userPage(rq *request, id int64) error {
	recs, err := rq.env.SearchRead(rq.ctx, "res.users", leaf("id", "=", id), []string{"name", "login", "active", "groups_id"},
		orm.SearchOptions{IncludeArchived: true, Limit: 1})
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errNotFound
	}
	r := recs[0]
	d := userDetail{ID: id, Self: id == rq.user.ID}
	d.Name, _ = r["name"].(string)
	d.Login, _ = r["login"].(string)
	d.Active, _ = r["active"].(bool)
	member := map[int64]bool{}
	for _, g := range r["groups_id"].([]int64) {
		member[g] = true
	}
	groups, err := rq.env.SearchRead(rq.ctx, "res.groups", domain.Domain{}, []string{"name", "category"}, orm.SearchOptions{Limit: 200})
	if err != nil {
		return err
	}
	for _, g := range groups {
		gid := g["id"].(int64)
		name, _ := g["name"].(string)
		if cat, _ := g["category"].(string); cat != "" {
			name = cat + " / " + name
		}
		d.Groups = append(d.Groups, groupBox{ID: gid, Name: name, Checked: member[gid]})
	}
	if d.TwoFactor, err = rq.svc.totp.Enabled(rq.ctx, id); err != nil {
		return err
	}
	list, err := rq.svc.sessions.List(rq.ctx, id)
	if err != nil {
		return err
	}
	d.Sessions = sessionRows(list, rq.sess.ID)
	return rq.page(u, 200, "settings_user", &page{Title: d.Name, Active: "settings", Crumbs: settingsCrumbs(d.Name), Content: d})
}

// userAction changes a user: groups, deactivate or reactivate (ending every session),
// trigger a reset mail, or sign out one session.
func (u *UI) userAction(rq *request, id int64) error {
	ctx := rq.ctx
	if _, err := rq.svc.accounts.User(ctx, id); err != nil {
		return errNotFound
	}
	back := fmt.Sprintf("/odoo/settings/users/%d", id)
	op := rq.r.PostFormValue("op")
	var err error
	switch op {
	case "groups":
		var gids []any
		for _, s := range rq.r.PostForm["groups"] {
			g, perr := strconv.ParseInt(s, 10, 64)
			if perr != nil || g <= 0 || len(gids) >= 200 {
				return errBadRequest
			}
			gids = append(gids, g)
		}
		err = u.inTx(ctx, rq.svc, rq.user.ID, func(env *orm.Env) error {
			return env.Write(ctx, "res.users", []int64{id}, map[string]any{"groups_id": []any{[]any{6, 0, gids}}})
		})
		if err == nil {
			// A change of privileges ends the user's sessions; they sign in again.
			_, err = rq.svc.sessions.DeleteOthers(ctx, id, keepIfSelf(rq, id))
		}
		op = "groups-saved"
	case "deactivate", "activate":
		if id == rq.user.ID {
			return errBadRequest
		}
		err = u.inTx(ctx, rq.svc, rq.user.ID, func(env *orm.Env) error {
			return env.Write(ctx, "res.users", []int64{id}, map[string]any{"active": op == "activate"})
		})
		if err == nil && op == "deactivate" {
			_, err = rq.svc.sessions.DeleteOthers(ctx, id, 0)
		}
		op += "d"
	case "reset":
		err = u.sendPasswordLink(ctx, rq.r, rq.svc, resetLink, id, rq.user.ID)
		op = "reset-sent"
	case "revoke":
		sid, perr := strconv.ParseInt(rq.r.PostFormValue("session"), 10, 64)
		if perr != nil {
			return errBadRequest
		}
		if err = rq.svc.sessions.Revoke(ctx, id, sid); err == nil {
			u.recordEvent(ctx, rq.svc, rq.r, securitylog.SessionRevoked, id, rq.user.ID, strconv.FormatInt(sid, 10))
		}
		op = "session-revoked"
	default:
		return errBadRequest
	}
	if err != nil {
		if _, msg, ok := userFacing(err, &View{Model: "res.users"}); ok {
			rq.rollback = true
			return rq.page(u, 422, "message", &page{Title: "Users", Active: "settings", Crumbs: settingsCrumbs("Refused"),
				Error: msg, Content: messageData{Back: back}})
		}
		return err
	}
	rq.setFlash(op)
	rq.redirect(back)
	return nil
}

func keepIfSelf(rq *request, id int64) int64 {
	if id == rq.user.ID {
		return rq.sess.ID
	}
	return 0
}

type logRow struct {
	At, Kind, Login, Address, Reference string
	UserID, ActorID                     int64
}

func (u *UI) securityLogPage(rq *request) error {
	events, err := rq.svc.seclog.List(rq.ctx, securitylog.Filter{Limit: 200})
	if err != nil {
		return err
	}
	rows := make([]logRow, 0, len(events))
	for _, e := range events {
		rows = append(rows, logRow{At: e.At.UTC().Format(time.DateTime), Kind: string(e.Kind), Login: e.Login, Address: e.Address,
			Reference: e.Reference, UserID: e.UserID, ActorID: e.ActorID})
	}
	return rq.page(u, 200, "settings_log", &page{Title: "Security log", Active: "settings", Crumbs: settingsCrumbs("Security log"), Content: rows})
}

type banRow struct {
	Kind, Subject, Until string
	Lockouts             int64
}

func (u *UI) bansPage(rq *request) error {
	bans, err := rq.svc.throttle.Bans(rq.ctx)
	if err != nil {
		return err
	}
	rows := make([]banRow, 0, len(bans))
	for _, b := range bans {
		rows = append(rows, banRow{Kind: string(b.Kind), Subject: b.Subject, Until: b.LockedUntil.UTC().Format(time.DateTime), Lockouts: b.Lockouts})
	}
	return rq.page(u, 200, "settings_bans", &page{Title: "Sign-in lock-outs", Active: "settings", Crumbs: settingsCrumbs("Lock-outs"), Content: rows})
}

func (u *UI) liftBan(rq *request) error {
	kind := throttle.Kind(rq.r.PostFormValue("kind"))
	subject := rq.r.PostFormValue("subject")
	if (kind != throttle.KindAddress && kind != throttle.KindAccount && kind != throttle.KindStart) || subject == "" || len(subject) > throttle.MaxLoginLength {
		return errBadRequest
	}
	if _, err := rq.svc.throttle.Lift(rq.ctx, kind, subject); err != nil {
		return err
	}
	u.recordEvent(rq.ctx, rq.svc, rq.r, securitylog.BanLifted, 0, rq.user.ID, string(kind)+":"+subject)
	rq.setFlash("ban-lifted")
	rq.redirect("/odoo/settings/bans")
	return nil
}
