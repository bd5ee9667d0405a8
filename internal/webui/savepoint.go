package webui

import "fmt"

// savepoint runs fn so that, when it fails, everything it did is undone while the
// request's transaction stays usable (to show the form again as it is stored).
func (rq *request) savepoint(fn func() error) error {
	if _, err := rq.tx.ExecContext(rq.ctx, "SAVEPOINT webui_step"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rbErr := rq.tx.ExecContext(rq.ctx, "ROLLBACK TO SAVEPOINT webui_step"); rbErr != nil {
			return fmt.Errorf("%w (and rolling back failed: %v)", err, rbErr)
		}
		rq.tx.ExecContext(rq.ctx, "RELEASE SAVEPOINT webui_step")
		return err
	}
	if _, err := rq.tx.ExecContext(rq.ctx, "RELEASE SAVEPOINT webui_step"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// discard runs fn and always undoes what it did: a preview.
func (rq *request) discard(fn func() error) error {
	if _, err := rq.tx.ExecContext(rq.ctx, "SAVEPOINT webui_preview"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err := fn()
	if _, rbErr := rq.tx.ExecContext(rq.ctx, "ROLLBACK TO SAVEPOINT webui_preview"); rbErr != nil {
		return fmt.Errorf("roll back preview: %w", rbErr)
	}
	rq.tx.ExecContext(rq.ctx, "RELEASE SAVEPOINT webui_preview")
	return err
}
