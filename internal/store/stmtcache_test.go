package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"modernc.org/sqlite"
)

func testDSN(t testing.TB) string {
	return "file:" + filepath.Join(t.TempDir(), "t.db") + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
}

// openCached opens a one-connection pool caching up to size statements.
func openCached(t testing.TB, dsn string, size int) *sql.DB {
	return openCachedBytes(t, dsn, size, stmtCacheBytes)
}

func openCachedBytes(t testing.TB, dsn string, size, maxBytes int) *sql.DB {
	t.Helper()
	c, err := newSQLiteConnector(dsn, size, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// openPlain opens dsn with modernc's driver as it is, for comparison.
func openPlain(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// inspect runs fn on the caching connection of a one-connection pool.
func inspect(t testing.TB, db *sql.DB, fn func(c *cachingConn)) {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	inspectConn(t, conn, fn)
}

func inspectConn(t testing.TB, conn *sql.Conn, fn func(c *cachingConn)) {
	t.Helper()
	if err := conn.Raw(func(dc any) error {
		c, ok := dc.(*cachingConn)
		if !ok {
			return fmt.Errorf("driver connection is %T", dc)
		}
		fn(c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func cachedTexts(t testing.TB, db *sql.DB) []string {
	var texts []string
	inspect(t, db, func(c *cachingConn) {
		for e := c.lru.Front(); e != nil; e = e.Next() {
			texts = append(texts, e.Value.(*cachedStmt).query)
		}
	})
	return texts
}

func mustExec(t testing.TB, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, query string, args ...any) sql.Result {
	t.Helper()
	res, err := db.ExecContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return res
}

func TestCacheable(t *testing.T) {
	cases := []struct {
		query string
		want  bool
	}{
		{"SELECT 1", true},
		{"SELECT 1;", true},
		{"  SELECT ?  ", true},
		{"SELECT 1; ", false},
		{"SELECT 1;;", false},
		{"CREATE TABLE a (x); CREATE TABLE b (y)", false},
		{"CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; END", false},
		{"SELECT ';'", false},
		{"", false},
		{" ; ", false},
		{";", false},
	}
	for _, c := range cases {
		if got := cacheable(c.query); got != c.want {
			t.Errorf("cacheable(%q) = %v, want %v", c.query, got, c.want)
		}
	}
}

// dump runs query and renders its columns, column types and rows, so that two
// drivers' answers can be compared.
func dump(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		return "error: " + err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "columns %q\n", cols)
	first := true
	for rows.Next() {
		if first {
			// Types are read once a row is current: modernc reports the stored type.
			types, err := rows.ColumnTypes()
			if err != nil {
				t.Fatal(err)
			}
			for _, ct := range types {
				n, nok := ct.Nullable()
				l, lok := ct.Length()
				p, s, pok := ct.DecimalSize()
				fmt.Fprintf(&b, "type %s %s %v/%v %d/%v %d,%d/%v\n", ct.DatabaseTypeName(), ct.ScanType(), n, nok, l, lok, p, s, pok)
			}
			first = false
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "row %#v\n", vals)
	}
	if err := rows.Err(); err != nil {
		fmt.Fprintf(&b, "rows error: %v\n", err)
	}
	return b.String()
}

func TestStmtCacheMatchesDriver(t *testing.T) {
	dsn := testDSN(t)
	plain := openPlain(t, dsn)
	cached := openCached(t, dsn, stmtCacheSize)
	mustExec(t, plain, `CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB,
		born DATETIME, active BOOLEAN, note VARCHAR(10))`)
	mustExec(t, plain, `CREATE INDEX p_name ON p (name)`)

	// Writes through each pool, in turn, must report the same results.
	inserts := []struct {
		args []any
	}{
		{[]any{"ada", 1.5, []byte{0, 1}, "2026-01-02 03:04:05", true, "x"}},
		{[]any{"bob", nil, nil, nil, false, nil}},
		{[]any{"cyd", -2.0, []byte{}, "2026-11-29T08:00:00Z", nil, "yz"}},
		{[]any{"dee", 3, []byte("q"), "junk", 1, ""}},
	}
	const insert = "INSERT INTO p (name, score, data, born, active, note) VALUES (?, ?, ?, ?, ?, ?)"
	for i, in := range inserts {
		db := plain
		if i%2 == 1 {
			db = cached
		}
		res := mustExec(t, db, insert, in.args...)
		id, err := res.LastInsertId()
		if err != nil || id != int64(i+1) {
			t.Fatalf("insert %d: last id %d, %v", i, id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("insert %d: %d rows affected, %v", i, n, err)
		}
	}
	for _, db := range []*sql.DB{plain, cached} {
		res := mustExec(t, db, "UPDATE p SET score = score + ? WHERE score IS NOT NULL", 0)
		if n, _ := res.RowsAffected(); n != 3 {
			t.Fatalf("update: %d rows affected, want 3", n)
		}
	}

	queries := []struct {
		query string
		args  []any
	}{
		{"SELECT * FROM p ORDER BY id", nil},
		{"SELECT id, name FROM p WHERE name = ? LIMIT 1", []any{"bob"}},
		{"SELECT id, name FROM p WHERE name = ? LIMIT 1", []any{"nobody"}},
		{"SELECT name FROM p WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT 80", []any{"%d%"}},
		{"SELECT count(*), sum(score), max(born) FROM p WHERE id > ?", []any{0}},
		{"SELECT :a AS a, @b AS b, $c AS c", []any{sql.Named("a", 1), sql.Named("b", "two"), sql.Named("c", nil)}},
		{"UPDATE p SET note = note WHERE id = ? RETURNING id, note", []any{1}},
		{"SELECT * FROM missing", nil},
		{"SELECT ?", nil},
		{"SELECT 1; SELECT 2", nil},
		{"PRAGMA foreign_keys", nil},
	}
	for _, q := range queries {
		want := dump(t, plain, q.query, q.args...)
		// The first run prepares and caches, the second reuses.
		for run := range 2 {
			if got := dump(t, cached, q.query, q.args...); got != want {
				t.Errorf("%s (run %d):\n got %s\nwant %s", q.query, run, got, want)
			}
		}
	}
}

func TestStmtCacheForwardsDriverMethods(t *testing.T) {
	c, err := sqlite.NewConnector(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := c.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// Every exported method of modernc's connection, database/sql's optional
	// interfaces and the extensions reached through sql.Conn.Raw alike.
	rt, wt := reflect.TypeOf(raw), reflect.TypeFor[*cachingConn]()
	mutex := reflect.TypeFor[*sync.Mutex]()
	for m := range rt.Methods() {
		if _, ok := mutex.MethodByName(m.Name); ok {
			continue // the connection embeds a mutex, which is no driver API
		}
		got, ok := wt.MethodByName(m.Name)
		if !ok {
			t.Errorf("the caching connection lacks %s %v", m.Name, m.Type)
			continue
		}
		// Drop the receivers before comparing.
		if want := m.Type; fmt.Sprint(funcIn(got.Type), funcOut(got.Type)) != fmt.Sprint(funcIn(want), funcOut(want)) {
			t.Errorf("%s: %v, driver has %v", m.Name, got.Type, want)
		}
	}
	if _, ok := raw.(driver.NamedValueChecker); ok {
		t.Error("modernc's connection now checks named values: forward it")
	}
}

func funcIn(ft reflect.Type) []reflect.Type {
	var in []reflect.Type
	for i := 1; i < ft.NumIn(); i++ {
		in = append(in, ft.In(i))
	}
	return in
}

func funcOut(ft reflect.Type) []reflect.Type {
	var out []reflect.Type
	for i := range ft.NumOut() {
		out = append(out, ft.Out(i))
	}
	return out
}

func TestStmtCacheKeepsDSNOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := OpenSQLite(path, SQLiteOptions{Readers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	mustExec(t, db.Write, "CREATE TABLE parent (id INTEGER PRIMARY KEY)")
	mustExec(t, db.Write, "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id))")

	// query_only on the read pool, with the statement cached after the first refusal.
	for range 2 {
		if _, err := db.Read.ExecContext(ctx, "INSERT INTO parent (id) VALUES (?)", 1); err == nil {
			t.Fatal("the read pool accepted a write")
		}
	}
	// foreign_keys on the write pool, twice through the same cached statement.
	for range 2 {
		if _, err := db.Write.ExecContext(ctx, "INSERT INTO child (parent) VALUES (?)", 42); err == nil {
			t.Fatal("a dangling foreign key was accepted")
		}
	}

	// _txlock=immediate: BEGIN takes the write lock, so another connection cannot
	// write before the transaction has run a statement.
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	other := openPlain(t, "file:"+path+"?_pragma=busy_timeout(0)")
	if _, err := other.ExecContext(ctx, "INSERT INTO parent (id) VALUES (2)"); err == nil {
		t.Fatal("another connection wrote while an immediate transaction was open")
	} else if !strings.Contains(err.Error(), "locked") && !strings.Contains(err.Error(), "busy") {
		t.Fatalf("write beside the transaction: %v, want a busy error", err)
	}
}

func TestStmtCacheBusyStatement(t *testing.T) {
	ctx := context.Background()
	db := openCached(t, testDSN(t), stmtCacheSize)
	mustExec(t, db, "CREATE TABLE n (v INTEGER)")
	for i := range 5 {
		mustExec(t, db, "INSERT INTO n VALUES (?)", i)
	}
	queries := []struct {
		query string
		args  []any
	}{
		{"SELECT v FROM n ORDER BY v", nil},
		{"SELECT v FROM n WHERE v >= ? ORDER BY v", []any{0}},
	}
	for _, q := range queries {
		t.Run("nested "+q.query, func(t *testing.T) {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			outer, err := tx.QueryContext(ctx, q.query, q.args...)
			if err != nil {
				t.Fatal(err)
			}
			var seen []int
			for outer.Next() {
				var v int
				if err := outer.Scan(&v); err != nil {
					t.Fatal(err)
				}
				if seen = append(seen, v); len(seen) > 5 {
					t.Fatalf("outer iteration runs on: %v", seen)
				}
				inner, err := tx.QueryContext(ctx, q.query, q.args...)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for inner.Next() && n <= 5 {
					n++
				}
				if err := errors.Join(inner.Err(), inner.Close()); err != nil || n != 5 {
					t.Fatalf("inner iteration: %d rows, %v", n, err)
				}
			}
			if err := errors.Join(outer.Err(), outer.Close()); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(seen) != "[0 1 2 3 4]" {
				t.Fatalf("outer iteration saw %v", seen)
			}
		})
	}

	t.Run("open rows while the text runs again", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		const q = "SELECT v FROM n WHERE v >= ? ORDER BY v"
		open, err := conn.QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer open.Close()
		if !open.Next() {
			t.Fatal("no first row")
		}
		var last int
		if err := conn.QueryRowContext(ctx, q, 3).Scan(&last); err != nil || last != 3 {
			t.Fatalf("same text beside open rows: %d, %v", last, err)
		}
		if _, err := conn.ExecContext(ctx, q, 0); err != nil {
			t.Fatalf("exec beside open rows: %v", err)
		}
		var got []int
		for ok := true; ok; ok = open.Next() {
			var v int
			if err := open.Scan(&v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if err := errors.Join(open.Err(), open.Close()); err != nil || fmt.Sprint(got) != "[1 2 3 4]" {
			t.Fatalf("open rows read %v, %v", got, err)
		}
	})
}

func TestStmtCacheMultiStatement(t *testing.T) {
	ctx := context.Background()
	db := openCached(t, testDSN(t), stmtCacheSize)
	script := "CREATE TABLE IF NOT EXISTS a (x); CREATE TABLE IF NOT EXISTS b (y); INSERT INTO b VALUES (1)"
	for range 2 {
		mustExec(t, db, script)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM a, b WHERE 1;").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after the script: %d, %v", n, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM b").Scan(&n); err != nil || n != 2 {
		t.Fatalf("the script ran its insert %d times, %v; want 2", n, err)
	}
	// The trailing-semicolon text is one statement and cached; the script is not.
	texts := cachedTexts(t, db)
	for _, q := range texts {
		if q == script {
			t.Errorf("the script was cached")
		}
	}
	if len(texts) != 2 {
		t.Errorf("cached %q, want the two single statements", texts)
	}
}

func TestStmtCacheSchemaChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := OpenSQLite(path, SQLiteOptions{Readers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	mustExec(t, db.Write, "CREATE TABLE s (a INTEGER, b TEXT)")
	mustExec(t, db.Write, "INSERT INTO s VALUES (1, 'one')")
	const q = "SELECT * FROM s"
	for _, pool := range []*sql.DB{db.Write, db.Read} {
		if got := dump(t, pool, q); !strings.Contains(got, `columns ["a" "b"]`) {
			t.Fatalf("before ALTER: %s", got)
		}
	}
	mustExec(t, db.Write, "ALTER TABLE s ADD COLUMN c TEXT DEFAULT 'new'")
	for _, pool := range []*sql.DB{db.Write, db.Read} {
		if got := dump(t, pool, q); !strings.Contains(got, `columns ["a" "b" "c"]`) || !strings.Contains(got, `"new"`) {
			t.Fatalf("after ALTER: %s", got)
		}
	}
	mustExec(t, db.Write, "DROP TABLE s")
	for _, pool := range []*sql.DB{db.Write, db.Read} {
		if _, err := pool.QueryContext(ctx, q); err == nil || !strings.Contains(err.Error(), "no such table") {
			t.Fatalf("after DROP: %v", err)
		}
	}
	mustExec(t, db.Write, "CREATE TABLE s (z INTEGER)")
	mustExec(t, db.Write, "INSERT INTO s VALUES (7)")
	for _, pool := range []*sql.DB{db.Write, db.Read} {
		if got := dump(t, pool, q); !strings.Contains(got, `columns ["z"]`) || !strings.Contains(got, "7") {
			t.Fatalf("after re-CREATE: %s", got)
		}
	}
}

func TestStmtCacheErrors(t *testing.T) {
	ctx := context.Background()
	db := openCached(t, testDSN(t), stmtCacheSize)
	mustExec(t, db, "CREATE TABLE u (k TEXT PRIMARY KEY)")
	const insert = "INSERT INTO u VALUES (?)"
	mustExec(t, db, insert, "a")

	t.Run("bad SQL is not cached", func(t *testing.T) {
		before := cachedTexts(t, db)
		for _, q := range []string{"SELEC 1", "SELECT * FROM nowhere", "INSERT INTO u VALUES (?, ?)"} {
			if _, err := db.ExecContext(ctx, q, 1, 2); err == nil {
				t.Fatalf("%s: no error", q)
			}
			if _, err := db.QueryContext(ctx, q); err == nil {
				t.Fatalf("%s: no error", q)
			}
		}
		if after := cachedTexts(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("cache %q became %q", before, after)
		}
	})

	t.Run("constraint violation", func(t *testing.T) {
		for range 2 {
			_, err := db.ExecContext(ctx, insert, "a")
			if !IsUniqueViolation(err) {
				t.Fatalf("duplicate: %v", err)
			}
			// The statement is prepared afresh rather than trusted after a failure.
			if slices.Contains(cachedTexts(t, db), insert) {
				t.Fatal("the failed statement stayed cached")
			}
		}
		mustExec(t, db, insert, "b")
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM u").Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d rows, %v", n, err)
		}
	})

	// A query counting to a number it never reaches before it is interrupted.
	const long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x FROM c"
	t.Run("cancelled mid-query", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		qctx, cancel := context.WithCancel(ctx)
		defer cancel()
		rows, err := conn.QueryContext(qctx, long, int64(1)<<62)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			if n++; n == 100 {
				cancel()
			}
		}
		if err := rows.Err(); !errors.Is(err, context.Canceled) && (err == nil || !strings.Contains(err.Error(), "interrupt")) {
			t.Fatalf("after cancel: %v", err)
		}
		rows.Close()
		// The same text, on the same connection, runs to completion.
		var count int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM ("+long+")", 1000).Scan(&count); err != nil || count != 1000 {
			t.Fatalf("count after cancel: %d, %v", count, err)
		}
		rows, err = conn.QueryContext(ctx, long, 10)
		if err != nil {
			t.Fatal(err)
		}
		n = 0
		for rows.Next() {
			n++
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil || n != 10 {
			t.Fatalf("rerun after cancel: %d rows, %v", n, err)
		}
	})

	t.Run("cancelled before running", func(t *testing.T) {
		done, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := db.ExecContext(done, insert, "c"); !errors.Is(err, context.Canceled) {
			t.Fatalf("exec with a cancelled context: %v", err)
		}
		mustExec(t, db, insert, "c")
	})
}

func TestStmtCacheEvicts(t *testing.T) {
	ctx := context.Background()
	db := openCached(t, testDSN(t), 2)
	mustExec(t, db, "CREATE TABLE e (v INTEGER)")
	mustExec(t, db, "INSERT INTO e VALUES (1), (2), (3)")
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stmtMemory := func() int {
		var cur int
		inspectConn(t, conn, func(c *cachingConn) {
			var err error
			if cur, _, err = c.Status(sqlite.DBStatusStmtUsed, false); err != nil {
				t.Fatal(err)
			}
		})
		return cur
	}
	query := func(i int) string { return fmt.Sprintf("SELECT v + %d FROM e WHERE v > ? ORDER BY v", i) }
	run := func(from, to int) {
		for i := from; i < to; i++ {
			var v int
			if err := conn.QueryRowContext(ctx, query(i), 0).Scan(&v); err != nil || v != i+1 {
				t.Fatalf("%s: %d, %v", query(i), v, err)
			}
		}
	}

	// Rows left open on the first text while others push it out of the cache.
	open, err := conn.QueryContext(ctx, query(1000), 0)
	if err != nil {
		t.Fatal(err)
	}
	run(0, 10)
	inspectConn(t, conn, func(c *cachingConn) {
		if c.lru.Len() != 2 || len(c.byText) != 2 {
			t.Fatalf("%d statements cached, %d by text; want 2", c.lru.Len(), len(c.byText))
		}
		if c.lru.Front().Value.(*cachedStmt).query != query(9) || c.lru.Back().Value.(*cachedStmt).query != query(8) {
			t.Fatalf("the cache does not hold the two most recent texts")
		}
	})
	withOpen := stmtMemory()
	var got []int
	for open.Next() {
		var v int
		if err := open.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := errors.Join(open.Err(), open.Close()); err != nil || fmt.Sprint(got) != "[1001 1002 1003]" {
		t.Fatalf("rows of the evicted statement: %v, %v", got, err)
	}
	two := stmtMemory()
	if two >= withOpen {
		t.Fatalf("statement memory %d after closing the evicted statement's rows, %d before", two, withOpen)
	}
	// Many more texts: the memory stays that of two statements.
	run(10, 60)
	if many := stmtMemory(); many > two*3/2 {
		t.Fatalf("statement memory %d after 60 texts, %d with two cached", many, two)
	}
	inspectConn(t, conn, func(c *cachingConn) { c.flush() })
	if left := stmtMemory(); left != 0 {
		t.Fatalf("statement memory %d after finalizing the cache", left)
	}
}

// closeProbe records how much memory the connection's statements hold when it closes.
type closeProbe struct {
	sqliteConn
	atClose int
}

func (p *closeProbe) Close() error {
	var err error
	if p.atClose, _, err = p.Status(sqlite.DBStatusStmtUsed, false); err != nil {
		return err
	}
	return p.sqliteConn.Close()
}

func TestStmtCacheFinalizesOnClose(t *testing.T) {
	ctx := context.Background()
	c, err := newSQLiteConnector(testDSN(t), stmtCacheSize, stmtCacheBytes)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cc := dc.(*cachingConn)
	probe := &closeProbe{sqliteConn: cc.sqliteConn}
	cc.sqliteConn = probe
	for _, q := range []string{"CREATE TABLE f (v)", "INSERT INTO f VALUES (1)", "SELECT v FROM f"} {
		rows, err := cc.QueryContext(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if used, _, err := probe.Status(sqlite.DBStatusStmtUsed, false); err != nil || used == 0 || cc.lru.Len() != 3 {
		t.Fatalf("%d statements cached in %d bytes, %v", cc.lru.Len(), used, err)
	}
	if err := cc.Close(); err != nil {
		t.Fatal(err)
	}
	if probe.atClose != 0 {
		t.Fatalf("statements held %d bytes when the connection closed", probe.atClose)
	}
}

func TestStmtCacheByteBound(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	mustExec(t, openPlain(t, dsn), "CREATE TABLE e (v INTEGER)")
	query := func(i int) string { return fmt.Sprintf("SELECT v + %d FROM e WHERE v > ? ORDER BY v", i) }
	// usage runs texts from to to on a fresh connection bounded to maxBytes and
	// reports the statements cached and the memory they hold.
	usage := func(maxBytes, to int) (n, used int) {
		db := openCachedBytes(t, dsn, stmtCacheSize, maxBytes)
		for i := range to {
			if _, err := db.ExecContext(ctx, query(i), 0); err != nil {
				t.Fatal(err)
			}
		}
		inspect(t, db, func(c *cachingConn) { n, used = c.lru.Len(), c.stmtBytes() })
		return n, used
	}
	n, three := usage(stmtCacheBytes, 3)
	if n != 3 || three == 0 {
		t.Fatalf("%d statements in %d bytes, want 3", n, three)
	}
	n, used := usage(three, 50)
	if n < 2 || n > 3 || used > three {
		t.Fatalf("bounded to %d bytes: %d statements in %d bytes", three, n, used)
	}
}
