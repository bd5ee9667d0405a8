package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"reflect"
	"strings"

	"modernc.org/sqlite" // its init also registers "sqlite", which sql.Open("sqlite", …) elsewhere relies on
)

// Each SQLite connection keeps up to stmtCacheSize prepared statements, the least
// recently used finalized first, and finalizes more while its statements hold over
// stmtCacheBytes. The ORM's statements take about 4 KiB each and a connection of the
// API's tests used at most 60 of them, but one-shot texts (migrations) filled all 256
// entries of one with 1.7 MB: a server keeps hundreds of connections.
const (
	stmtCacheSize  = 256
	stmtCacheBytes = 1 << 20
)

// sqliteConn is the method set of modernc.org/sqlite's connection: what database/sql
// uses, plus the extensions reached through sql.Conn.Raw (the backup API, hooks,
// status counters). cachingConn forwards every method it does not override, so code
// that type-asserts the driver connection keeps working.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Execer  //nolint:staticcheck // modernc's conn implements it; forwarded
	driver.Queryer //nolint:staticcheck // modernc's conn implements it; forwarded
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	sqlite.DBStatus
	sqlite.FileControl
	sqlite.HookRegisterer
	sqlite.AuthorizerRegisterer
	ColumnInfo(query string) ([]sqlite.ColumnInfo, error)
	IsReadOnly(schema string) (bool, error)
	Serialize() ([]byte, error)
	Deserialize(buf []byte) error
	NewBackup(dstURI string) (*sqlite.Backup, error)
	NewRestore(srcURI string) (*sqlite.Backup, error)
}

// cachedStmtAPI is what a statement prepared by modernc's connection offers.
type cachedStmtAPI interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachingConnector opens SQLite connections that keep their prepared statements.
// database/sql with modernc.org/sqlite otherwise parses, plans and finalizes every
// query text on every call, which was a third of the server's CPU on SQLite.
type cachingConnector struct {
	base     driver.Connector
	size     int
	maxBytes int
}

// newSQLiteConnector returns a connector for dsn whose connections cache up to size
// prepared statements each, holding up to maxBytes of statement memory. It goes
// through modernc's own connector: no sql.Register.
func newSQLiteConnector(dsn string, size, maxBytes int) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite connector: %w", err)
	}
	return &cachingConnector{base: base, size: size, maxBytes: maxBytes}, nil
}

func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(sqliteConn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("sqlite driver connection %T lacks the expected methods", dc)
	}
	return &cachingConn{sqliteConn: sc, max: c.size, maxBytes: c.maxBytes, byText: map[string]*list.Element{}}, nil
}

// Driver returns modernc's driver, as sql.Open("sqlite", …) would report.
func (c *cachingConnector) Driver() driver.Driver { return c.base.Driver() }

// cachingConn serves QueryContext and ExecContext from a bounded LRU of prepared
// statements keyed by SQL text. Like every driver.Conn it is used by one goroutine at
// a time: database/sql holds the connection's lock around each call, Rows.Close
// included, so the cache needs no lock of its own.
type cachingConn struct {
	sqliteConn
	max      int
	maxBytes int
	lru      list.List // of *cachedStmt, most recently used at the front
	byText   map[string]*list.Element
	closed   bool
}

type cachedStmt struct {
	query string
	stmt  cachedStmtAPI
	// busy: Rows read from the statement are open, so it must not be reset or run.
	busy bool
	// evicted: dropped from the cache while busy; finalized when its Rows close.
	evicted bool
}

// cacheable reports whether query can be kept as one prepared statement. modernc
// prepares a text with anything after its first statement (even a blank after the
// semicolon) as a script and parses it again on every run: caching it would gain
// nothing, so any semicolon but a final one disqualifies a text. A semicolon inside a
// literal costs the cache, not correctness.
func cacheable(query string) bool {
	q := strings.TrimSuffix(query, ";")
	return strings.TrimSpace(q) != "" && !strings.Contains(q, ";")
}

