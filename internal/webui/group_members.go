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
	// Membership is bookkeeping here, not data shown: read it whole, whichever
	// users the editor may see.
	recs, err := rq.env.Sudo().Read(rq.ctx, "res.groups", []int64{id}, []string{"users"})
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	members, _ := recs[0]["users"].([]int64)
	if members == nil {
		members = []int64{}
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
	recs, err := rq.env.Sudo().Read(rq.ctx, "res.groups", []int64{id}, []string{"users"})
	if err != nil || len(recs) == 0 {
		return err
	}
	after, _ := recs[0]["users"].([]int64)
	for _, uid := range before {
		if slices.Contains(after, uid) {
			continue
		}
		if _, err := rq.svc.sessions.DeleteOthersTx(rq.ctx, rq.tx, uid, keepIfSelf(rq, uid)); err != nil {
			return err
		}
	}
	return nil
}
