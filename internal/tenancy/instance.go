package tenancy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

// Sealer encrypts the secrets the catalogue stores (tenant role passwords), binding each
// to its owner through the associated data. The master key implements it.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}

// Instance describes this installation of the platform.
type Instance struct {
	// ID is a short random identifier; PostgreSQL object names start with it so that
	// several installations (or test runs) can share one server without collisions.
	ID string
}

const keyCheckAD = "platform:key-check"

// Initialized reports whether the control database already belongs to an installation.
// It reads without migrating, so a start with the wrong key changes nothing.
func Initialized(ctx context.Context, db *store.DB) (bool, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, "SELECT count(*) FROM platform").Scan(&n)
	if err != nil {
		// Before the first migration the table does not exist.
		return false, nil
	}
	return n > 0, nil
}

// ErrWrongMasterKey means the master key cannot open what this installation sealed.
var ErrWrongMasterKey = errors.New("the master key does not match this installation's data")

// OpenInstance returns the installation recorded in the (migrated) control database,
// recording a new one on first use, and proves that key is the key it was made with.
func OpenInstance(ctx context.Context, db *store.DB, key Sealer, now time.Time) (Instance, error) {
	var inst Instance
	var check []byte
	err := db.Read.QueryRowContext(ctx, "SELECT instance_id, key_check FROM platform WHERE id = 1").Scan(&inst.ID, &check)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return createInstance(ctx, db, key, now)
	case err != nil:
		return Instance{}, fmt.Errorf("read installation record: %w", err)
	}
	plain, err := key.Open(check, []byte(keyCheckAD))
	if err != nil || string(plain) != inst.ID {
		return Instance{}, fmt.Errorf("%w (%v)", ErrWrongMasterKey, err)
	}
	return inst, nil
}

func createInstance(ctx context.Context, db *store.DB, key Sealer, now time.Time) (Instance, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return Instance{}, err
	}
	inst := Instance{ID: "ie" + hex.EncodeToString(b)}
	check, err := key.Seal([]byte(inst.ID), []byte(keyCheckAD))
	if err != nil {
		return Instance{}, fmt.Errorf("seal key check: %w", err)
	}
	_, err = db.Write.ExecContext(ctx, db.Rebind(
		"INSERT INTO platform (id, instance_id, key_check, created_at) VALUES (1, ?, ?, ?)"), inst.ID, check, now.UTC())
	if store.IsUniqueViolation(err) {
		// Another process initialised it first; use theirs.
		return OpenInstance(ctx, db, key, now)
	}
	if err != nil {
		return Instance{}, fmt.Errorf("record installation: %w", err)
	}
	return inst, nil
}