// stmtFor returns the cached statement for query, preparing it on a miss. It returns
// nil (and no error) when the text is not cacheable or its statement is busy: the
// caller then runs the query uncached. A statement that fails to prepare is not kept.
func (c *cachingConn) stmtFor(ctx context.Context, query string) (*cachedStmt, error) {
	if c.max <= 0 || !cacheable(query) {
		return nil, nil
	}
	if e, ok := c.byText[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return cs, nil
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(cachedStmtAPI)
	if !ok {
		ds.Close()
		return nil, fmt.Errorf("sqlite driver statement %T lacks the context methods", ds)
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.byText[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.max || c.lru.Len() > 1 && c.stmtBytes() > c.maxBytes {
		c.evict(c.lru.Back())
	}
	return cs, nil
}

// stmtBytes is the memory the connection's prepared statements hold, cached or not.
// It is read on a miss only, next to the far dearer preparation.
func (c *cachingConn) stmtBytes() int {
	used, _, err := c.Status(sqlite.DBStatusStmtUsed, false)
	if err != nil {
		return 0
	}
	return used
}

// evict removes e from the cache and finalizes its statement unless Rows still read it.
// sqlite3_finalize frees the statement whatever it returns: its error is that of the
// statement's last run, already reported to that run's caller.
func (c *cachingConn) evict(e *list.Element) {
	cs := c.lru.Remove(e).(*cachedStmt)
	delete(c.byText, cs.query)
	if cs.busy {
		cs.evicted = true
		return
	}
	_ = cs.stmt.Close()
}

// drop evicts cs if it is still cached: after an error it is prepared afresh next time
// rather than trusted in whatever state the failure left it.
func (c *cachingConn) drop(cs *cachedStmt) {
	if e, ok := c.byText[cs.query]; ok && e.Value == cs {
		c.evict(e)
	}
}

// flush empties the cache, finalizing every statement that no Rows are reading.
func (c *cachingConn) flush() {
	for e := c.lru.Front(); e != nil; e = c.lru.Front() {
		c.evict(e)
	}
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmtFor(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		c.drop(cs)
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, conn: c, stmt: cs}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmtFor(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	res, err := cs.stmt.ExecContext(ctx, args)
	if err != nil {
		c.drop(cs)
		return nil, err
	}
	return res, nil
}

func (c *cachingConn) Query(query string, args []driver.Value) (driver.Rows, error) {
	return c.QueryContext(context.Background(), query, namedValues(args))
}

func (c *cachingConn) Exec(query string, args []driver.Value) (driver.Result, error) {
	return c.ExecContext(context.Background(), query, namedValues(args))
}

func namedValues(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, v := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}

// Close finalizes the cached statements before closing the connection: SQLite keeps a
// connection with unfinalized statements alive as a zombie, memory and all.
func (c *cachingConn) Close() error {
	c.flush()
	c.closed = true
	return c.sqliteConn.Close()
}

// NewRestore and Deserialize replace the database under the connection; its cached
// statements are finalized first rather than left to find a different schema.
func (c *cachingConn) NewRestore(srcURI string) (*sqlite.Backup, error) {
	c.flush()
	return c.sqliteConn.NewRestore(srcURI)
}

func (c *cachingConn) Deserialize(buf []byte) error {
	c.flush()
	return c.sqliteConn.Deserialize(buf)
}

// cachedRows reads a cached statement and hands it back to the cache when closed.
type cachedRows struct {
	driver.Rows
	conn   *cachingConn
	stmt   *cachedStmt
	failed bool
}

func (r *cachedRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err != nil && err != io.EOF {
		r.failed = true
	}
	return err
}

func (r *cachedRows) Close() error {
	cs := r.stmt
	if cs == nil {
		return nil
	}
	r.stmt = nil
	if r.conn.closed {
		// The statement was finalized with its connection; there is nothing to reset.
		return nil
	}
	err := r.Rows.Close()
	cs.busy = false
	switch {
	case cs.evicted:
		_ = cs.stmt.Close()
	case r.failed || err != nil:
		r.conn.drop(cs)
	}
	return err
}

// The column type methods of modernc's rows, forwarded so that sql.Rows.ColumnTypes
// reports the same as without the cache.

func (r *cachedRows) ColumnTypeDatabaseTypeName(index int) string {
	if ct, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return ct.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(index int) (int64, bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return ct.ColumnTypeLength(index)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(index int) (nullable, ok bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return ct.ColumnTypeNullable(index)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(index int) (precision, scale int64, ok bool) {
	if ct, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return ct.ColumnTypePrecisionScale(index)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(index int) reflect.Type {
	if ct, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return ct.ColumnTypeScanType(index)
	}
	return reflect.TypeFor[any]()
}
