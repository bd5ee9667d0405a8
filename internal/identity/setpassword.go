package identity

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
)

// SetPassword replaces user id's password after a check the caller has made (the
// current password on a change screen, or an operator's automation file at tenant
// creation). The new password must pass the policy. Every session of the user other
// than keepSession (0: none) ends.
func (s *Service) SetPassword(ctx context.Context, id int64, newPassword string, keepSession int64, from Origin) error {
	if err := s.cfg.Policy.Check(newPassword); err != nil {
		return err
	}
	if _, err := s.accounts.User(ctx, id); err != nil {
		return err
	}
	hash, err := s.cfg.Hasher.Hash(newPassword)
	if err != nil {
		return fmt.Errorf("hash new password: %w", err)
	}
	if err := s.cfg.DB.InTx(ctx, func(tx *sql.Tx) error { return s.storePassword(ctx, tx, id, hash, keepSession) }); err != nil {
		return err
	}
	s.record(ctx, securitylog.Event{Kind: securitylog.PasswordChanged, UserID: id, ActorID: from.ActorID, Address: from.Address, UserAgent: from.UserAgent})
	return nil
}

// storePassword writes the hash and ends the user's other sessions in tx, so both
// happen or neither does.
func (s *Service) storePassword(ctx context.Context, tx *sql.Tx, id int64, hash string, keepSession int64) error {
	if err := s.accounts.writeHash(ctx, tx, id, hash); err != nil {
		return err
	}
	_, err := s.sessions.DeleteOthersTx(ctx, tx, id, keepSession)
	return err
}

// record appends to the security log. The change it describes is committed, so a
// failure is logged rather than returned: the user must not be told the change
// failed when it did not.
func (s *Service) record(ctx context.Context, e securitylog.Event) {
	if err := s.log.Append(ctx, e); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "security log append failed", "kind", e.Kind, "error", err)
	}
}
