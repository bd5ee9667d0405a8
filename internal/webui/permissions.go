package webui

import (
	"errors"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// mayDo reports whether the user may perform op ("create", "write",
// "unlink") on the records ids of the view's model, or on any of them when no
// id is given. It asks the ORM the access rights and record rules that would
// decide the operation itself, so a screen offers only what would be allowed:
// a posted invoice, which the accounting rules keep from being changed, shows
// read-only rather than with a Save that can only be refused.
func mayDo(rq *request, v *View, op string, ids ...int64) (bool, error) {
	if v.ReadOnly {
		return false, nil
	}
	err := rq.env.CheckAccess(rq.ctx, v.Model, ids, op)
	var (
		denied  *orm.AccessError
		refused *orm.UserError
	)
	if errors.As(err, &denied) || errors.As(err, &refused) {
		return false, nil
	}
	return err == nil, err
}

// actionAvailable reports whether record id, in state, shows button a: its
// state is one of the button's, and the record matches the button's When.
func actionAvailable(rq *request, v *View, a Action, id int64, state string) (bool, error) {
	if len(a.States) > 0 && !contains(a.States, state) {
		return false, nil
	}
	if a.when.MatchesAll() {
		return true, nil
	}
	n, err := rq.env.SearchCount(rq.ctx, v.Model, domain.AndAll(leaf("id", "=", id), a.when), orm.SearchOptions{IncludeArchived: true})
	return n > 0, err
}
