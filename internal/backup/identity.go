package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"filippo.io/age"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
)

// Sealer encrypts the platform identity at rest; the master key implements it.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}

const identityAD = "platform:backup-identity"

// PlatformIdentity returns the platform's age identity, creating and storing
// it (sealed under the master key) on first use. Several processes may race
// to create it; exactly one row wins and everyone uses that one.
func PlatformIdentity(ctx context.Context, control *store.DB, sealer Sealer, now time.Time) (*age.X25519Identity, error) {
	id, err := loadIdentity(ctx, control, sealer)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	fresh, err := archive.GenerateIdentity()
	if err != nil {
		return nil, err
	}
	sealed, err := sealer.Seal([]byte(fresh.String()), []byte(identityAD))
	if err != nil {
		return nil, fmt.Errorf("seal backup identity: %w", err)
	}
	_, err = control.Write.ExecContext(ctx, control.Rebind(
		"INSERT INTO backup_key (id, recipient, identity_sealed, created_at) VALUES (1, ?, ?, ?)"),
		fresh.Recipient().String(), sealed, now.UTC())
	if err != nil && !store.IsUniqueViolation(err) {
		return nil, fmt.Errorf("store backup identity: %w", err)
	}
	return loadIdentity(ctx, control, sealer)
}

func loadIdentity(ctx context.Context, control *store.DB, sealer Sealer) (*age.X25519Identity, error) {
	var recipient string
	var sealed []byte
	err := control.Read.QueryRowContext(ctx, "SELECT recipient, identity_sealed FROM backup_key WHERE id = 1").Scan(&recipient, &sealed)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("read backup identity: %w", err)
	}
	plain, err := sealer.Open(sealed, []byte(identityAD))
	if err != nil {
		return nil, fmt.Errorf("unseal backup identity: %w", err)
	}
	id, err := archive.ParseIdentity(string(plain))
	if err != nil {
		return nil, err
	}
	if id.Recipient().String() != recipient {
		return nil, errors.New("backup identity does not match its recorded recipient")
	}
	return id, nil
}
