// Package audit keeps each tenant's audit log: an append-only, hash-chained record of
// the actions that cross a trust boundary (a customer opening a document by its link,
// a backup downloaded, staff entering the tenant, the system reading as superuser).
//
// Every entry carries the SHA-256 of the entry before it, and its own hash covers that
// link and a canonical encoding of every column, so an entry edited, removed or moved
// after the fact breaks the chain at that point, and Verify names it. Appends are
// serialised per tenant (SQLite's single writer; a transaction-scoped advisory lock on
// PostgreSQL), and ids are assigned by the log as the previous id plus one under the
// primary key, so concurrent appends can never fork the chain. The database refuses
// UPDATE and DELETE on the table (triggers on both engines; on PostgreSQL the tenant
// role also keeps only INSERT and SELECT).
//
// The chain proves the order and integrity of what is there; the newest entries
// removed together with nothing after them leave no gap, which only a copy kept
// elsewhere (the replicated backups) can show.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/store"
)

// ActorKind says who acted.
type ActorKind string

const (
	// ActorUser is a signed-in user of the tenant (ActorID is the res.users id).
	ActorUser ActorKind = "user"
	// ActorPortal is a customer holding a document link (no account).
	ActorPortal ActorKind = "portal"
	// ActorStaff is the operator's support staff under an access grant.
	ActorStaff ActorKind = "staff"
	// ActorSystem is the platform itself (jobs, commands).
	ActorSystem ActorKind = "system"
)

var actorKinds = map[ActorKind]bool{ActorUser: true, ActorPortal: true, ActorStaff: true, ActorSystem: true}

// Actions the platform records. Other packages may record actions of their own
// with names of the same form (lowercase words joined by dots).
const (
	PortalView     = "portal.view"
	PortalPDF      = "portal.pdf"
	PortalAccept   = "portal.accept"
	PortalDecline  = "portal.decline"
	BackupDownload = "backup.download"
	Sudo           = "sudo"
)

// Limits. Text fields that may hold what an attacker sent (labels, addresses,
// detail values) are cut, never refused, so over-long input cannot stop an action
// from being recorded; names chosen by the program are checked instead.
const (
	maxLabel       = 256
	maxAddress     = 64
	maxDetailKeys  = 16
	maxDetailValue = 256
	// MaxList bounds one List call.
	MaxList = 500
)

var (
	actionPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	modelPattern     = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	detailKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Entry is one audit log entry. ID, At, PrevHash and Hash are set by the log.
type Entry struct {
	ID         int64
	At         time.Time
	ActorKind  ActorKind
	ActorID    int64  // user or staff id; 0 when none
	ActorLabel string // login, staff name, "access link"…
	Action     string
	Model      string // e.g. sale.order; empty when the action is on no record
	RecordID   int64
	Address    string // client address
	Detail     map[string]string
	PrevHash   []byte
	Hash       []byte
}

// genesis is the previous hash of the first entry.
var genesis = make([]byte, sha256.Size)

// pgLockKey names the advisory lock that serialises appends on PostgreSQL.
// Advisory locks are scoped to the database, so each tenant has its own.
const pgLockKey = 0x6175646974 // "audit"

// Log appends to and reads the audit log of one tenant database.
type Log struct {
	db  *store.DB
	now func() time.Time
}

// New returns the log of db; now is the clock (time.Now when nil).
func New(db *store.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: db, now: now}
}

// Append records e in a transaction of its own.
func (l *Log) Append(ctx context.Context, e Entry) error {
	row, err := prepare(e)
	if err != nil {
		return err
	}
	return l.db.InTx(ctx, func(tx *sql.Tx) error { return l.insert(ctx, tx, row) })
}

// AppendTx records e inside tx, so that the entry commits or rolls back with the
// action it records. tx must be a write transaction of the log's database (on
// SQLite: of its Write pool). On PostgreSQL the append lock is then held until tx
// ends, so such a transaction should end promptly.
func (l *Log) AppendTx(ctx context.Context, tx *sql.Tx, e Entry) error {
	row, err := prepare(e)
	if err != nil {
		return err
	}
	return l.insert(ctx, tx, row)
}

