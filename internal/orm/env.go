package orm

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

// Querier is what an Env needs from a transaction; *sql.Tx satisfies it.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Identity is who an Env acts for. GroupIDs must already include implied groups.
type Identity struct {
	UID        int64
	PartnerID  int64
	CompanyID  int64
	CompanyIDs []int64
	GroupIDs   []int64
	Lang       string
	TZ         string
}

// Env is one user's view of the database inside one transaction. Every operation
// checks access rights, record rules and field groups, unless the Env came from
// Sudo. An Env is not safe for concurrent use (neither is its transaction).
type Env struct {
	reg   *Registry
	d     dialect
	rb    *store.DB   // only for Rebind
	tx    *countingTx // shared with Sudo copies, like sp
	id    Identity
	su    bool
	cache *accessCache
	sp    *int // savepoint counter shared with Sudo copies
	trk   *tracking

	clock     func() time.Time
	filestore *Filestore
	location  *time.Location // the user's time zone, resolved on first use
}

// EnvOption configures an Env at creation.
type EnvOption func(*Env)

// WithClock makes the Env read the time from clock: create and write dates,
// the today and now of record rules, and now() and today() in default
// expressions. Without it the Env reads the system clock.
func WithClock(clock func() time.Time) EnvOption {
	return func(e *Env) {
		if clock != nil {
			e.clock = clock
		}
	}
}

// WithFilestore gives the Env the tenant's filestore, where binary fields and
// attachments keep their content. The directory comes from the tenant catalogue
// (tenancy.Storage.FilestoreDir), never from a request. Without it, reading or
// writing a binary value fails with a clear error.
func WithFilestore(fs *Filestore) EnvOption {
	return func(e *Env) { e.filestore = fs }
}

// NewEnv returns an Env for id over tx. The registry must be frozen.
func (r *Registry) NewEnv(tx Querier, engine store.Engine, id Identity, opts ...EnvOption) (*Env, error) {
	if !r.frozen {
		return nil, fmt.Errorf("new env: the registry is not frozen")
	}
	if engine != store.SQLite && engine != store.Postgres {
		return nil, fmt.Errorf("new env: unknown engine %q", engine)
	}
	id.CompanyIDs = append([]int64(nil), id.CompanyIDs...)
	id.GroupIDs = append([]int64(nil), id.GroupIDs...)
	e := &Env{
		reg: r, d: dialect{engine: engine}, rb: &store.DB{Engine: engine}, tx: &countingTx{q: tx}, id: id,
		cache: newAccessCache(), sp: new(int), trk: &tracking{}, clock: time.Now,
	}
	for _, o := range opts {
		o(e)
	}
	return e, nil
}

// Now returns the current time of the Env's clock, in UTC.
func (e *Env) Now() time.Time { return e.clock().UTC() }

// nowString is Now in the layout datetime columns store.
func (e *Env) nowString() string { return e.Now().Format(DatetimeLayout) }

// Location returns the user's time zone (UTC when unset or unknown).
func (e *Env) Location() *time.Location {
	if e.location == nil {
		e.location = time.UTC
		if e.id.TZ != "" {
			if loc, err := time.LoadLocation(e.id.TZ); err == nil {
				e.location = loc
			}
		}
	}
	return e.location
}

// Filestore returns the tenant's filestore, or nil when none was given.
func (e *Env) Filestore() *Filestore { return e.filestore }

// Sudo returns an Env for the same user and transaction that bypasses access
// rights, record rules and field groups. Use it only where the code itself has
// established that the access is legitimate.
func (e *Env) Sudo() *Env {
	c := *e
	c.su = true
	return &c
}

// IsSuperuser reports whether e bypasses access control.
func (e *Env) IsSuperuser() bool { return e.su }

// Identity returns who e acts for.
func (e *Env) Identity() Identity {
	id := e.id
	id.CompanyIDs = append([]int64(nil), id.CompanyIDs...)
	id.GroupIDs = append([]int64(nil), id.GroupIDs...)
	return id
}

// UID returns the user id (0 for the system).
func (e *Env) UID() int64 { return e.id.UID }

// Registry returns the registry e works with.
func (e *Env) Registry() *Registry { return e.reg }

// Engine returns the database engine.
func (e *Env) Engine() store.Engine { return e.d.engine }

// Tx returns the transaction, for code that needs SQL the ORM does not offer.
// Such code must not put values into the query text.
func (e *Env) Tx() Querier { return e.tx }

// Statements returns how many SQL statements the Env and its Sudo copies have
// sent so far, those of code using Tx included: tests and benchmarks use it to
// hold the number of queries an operation costs.
func (e *Env) Statements() int { return e.tx.n }

// countingTx passes statements to the transaction and counts them. An Env is
// used by one goroutine at a time, so the count needs no lock.
type countingTx struct {
	q Querier
	n int
}

func (c *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.n++
	return c.q.ExecContext(ctx, query, args...)
}

func (c *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.n++
	return c.q.QueryContext(ctx, query, args...)
}

func (c *countingTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c.n++
	return c.q.QueryRowContext(ctx, query, args...)
}

func (e *Env) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	rows, err := e.tx.QueryContext(ctx, e.rb.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return rows, nil
}

func (e *Env) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return e.tx.ExecContext(ctx, e.rb.Rebind(q), args...)
}

// queryIDs runs a query returning one id column.
func (e *Env) queryIDs(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan id: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ids: %w", err)
	}
	return ids, nil
}

// atomically runs fn inside a savepoint: if fn fails, everything it did is undone
// and the transaction stays usable, so a refused operation changes nothing.
func (e *Env) atomically(ctx context.Context, fn func() error) error {
	*e.sp++
	name := fmt.Sprintf("orm_sp_%d", *e.sp)
	if _, err := e.exec(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rbErr := e.exec(ctx, "ROLLBACK TO SAVEPOINT "+name); rbErr != nil {
			return fmt.Errorf("%w (and rolling back failed: %v)", err, rbErr)
		}
		_, _ = e.exec(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	if _, err := e.exec(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// atomicallyUnlessNested runs the fn of a create or a write inside a savepoint
// (atomically), unless the operation is nested (depth > 0) in the x2many
// commands of another one, or stores that one's binaries: its error then fails
// the enclosing operation, whose savepoint undoes both, so one savepoint is
// enough. Operations started by module code (depth 0) keep their own, since
// the caller may go on after their failure.
func (e *Env) atomicallyUnlessNested(ctx context.Context, depth int, fn func() error) error {
	if depth > 0 {
		return fn()
	}
	return e.atomically(ctx, fn)
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// idsIn renders col IN (?, …) for ids, with its arguments, bracketed by the
// smallest and largest id. The range changes no result; it tells a planner
// without statistics (rows inserted earlier in the same transaction) that few
// rows match, so PostgreSQL fetches them by primary key instead of comparing
// every row of the table with the whole list — quadratic over a bulk load.
func idsIn(col string, ids []int64) (string, []any) {
	lo, hi := ids[0], ids[0]
	for _, id := range ids {
		lo, hi = min(lo, id), max(hi, id)
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, lo, hi)
	args = append(args, int64Args(ids)...)
	return "(" + col + " BETWEEN ? AND ? AND " + col + " IN (" + placeholders(len(ids)) + "))", args
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// uniqueIDs drops duplicates and refuses non-positive ids, keeping order.
func uniqueIDs(model string, ids []int64) ([]int64, error) {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return nil, validationf(model, "", "record ids are positive integers, got %d", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func (e *Env) uidParam() any {
	if e.id.UID == 0 {
		return nil
	}
	return e.id.UID
}
