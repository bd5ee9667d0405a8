package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Download links of exports.
const (
	DownloadLifetime = 24 * time.Hour
	DownloadUses     = 3
)

// Export is a portable copy of a tenant's data for its owner: a .tar.gz
// that opens without this platform, holding the database in an open format
// (the SQLite file, or PostgreSQL's plain SQL dump), the filestore, and one
// CSV file per table.
type Export struct {
	ID      string    `json:"id"`
	Tenant  string    `json:"tenant"`
	File    string    `json:"file"`
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Token is the signed download token (scope backup-download), served at
	// https://<tenant>.<domain>/backup/download/<token>.
	Token string `json:"token,omitempty"`
}

func (s *Service) exportDir(tenant string) string {
	return filepath.Join(s.cfg.DataDir, "exports", tenant)
}

// Export writes an export of tenant and records it with DownloadUses uses
// left; withLink also signs a download token with the tenant's secret.
func (s *Service) Export(ctx context.Context, tenant string, withLink bool) (Export, error) {
	t, err := s.cfg.Catalogue.Get(ctx, tenant)
	if err != nil {
		return Export{}, err
	}
	created := s.now()
	id, err := newID(created, archive.KindFull)
	if err != nil {
		return Export{}, err
	}
	work, err := s.newWorkDir("export-" + id)
	if err != nil {
		return Export{}, err
	}
	defer os.RemoveAll(work)
	if err := os.MkdirAll(s.exportDir(t.Name), 0o700); err != nil {
		return Export{}, fmt.Errorf("export: %w", err)
	}
	final := filepath.Join(s.exportDir(t.Name), t.Name+"-"+id+".tar.gz")
	f, err := os.OpenFile(final+".partial", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Export{}, fmt.Errorf("export: %w", err)
	}
	h := sha256.New()
	counter := &countingWriter{w: io.MultiWriter(f, h)}
	err = s.writeExport(ctx, t, work, counter)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(final+".partial", final)
	}
	if err != nil {
		os.Remove(final + ".partial")
		return Export{}, fmt.Errorf("export tenant %q: %w", t.Name, err)
	}
	ex := Export{ID: id, Tenant: t.Name, File: final, Size: counter.n, SHA256: hex.EncodeToString(h.Sum(nil)),
		Created: created, Expires: created.Add(DownloadLifetime)}
	_, err = s.cfg.Control.Write.ExecContext(ctx, s.cfg.Control.Rebind(
		"INSERT INTO backup_export (id, tenant, tenant_id, file, size, sha256, created_at, expires_at, uses_left) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		ex.ID, ex.Tenant, t.ID, ex.File, ex.Size, ex.SHA256, ex.Created, ex.Expires, DownloadUses)
	if err != nil {
		os.Remove(final)
		return Export{}, fmt.Errorf("record export: %w", err)
	}
	if withLink {
		if ex.Token, err = s.signDownload(ctx, t, ex); err != nil {
			return ex, err
		}
	}
	return ex, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (s *Service) writeExport(ctx context.Context, t tenancy.Tenant, work string, w io.Writer) error {
	snap, err := s.takeSnapshot(ctx, t, archive.KindFull, work, toFile)
	if err != nil {
		return err
	}
	defer snap.release()
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, m := range snap.members {
		name := m.Name
		open := m.Open
		size := m.Size
		if m.Name == memberPGDump {
			// Customers get plain SQL, readable by any PostgreSQL.
			sqlPath := filepath.Join(work, "dump.sql")
			if err := s.pgDumpToSQL(ctx, t, filepath.Join(work, "tenant.pgdump"), sqlPath); err != nil {
				return err
			}
			src, err := archive.FileSource("database/dump.sql", sqlPath)
			if err != nil {
				return err
			}
			name, open, size = src.Name, src.Open, src.Size
		}
		if err := addTarFile(tw, name, size, open); err != nil {
			return err
		}
	}
	csvDir := filepath.Join(work, "csv")
	if err := os.Mkdir(csvDir, 0o700); err != nil {
		return err
	}
	tables, err := s.exportCSV(ctx, t, work, csvDir)
	if err != nil {
		return err
	}
	for _, table := range tables {
		src, err := archive.FileSource("csv/"+table+".csv", filepath.Join(csvDir, table+".csv"))
		if err != nil {
			return err
		}
		if err := addTarFile(tw, src.Name, src.Size, src.Open); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func addTarFile(tw *tar.Writer, name string, size int64, open func() (io.ReadCloser, error)) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: time.Now()}); err != nil {
		return err
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.CopyN(tw, rc, size); err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	return nil
}

func (s *Service) pgDumpToSQL(ctx context.Context, t tenancy.Tenant, dump, out string) error {
	db, err := s.cfg.Storage.Open(ctx, t, 1)
	if err != nil {
		return err
	}
	tool, err := s.checkedPGTool(ctx, "pg_restore", db)
	db.Close()
	if err != nil {
		return err
	}
	return runPG(ctx, tool, "", nil, nil, "--no-owner", "--no-privileges", "--file="+out, dump)
}

// exportCSV writes one CSV per table: from the snapshot file on SQLite, from
// a read-only snapshot transaction on PostgreSQL.
func (s *Service) exportCSV(ctx context.Context, t tenancy.Tenant, work, dir string) ([]string, error) {
	var q queryer
	switch t.Engine {
	case store.SQLite:
		db, err := sql.Open("sqlite", "file:"+filepath.Join(work, "tenant.db")+"?mode=ro&_pragma=query_only(1)")
		if err != nil {
			return nil, err
		}
		defer db.Close()
		q = db
	case store.Postgres:
		db, err := s.cfg.Storage.Open(ctx, t, 1)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		tx, err := db.Read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		q = tx
	}
	var tables []string
	var err error
	if t.Engine == store.SQLite {
		tables, err = listTables(ctx, q, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
	} else {
		tables, err = listTables(ctx, q, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
	}
	if err != nil {
		return nil, err
	}
	for _, table := range tables {
		if err := writeCSV(ctx, q, table, filepath.Join(dir, table+".csv")); err != nil {
			return nil, fmt.Errorf("export %s as CSV: %w", table, err)
		}
	}
	return tables, nil
}

func listTables(ctx context.Context, q queryer, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		if !tableNamePattern.MatchString(name) {
			return nil, fmt.Errorf("table name %q is not one this platform creates", printable(name))
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

func writeCSV(ctx context.Context, q queryer, table, path string) error {
	rows, err := q.QueryContext(ctx, "SELECT * FROM "+store.QuoteIdent(table))
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	if err := w.Write(cols); err != nil {
		return err
	}
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	record := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range values {
			record[i] = csvValue(v)
		}
		if err := w.Write(record); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Close()
}

func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return "\\x" + hex.EncodeToString(x)
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// downloadBinding ties a download token to one export of one tenant.
func downloadBinding(ex Export) []byte { return token.Bind("backup-export", ex.Tenant, ex.ID) }

func (s *Service) signDownload(ctx context.Context, t tenancy.Tenant, ex Export) (string, error) {
	db, err := s.cfg.Storage.Open(ctx, t, 1)
	if err != nil {
		return "", err
	}
	defer db.Close()
	signer, err := token.LoadSigner(ctx, db, s.cfg.Now)
	if err != nil {
		return "", err
	}
	return signer.Sign(token.ScopeBackupDownload, []byte(ex.ID), downloadBinding(ex), ex.Expires)
}

// ErrDownloadUsedUp means an export's link has no uses left or expired.
var ErrDownloadUsedUp = errors.New("this download link has expired or has been used up")

// Download is an export opened for serving: Body reads the file the export
// was recorded with, and one use of its link has been taken. The caller
// closes Body.
type Download struct {
	Export
	Body *os.File
}

// RedeemDownload checks a download token presented to tenant's site, opens
// the export it names and only then takes one of its uses, so a link is
// never spent on a file that cannot be served. db is the tenant's database,
// which holds the secret the link was signed with; the caller already has it
// open. The web handler must only call it for a signed-in administrator of
// the tenant, and write each use to the tenant's audit log.
func (s *Service) RedeemDownload(ctx context.Context, db *store.DB, tenant, tok string) (*Download, error) {
	t, err := s.cfg.Catalogue.Get(ctx, tenant)
	if err != nil {
		return nil, err
	}
	signer, err := token.LoadSigner(ctx, db, s.cfg.Now)
	if err != nil {
		return nil, err
	}
	// The export id is inside the signed token; read it, load the export,
	// then verify against its binding.
	unverified, err := peekPayload(tok)
	if err != nil {
		return nil, token.ErrInvalid
	}
	var ex Export
	var tenantID, usesLeft int64
	err = s.cfg.Control.Read.QueryRowContext(ctx, s.cfg.Control.Rebind(
		"SELECT id, tenant, tenant_id, file, size, sha256, created_at, expires_at, uses_left FROM backup_export WHERE id = ? AND tenant = ?"),
		string(unverified), t.Name).Scan(&ex.ID, &ex.Tenant, &tenantID, &ex.File, &ex.Size, &ex.SHA256, &ex.Created, &ex.Expires, &usesLeft)
	if err != nil || tenantID != t.ID {
		return nil, token.ErrInvalid
	}
	if _, err := signer.Verify(token.ScopeBackupDownload, tok, downloadBinding(ex)); err != nil {
		return nil, err
	}
	// A spent link is refused as such even once its file is gone; the use
	// itself is taken below, atomically, after the file is open.
	if usesLeft <= 0 || !s.now().Before(ex.Expires) {
		return nil, ErrDownloadUsedUp
	}
	body, err := openExportFile(ex)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Control.Write.ExecContext(ctx, s.cfg.Control.Rebind(
		"UPDATE backup_export SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0 AND expires_at > ?"), ex.ID, s.now())
	if err != nil {
		body.Close()
		return nil, fmt.Errorf("take a download use of export %s: %w", ex.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		body.Close()
		return nil, ErrDownloadUsedUp
	}
	return &Download{Export: ex, Body: body}, nil
}

// openExportFile opens the file recorded for ex and checks it is still the
// size that was recorded. The path comes from the platform's own record,
// never from the request.
func openExportFile(ex Export) (*os.File, error) {
	f, err := os.Open(ex.File)
	if err != nil {
		return nil, fmt.Errorf("open the file of export %s: %w", ex.ID, err)
	}
	st, err := f.Stat()
	if err == nil && (!st.Mode().IsRegular() || st.Size() != ex.Size) {
		err = fmt.Errorf("%s is not the %d-byte file that was recorded", ex.File, ex.Size)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open the file of export %s: %w", ex.ID, err)
	}
	return f, nil
}