// prepare checks the names an entry is filed under and cleans its free text.
func prepare(e Entry) (Entry, error) {
	if !actorKinds[e.ActorKind] {
		return e, fmt.Errorf("audit: unknown actor kind %q", e.ActorKind)
	}
	if len(e.Action) > 64 || !actionPattern.MatchString(e.Action) {
		return e, fmt.Errorf("audit: action %q is not lowercase words joined by dots", printable(e.Action))
	}
	if e.Model != "" && (len(e.Model) > 128 || !modelPattern.MatchString(e.Model)) {
		return e, fmt.Errorf("audit: model %q is not a model name", printable(e.Model))
	}
	if e.ActorID < 0 || e.RecordID < 0 {
		return e, errors.New("audit: negative actor or record id")
	}
	if len(e.Detail) > maxDetailKeys {
		return e, fmt.Errorf("audit: %d detail keys, at most %d", len(e.Detail), maxDetailKeys)
	}
	detail := make(map[string]string, len(e.Detail))
	for k, v := range e.Detail {
		if len(k) > 32 || !detailKeyPattern.MatchString(k) {
			return e, fmt.Errorf("audit: detail key %q is not a lowercase word", printable(k))
		}
		detail[k] = clean(v, maxDetailValue)
	}
	e.Detail = detail
	e.ActorLabel = clean(e.ActorLabel, maxLabel)
	e.Address = clean(e.Address, maxAddress)
	return e, nil
}

