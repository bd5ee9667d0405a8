package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

// Record is one backup in the catalogue.
type Record struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant"`
	TenantID    int64     `json:"tenant_id"`
	Kind        string    `json:"kind"`
	Engine      string    `json:"engine"`
	ObjectKey   string    `json:"object_key"`
	Created     time.Time `json:"created"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	VerifiedAt  time.Time `json:"verified_at,omitzero"` // test restore passed
	VerifyError string    `json:"verify_error,omitempty"`
	Copies      []Copy    `json:"copies"`
}

// Copy is a backup's presence on one site.
type Copy struct {
	Site       string    `json:"site"`
	DataCentre string    `json:"data_centre"`
	VerifiedAt time.Time `json:"verified_at,omitzero"` // read back and hash-checked
	Attempts   int       `json:"attempts"`
	LastError  string    `json:"last_error,omitempty"`
}

// Verified reports whether the test restore of the backup passed.
func (r Record) Verified() bool { return !r.VerifiedAt.IsZero() }

// VerifiedOn reports whether site holds a verified copy.
func (r Record) VerifiedOn(site string) bool {
	for _, c := range r.Copies {
		if c.Site == site && !c.VerifiedAt.IsZero() {
			return true
		}
	}
	return false
}

// DataCentres returns the distinct data centres holding verified copies.
func (r Record) DataCentres() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range r.Copies {
		if !c.VerifiedAt.IsZero() && !seen[c.DataCentre] {
			seen[c.DataCentre] = true
			out = append(out, c.DataCentre)
		}
	}
	return out
}

// ErrNoBackup means the catalogue has no backup with that id.
var ErrNoBackup = errors.New("no such backup")

// catalogue reads and writes the backup tables of the control database.
type catalogue struct {
	db *store.DB
}

const recordColumns = "id, tenant, tenant_id, kind, engine, object_key, created_at, size, sha256, verified_at, verify_error"

func scanRecord(row interface{ Scan(...any) error }) (Record, error) {
	var r Record
	var verified sql.NullTime
	err := row.Scan(&r.ID, &r.Tenant, &r.TenantID, &r.Kind, &r.Engine, &r.ObjectKey, &r.Created, &r.Size, &r.SHA256, &verified, &r.VerifyError)
	r.Created = r.Created.UTC()
	if verified.Valid {
		r.VerifiedAt = verified.Time.UTC()
	}
	return r, err
}

// insert records a complete backup object.
func (c catalogue) insert(ctx context.Context, r Record) error {
	var verified any
	if !r.VerifiedAt.IsZero() {
		verified = r.VerifiedAt.UTC()
	}
	_, err := c.db.Write.ExecContext(ctx, c.db.Rebind("INSERT INTO backup ("+recordColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		r.ID, r.Tenant, r.TenantID, r.Kind, r.Engine, r.ObjectKey, r.Created.UTC(), r.Size, r.SHA256, verified, r.VerifyError)
	if err != nil {
		return fmt.Errorf("record backup %s: %w", r.ID, err)
	}
	return nil
}

// get returns backup id with its copies.
func (c catalogue) get(ctx context.Context, id string) (Record, error) {
	r, err := scanRecord(c.db.Read.QueryRowContext(ctx, c.db.Rebind("SELECT "+recordColumns+" FROM backup WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("%w: %q", ErrNoBackup, printable(id))
	}
	if err != nil {
		return Record{}, fmt.Errorf("look up backup %q: %w", printable(id), err)
	}
	copies, err := c.copies(ctx, []string{id})
	if err != nil {
		return Record{}, err
	}
	r.Copies = copies[id]
	return r, nil
}

// list returns the backups of tenant (all tenants if empty), newest first.
func (c catalogue) list(ctx context.Context, tenant string) ([]Record, error) {
	query := "SELECT " + recordColumns + " FROM backup"
	var args []any
	if tenant != "" {
		query += " WHERE tenant = ?"
		args = append(args, tenant)
	}
	query += " ORDER BY created_at DESC, id DESC"
	rows, err := c.db.Read.QueryContext(ctx, c.db.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	defer rows.Close()
	var out []Record
	var ids []string
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("list backups: %w", err)
		}
		out = append(out, r)
		ids = append(ids, r.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	copies, err := c.copies(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Copies = copies[out[i].ID]
	}
	return out, nil
}

// copies returns the copies of the given backups (of all, when ids is long).
func (c catalogue) copies(ctx context.Context, ids []string) (map[string][]Copy, error) {
	out := map[string][]Copy{}
	if len(ids) == 0 {
		return out, nil
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	query := "SELECT backup_id, site, data_centre, verified_at, attempts, last_error FROM backup_copy"
	var args []any
	if len(ids) == 1 {
		query += " WHERE backup_id = ?"
		args = append(args, ids[0])
	}
	rows, err := c.db.Read.QueryContext(ctx, c.db.Rebind(query+" ORDER BY backup_id, site"), args...)
	if err != nil {
		return nil, fmt.Errorf("list backup copies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var cp Copy
		var verified sql.NullTime
		if err := rows.Scan(&id, &cp.Site, &cp.DataCentre, &verified, &cp.Attempts, &cp.LastError); err != nil {
			return nil, fmt.Errorf("list backup copies: %w", err)
		}
		if !want[id] {
			continue
		}
		if verified.Valid {
			cp.VerifiedAt = verified.Time.UTC()
		}
		out[id] = append(out[id], cp)
	}
	return out, rows.Err()
}

// setVerification records the outcome of a test restore.
func (c catalogue) setVerification(ctx context.Context, id string, at time.Time, verifyErr error) error {
	var err error
	if verifyErr == nil {
		_, err = c.db.Write.ExecContext(ctx, c.db.Rebind("UPDATE backup SET verified_at = ?, verify_error = '' WHERE id = ?"), at.UTC(), id)
	} else {
		_, err = c.db.Write.ExecContext(ctx, c.db.Rebind("UPDATE backup SET verified_at = NULL, verify_error = ? WHERE id = ?"), oneLine(verifyErr.Error()), id)
	}
	if err != nil {
		return fmt.Errorf("record verification of backup %s: %w", id, err)
	}
	return nil
}

// markCopy records a verified copy on site, or a failed attempt when copyErr
// is set (a verified copy stays verified: a later failed re-check of another
// attempt does not erase it).
func (c catalogue) markCopy(ctx context.Context, id, site, dc string, at time.Time, copyErr error) error {
	return c.db.InTx(ctx, func(tx *sql.Tx) error {
		var attempts int
		var verified sql.NullTime
		err := tx.QueryRowContext(ctx, c.db.Rebind("SELECT attempts, verified_at FROM backup_copy WHERE backup_id = ? AND site = ?"), id, site).Scan(&attempts, &verified)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("record copy of %s on %s: %w", id, site, err)
		}
		attempts++
		lastErr := ""
		var verifiedAt any
		if copyErr != nil {
			lastErr = oneLine(copyErr.Error())
			if verified.Valid {
				verifiedAt = verified.Time
			}
		} else {
			verifiedAt = at.UTC()
		}
		if exists {
			_, err = tx.ExecContext(ctx, c.db.Rebind("UPDATE backup_copy SET data_centre = ?, verified_at = ?, attempts = ?, last_error = ?, updated_at = ? WHERE backup_id = ? AND site = ?"),
				dc, verifiedAt, attempts, lastErr, at.UTC(), id, site)
		} else {
			_, err = tx.ExecContext(ctx, c.db.Rebind("INSERT INTO backup_copy (backup_id, site, data_centre, verified_at, attempts, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
				id, site, dc, verifiedAt, attempts, lastErr, at.UTC())
		}
		if err != nil {
			return fmt.Errorf("record copy of %s on %s: %w", id, site, err)
		}
		return nil
	})
}

// removeCopy forgets the copy on site and, when it was the last one and the
// local outbox no longer holds the object either, the backup itself.
func (c catalogue) removeCopy(ctx context.Context, id, site string, keepRecord bool) error {
	return c.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, c.db.Rebind("DELETE FROM backup_copy WHERE backup_id = ? AND site = ?"), id, site); err != nil {
			return fmt.Errorf("forget copy of %s on %s: %w", id, site, err)
		}
		if keepRecord {
			return nil
		}
		var n int
		if err := tx.QueryRowContext(ctx, c.db.Rebind("SELECT count(*) FROM backup_copy WHERE backup_id = ?"), id).Scan(&n); err != nil {
			return fmt.Errorf("count copies of %s: %w", id, err)
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, c.db.Rebind("DELETE FROM backup WHERE id = ?"), id); err != nil {
				return fmt.Errorf("forget backup %s: %w", id, err)
			}
		}
		return nil
	})
}

func oneLine(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '\n' || r == '\r' {
			r = ' '
		}
		out = append(out, r)
		if len(out) >= 500 {
			break
		}
	}
	return string(out)
}
