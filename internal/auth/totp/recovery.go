package totp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	// RecoveryCodes is how many single-use codes a user gets.
	RecoveryCodes    = 10
	recoveryCodeSize = 10 // bytes: 80 bits, 16 base32 characters
)

var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// UseRecoveryCode accepts one of userID's recovery codes once. Wrong codes count
// towards the same rate limit as wrong TOTP codes.
func (m *Manager) UseRecoveryCode(ctx context.Context, userID int64, code string) error {
	return m.withFailureCounting(ctx, userID, func(tx *sql.Tx, now time.Time) error {
		normalised, ok := normaliseRecoveryCode(code)
		if !ok {
			return ErrInvalidCode
		}
		// Single use: the row is claimed by the update that marks it, so two
		// concurrent uses cannot both succeed.
		res, err := tx.ExecContext(ctx, m.db.Rebind("UPDATE auth_recovery_code SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL"),
			now.Unix(), userID, recoveryHash(userID, normalised))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrInvalidCode
		}
		return nil
	})
}

// RegenerateRecoveryCodes replaces userID's recovery codes and returns the new ones,
// to be shown once.
func (m *Manager) RegenerateRecoveryCodes(ctx context.Context, userID int64) ([]string, error) {
	var codes []string
	err := m.db.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, m.db.Rebind("SELECT COUNT(*) FROM auth_totp WHERE user_id = ?"), userID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotEnabled
		}
		var err error
		codes, err = m.replaceRecoveryCodes(ctx, tx, userID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("regenerate recovery codes of user %d: %w", userID, err)
	}
	return codes, nil
}

// RemainingRecoveryCodes counts userID's unused recovery codes.
func (m *Manager) RemainingRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	err := m.db.Read.QueryRowContext(ctx, m.db.Rebind("SELECT COUNT(*) FROM auth_recovery_code WHERE user_id = ? AND used_at IS NULL"), userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes of user %d: %w", userID, err)
	}
	return n, nil
}

func (m *Manager) replaceRecoveryCodes(ctx context.Context, tx *sql.Tx, userID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, m.db.Rebind("DELETE FROM auth_recovery_code WHERE user_id = ?"), userID); err != nil {
		return nil, err
	}
	codes := make([]string, 0, RecoveryCodes)
	for range RecoveryCodes {
		raw := make([]byte, recoveryCodeSize)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		plain := recoveryEncoding.EncodeToString(raw)
		if _, err := tx.ExecContext(ctx, m.db.Rebind("INSERT INTO auth_recovery_code (user_id, code_hash) VALUES (?, ?)"),
			userID, recoveryHash(userID, plain)); err != nil {
			return nil, err
		}
		codes = append(codes, plain[0:4]+"-"+plain[4:8]+"-"+plain[8:12]+"-"+plain[12:16])
	}
	return codes, nil
}

// recoveryHash needs no key stretching: the codes carry 80 random bits. The user id
// is hashed in so equal codes of two users never share a hash.
func recoveryHash(userID int64, normalised string) []byte {
	sum := sha256.Sum256([]byte("instanterp/recovery-code\x00" + strconv.FormatInt(userID, 10) + "\x00" + normalised))
	return sum[:]
}

func normaliseRecoveryCode(code string) (string, bool) {
	if len(code) > 64 {
		return "", false
	}
	code = strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	if len(code) != 16 {
		return "", false
	}
	if _, err := recoveryEncoding.DecodeString(code); err != nil {
		return "", false
	}
	return code, true
}
