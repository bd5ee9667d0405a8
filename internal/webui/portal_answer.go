package webui

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/web"
)

// PortalAnswer lets the customer accept or decline a document from its link while
// it is in state From. The hooks run as the system inside the transaction that
// consumed the answer, and must move the document out of From.
type PortalAnswer struct {
	From    string
	Accept  func(ctx context.Context, su *orm.Env, id int64, sig Signature) error
	Decline func(ctx context.Context, su *orm.Env, id int64, sig Signature) error
}

// Signature is what the portal records of a customer's answer.
type Signature struct {
	Name    string // typed by the customer
	At      time.Time
	Address string // client address
}

const maxSignatureName = 128

// portalAnswer consumes the answer with one conditional UPDATE (the document must
// still be in From; rows affected is checked), so two answers, or an answer and a
// change in the back office, cannot both succeed.
func (u *UI) portalAnswer(pr *portalRequest, tx *sql.Tx, su *orm.Env, accept bool) {
	ctx := pr.r.Context()
	v := pr.v
	name := strings.TrimSpace(pr.r.PostFormValue("signed_by"))
	if accept && (name == "" || len(name) > maxSignatureName) {
		u.portalShow(pr, su, "Type your full name to sign.")
		return
	}
	m := v.model(u.cfg.Registry)
	res, err := tx.ExecContext(ctx, pr.svc.db.Rebind("UPDATE "+store.QuoteIdent(m.Table)+" SET write_date = ? WHERE id = ? AND "+store.QuoteIdent(v.Status)+" = ?"),
		u.now().UTC().Format(orm.DatetimeLayout), pr.id, v.PortalAnswer.From)
	if err != nil {
		u.fail(pr.w, pr.r, fmt.Errorf("consume portal answer: %w", err))
		return
	}
	if n, _ := res.RowsAffected(); n != 1 {
		u.log.InfoContext(ctx, "portal answer refused: document no longer awaiting it", "model", v.Model, "id", pr.id)
		u.portalShow(pr, su, "This document has already been answered or changed.")
		return
	}
	sig := Signature{Name: name, At: u.now().UTC(), Address: web.ClientIP(ctx).String()}
	hook := v.PortalAnswer.Decline
	if accept {
		hook = v.PortalAnswer.Accept
	}
	if err := hook(ctx, su, pr.id, sig); err != nil {
		if _, msg, ok := userFacing(err, v); ok {
			// Nothing of the refused answer is kept, and the page is read afresh:
			// su's transaction is gone.
			tx.Rollback()
			u.portalShowAfresh(pr, msg)
			return
		}
		u.fail(pr.w, pr.r, err)
		return
	}
	recs, err := su.Read(ctx, v.Model, []int64{pr.id}, []string{v.Status})
	if err != nil {
		u.fail(pr.w, pr.r, err)
		return
	}
	if state, _ := recs[0][v.Status].(string); state == v.PortalAnswer.From {
		u.fail(pr.w, pr.r, fmt.Errorf("portal answer on %s %d left it in state %q", v.Model, pr.id, state))
		return
	}
	action := audit.PortalDecline
	if accept {
		action = audit.PortalAccept
	}
	if err := audit.New(pr.svc.db, u.now).AppendTx(ctx, tx, portalEntry(ctx, v, pr.id, action, pr.tok, map[string]string{"signed_by": name})); err != nil {
		u.fail(pr.w, pr.r, err)
		return
	}
	if err := tx.Commit(); err != nil {
		u.fail(pr.w, pr.r, fmt.Errorf("commit portal answer: %w", err))
		return
	}
	u.log.InfoContext(ctx, "portal answer recorded", "model", v.Model, "id", pr.id, "accepted", accept, "client", sig.Address)
	http.Redirect(pr.w, pr.r, fmt.Sprintf("/my/%s/%d?access_token=%s", v.Portal, pr.id, urlQueryEscape(pr.tok)), http.StatusSeeOther)
}

// portalShowAfresh shows the document with msg from a new read transaction, after
// the answer's own was rolled back.
func (u *UI) portalShowAfresh(pr *portalRequest, msg string) {
	tx, sys, err := u.portalTx(pr.r.Context(), pr.svc, pr.svc.db.Read)
	if err != nil {
		u.fail(pr.w, pr.r, err)
		return
	}
	defer tx.Rollback()
	u.portalShow(pr, sys.Sudo(), msg)
}
