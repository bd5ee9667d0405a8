package orm

import (
	"context"
	"fmt"
)

// CheckAccess tells whether the user may perform op ("read", "write", "create"
// or "unlink") on the records ids of model, without performing it: the access
// rights, then, for each id, the record rules for op, and for a deletion the
// model's unlink checks. Nil means allowed, an *AccessError that it is not, a
// *MissingError that a record does not exist, and an unlink check's error (a
// *UserError, say) that it refuses. With no ids only the access rights are
// checked.
//
// It is how a screen shows a form read-only, or leaves out a button, exactly
// when the operation would be refused: the same rights and rules decide both.
func (e *Env) CheckAccess(ctx context.Context, model string, ids []int64, op string) error {
	switch op {
	case opRead, opWrite, opCreate, opUnlink:
	default:
		return fmt.Errorf("check access to %s: unknown operation %q", model, op)
	}
	m, err := e.reg.mustModel(model)
	if err != nil {
		return err
	}
	if err := e.checkAccess(ctx, m, op); err != nil {
		return err
	}
	ids, err = uniqueIDs(m.Name, ids)
	if err != nil {
		return err
	}
	if err := e.checkRules(ctx, m, ids, op); err != nil {
		return err
	}
	// A deletion the model's own checks would refuse (a confirmed order) is
	// refused here too, with their message.
	if op == opUnlink && !e.su && len(ids) > 0 {
		for _, c := range m.UnlinkChecks {
			if err := c.Func(ctx, e.Sudo(), ids); err != nil {
				return err
			}
		}
	}
	return nil
}
