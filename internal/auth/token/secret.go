package token

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

// SecretParameter is the ir_config_parameter key holding the tenant's signing secret
// (hex), as Odoo names it.
const SecretParameter = "database.secret"

// LoadSigner reads the tenant's database.secret and returns a Signer under it.
func LoadSigner(ctx context.Context, db *store.DB, now func() time.Time) (*Signer, error) {
	var value string
	err := db.Read.QueryRowContext(ctx, db.Rebind("SELECT value FROM ir_config_parameter WHERE key = ?"), SecretParameter).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load token secret: %s is not set", SecretParameter)
	}
	if err != nil {
		return nil, fmt.Errorf("load token secret: %w", err)
	}
	secret, err := hex.DecodeString(value)
	if err != nil {
		// The value itself is never repeated.
		return nil, fmt.Errorf("load token secret: %s is not hex", SecretParameter)
	}
	return NewSigner(secret, now)
}
