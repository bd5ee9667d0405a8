package webui

import (
	"slices"
)

// groupMembers returns the users of group id before a save of the group editor
// that sets them (Settings → Groups), so that endRemovedMembersSessions can tell
// who lost the group; nil when the save is not such a change.
func groupMembers(rq *request, model string, id int64, vals map[string]any) ([]int64, error) {
	if _, sets := vals["users"]; model != "res.groups" || id == 0 || !sets {
		return nil, nil
	}
	return membersOf(rq, []int64{id})
}

// membersOf returns the users of the groups, each once, never nil. Membership is
// bookkeeping here, not data shown: it is read whole, whichever users the
// editor may see.
func membersOf(rq *request, groups []int64) ([]int64, error) {
	recs, err := rq.env.Sudo().Read(rq.ctx, "res.groups", groups, []string{"users"})
	if err != nil {
		return nil, err
	}
	members := []int64{}
	for _, r := range recs {
		users, _ := r["users"].([]int64)
		for _, uid := range users {
			if !slices.Contains(members, uid) {
				members = append(members, uid)
			}
		}
	}
	return members, nil
}

// endRemovedMembersSessions ends, in the request's transaction, the sessions of
// the users the save took out of group id, as a change of privileges on the
// user's page does: they sign in again with what is left. The administrator's
// own current session stays.
func endRemovedMembersSessions(rq *request, id int64, before []int64) error {
	if before == nil {
		return nil
	}
	after, err := membersOf(rq, []int64{id})
	if err != nil {
		return err
	}
	var removed []int64
	for _, uid := range before {
		if !slices.Contains(after, uid) {
			removed = append(removed, uid)
		}
	}
	return endSessionsOf(rq, removed)
}

// endSessionsOf ends the sessions of the users, in the request's transaction,
// except the one this request came with.
func endSessionsOf(rq *request, users []int64) error {
	for _, uid := range users {
		if _, err := rq.svc.sessions.DeleteOthersTx(rq.ctx, rq.tx, uid, keepIfSelf(rq, uid)); err != nil {
			return err
		}
	}
	return nil
}