func (l *Log) insert(ctx context.Context, tx *sql.Tx, e Entry) error {
	if l.db.Engine == store.Postgres {
		// Held until tx ends: the next append reads the head only after this one
		// committed or rolled back.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(pgLockKey)); err != nil {
			return fmt.Errorf("audit: lock the log: %w", err)
		}
	}
	var (
		prevID   int64
		prevHash []byte
	)
	err := tx.QueryRowContext(ctx, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").Scan(&prevID, &prevHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		prevHash = genesis
	case err != nil:
		return fmt.Errorf("audit: read the head of the log: %w", err)
	}
	e.ID = prevID + 1
	e.At = l.now().UTC().Truncate(time.Microsecond)
	e.PrevHash = prevHash
	detail, err := encodeDetail(e.Detail)
	if err != nil {
		return err
	}
	e.Hash = entryHash(e, detail)
	_, err = tx.ExecContext(ctx, l.db.Rebind(`INSERT INTO audit_log
		(id, at_us, actor_kind, actor_id, actor_label, action, model, record_id, address, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.At.UnixMicro(), string(e.ActorKind), e.ActorID, e.ActorLabel, e.Action, e.Model, e.RecordID,
		e.Address, detail, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	return nil
}

// encodeDetail gives the stored form of a detail map: JSON with sorted keys, "{}"
// when empty. The hash covers these exact bytes.
func encodeDetail(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("audit: encode detail: %w", err)
	}
	return string(b), nil
}

// entryHash is SHA-256(prev_hash || canonical encoding of the row). The encoding
// has a version label, fixed-width integers and length-prefixed strings, so no two
// different rows encode alike.
func entryHash(e Entry, detail string) []byte {
	var b bytes.Buffer
	b.WriteString("instanterp/audit v1\x00")
	num := func(n int64) { b.Write(binary.BigEndian.AppendUint64(nil, uint64(n))) }
	str := func(s string) {
		b.Write(binary.AppendUvarint(nil, uint64(len(s))))
		b.WriteString(s)
	}
	num(e.ID)
	num(e.At.UnixMicro())
	str(string(e.ActorKind))
	num(e.ActorID)
	str(e.ActorLabel)
	str(e.Action)
	str(e.Model)
	num(e.RecordID)
	str(e.Address)
	str(detail)
	h := sha256.New()
	h.Write(e.PrevHash)
	h.Write(b.Bytes())
	return h.Sum(nil)
}

// Filter selects entries for List. Zero fields do not filter.
type Filter struct {
	ActorKind ActorKind
	Action    string
	Model     string
	RecordID  int64
	// BeforeID pages backwards: only entries older than this id.
	BeforeID int64
	// Limit caps the result (default and maximum MaxList).
	Limit int
}

const selectColumns = "SELECT id, at_us, actor_kind, actor_id, actor_label, action, model, record_id, address, detail, prev_hash, hash FROM audit_log"

// List returns matching entries, newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	var (
		where []string
		args  []any
	)
	if f.ActorKind != "" {
		where, args = append(where, "actor_kind = ?"), append(args, string(f.ActorKind))
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Model != "" {
		where, args = append(where, "model = ?"), append(args, f.Model)
	}
	if f.RecordID != 0 {
		where, args = append(where, "record_id = ?"), append(args, f.RecordID)
	}
	if f.BeforeID != 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	query := selectColumns
	if len(where) > 0 {
		// Only the fixed fragments above are joined; every value is a bind parameter.
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := l.db.Read.QueryContext(ctx, l.db.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, _, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit log: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}

// scanEntry reads one row and also returns the detail as stored, which is what
// the hash covers.
func scanEntry(rows *sql.Rows) (Entry, string, error) {
	var (
		e      Entry
		atUS   int64
		kind   string
		detail string
	)
	if err := rows.Scan(&e.ID, &atUS, &kind, &e.ActorID, &e.ActorLabel, &e.Action, &e.Model, &e.RecordID,
		&e.Address, &detail, &e.PrevHash, &e.Hash); err != nil {
		return e, "", err
	}
	e.At, e.ActorKind = time.UnixMicro(atUS).UTC(), ActorKind(kind)
	// A detail that no longer parses is left empty here; Verify reports the entry.
	_ = json.Unmarshal([]byte(detail), &e.Detail)
	return e, detail, nil
}

// ErrBroken is wrapped by every *BrokenError.
var ErrBroken = errors.New("audit log chain is broken")

// BrokenError names the first entry at which the chain does not hold.
type BrokenError struct {
	ID     int64 // the entry where verification stopped
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", e.ID, e.Reason)
}

func (e *BrokenError) Unwrap() error { return ErrBroken }

// Verify walks the whole chain in one snapshot, oldest first, and returns how many
// entries it checked and found intact. At the first entry that does not hold (its
// content altered, an entry missing before it, or entries moved) it stops with a
// *BrokenError naming that entry.
func (l *Log) Verify(ctx context.Context) (checked int, err error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if l.db.Engine == store.Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := l.db.Read.BeginTx(ctx, opts)
	if err != nil {
		return 0, fmt.Errorf("verify audit log: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, selectColumns+" ORDER BY id")
	if err != nil {
		return 0, fmt.Errorf("verify audit log: %w", err)
	}
	defer rows.Close()
	prevID, prevHash := int64(0), genesis
	for rows.Next() {
		e, detail, err := scanEntry(rows)
		if err != nil {
			return checked, fmt.Errorf("verify audit log: %w", err)
		}
		switch {
		case e.ID != prevID+1:
			return checked, &BrokenError{ID: e.ID, Reason: fmt.Sprintf("entries missing before it (the previous one is %d)", prevID)}
		case !bytes.Equal(e.PrevHash, prevHash):
			return checked, &BrokenError{ID: e.ID, Reason: fmt.Sprintf("it does not follow entry %d (previous hash differs)", prevID)}
		case !bytes.Equal(entryHash(e, detail), e.Hash):
			return checked, &BrokenError{ID: e.ID, Reason: "its content does not match its hash"}
		}
		prevID, prevHash = e.ID, e.Hash
		checked++
	}
	if err := rows.Err(); err != nil {
		return checked, fmt.Errorf("verify audit log: %w", err)
	}
	return checked, nil
}

// clean makes a field valid UTF-8 without control characters (so a log viewer cannot
// be fooled by forged line breaks) and cuts it to n bytes at a character boundary.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// printable shortens and quotes a rejected name for an error message.
func printable(s string) string {
	return clean(s, 64)
}
