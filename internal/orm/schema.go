package orm

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/instant-erp/instanterp/internal/store"
)

// migrateLockKey serialises schema upgrades of one PostgreSQL database across nodes.
const migrateLockKey = 7314159265

// Migrate creates the tables, columns, foreign keys, indexes and relation tables
// of every model, and upgrades an existing database additively: missing tables,
// columns and indexes are added; nothing is dropped or altered. It also records
// every model in ir_model. The registry must be frozen.
func (r *Registry) Migrate(ctx context.Context, db *store.DB) error {
	if !r.frozen {
		return fmt.Errorf("migrate: freeze the registry first")
	}
	d := dialect{engine: db.Engine}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if d.postgres() {
			if _, err := tx.ExecContext(ctx, db.Rebind("SELECT pg_advisory_xact_lock(?)"), int64(migrateLockKey)); err != nil {
				return fmt.Errorf("lock schema: %w", err)
			}
		}
		s := &schemaMigrator{reg: r, d: d, db: db, tx: tx}
		return s.run(ctx)
	})
}

type schemaMigrator struct {
	reg *Registry
	d   dialect
	db  *store.DB
	tx  *sql.Tx
	// pending holds DDL statements (without arguments) not sent yet: PostgreSQL
	// takes them as one script, a round trip instead of one per statement,
	// which is most of the time a new tenant's schema takes.
	pending []string
}

func (s *schemaMigrator) exec(ctx context.Context, query string, args ...any) error {
	if len(args) == 0 && s.d.postgres() {
		s.pending = append(s.pending, query)
		return nil
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	if _, err := s.tx.ExecContext(ctx, s.db.Rebind(query), args...); err != nil {
		return fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return nil
}

// flush sends the pending statements; the schema is read only after it.
func (s *schemaMigrator) flush(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	script := strings.Join(s.pending, ";\n")
	first := s.pending[0]
	s.pending = nil
	// Without arguments the driver uses the simple protocol, which runs a
	// script of several statements.
	if _, err := s.tx.ExecContext(ctx, script); err != nil {
		return fmt.Errorf("schema statements from %s: %w", firstLine(first), err)
	}
	return nil
}

func firstLine(q string) string {
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	return clip(q)
}

func (s *schemaMigrator) run(ctx context.Context) error {
	tables, err := s.existingTables(ctx)
	if err != nil {
		return err
	}
	models := s.reg.Models()
	created := map[string]bool{}
	for _, m := range models {
		if tables[m.Table] {
			if err := s.addMissingColumns(ctx, m); err != nil {
				return err
			}
			continue
		}
		if err := s.createTable(ctx, m); err != nil {
			return err
		}
		created[m.Table] = true
	}
	if s.d.postgres() {
		for _, m := range models {
			if err := s.addForeignKeys(ctx, m, created[m.Table]); err != nil {
				return err
			}
		}
	}
	for _, m := range models {
		if err := s.createRelationTables(ctx, m, tables); err != nil {
			return err
		}
		if err := s.createIndexes(ctx, m); err != nil {
			return err
		}
	}
	if err := s.syncModelCatalogue(ctx, models); err != nil {
		return err
	}
	return s.flush(ctx)
}

func (s *schemaMigrator) existingTables(ctx context.Context) (map[string]bool, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if s.d.postgres() {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	return s.names(ctx, q)
}

func (s *schemaMigrator) names(ctx context.Context, q string, args ...any) (map[string]bool, error) {
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := s.tx.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("inspect schema: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("inspect schema: %w", err)
		}
		out[name] = true
	}
	return out, rows.Err()
}

// columnDef renders a column; SQLite declares the foreign key inline, since it
// cannot add one later.
func (s *schemaMigrator) columnDef(f *Field, creating bool) string {
	def := quote(f.Name) + " " + s.d.columnType(f)
	if creating && f.Required && !f.automatic {
		def += " NOT NULL"
	}
	if f.Type == Many2one && !s.d.postgres() {
		def += fmt.Sprintf(` REFERENCES %s("id") ON DELETE %s`, quote(s.reg.models[f.Comodel].Table), onDeleteSQL(f.OnDelete))
	}
	return def
}

func onDeleteSQL(o OnDelete) string {
	switch o {
	case Cascade:
		return "CASCADE"
	case Restrict:
		return "RESTRICT"
	default:
		return "SET NULL"
	}
}

func (s *schemaMigrator) createTable(ctx context.Context, m *Model) error {
	cols := []string{s.d.idColumn()}
	for _, f := range m.Fields {
		if f.Name == "id" || !f.IsStored() {
			continue
		}
		cols = append(cols, s.columnDef(f, true))
	}
	q := fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", quote(m.Table), strings.Join(cols, ",\n  "))
	if err := s.exec(ctx, q); err != nil {
		return fmt.Errorf("create table for %s: %w", m.Name, err)
	}
	return nil
}

func (s *schemaMigrator) addMissingColumns(ctx context.Context, m *Model) error {
	q := `SELECT name FROM pragma_table_info(?)`
	if s.d.postgres() {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?`
	}
	have, err := s.names(ctx, q, m.Table)
	if err != nil {
		return err
	}
	for _, f := range m.Fields {
		if !f.IsStored() || have[f.Name] {
			continue
		}
		if f.Name == "id" {
			return fmt.Errorf("table %s of %s exists without an id column", m.Table, m.Name)
		}
		// Added without NOT NULL: existing rows have no value yet.
		if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", quote(m.Table), s.columnDef(f, false))); err != nil {
			return fmt.Errorf("add column %s.%s: %w", m.Name, f.Name, err)
		}
	}
	return nil
}

// addForeignKeys adds the missing foreign keys of m's table in one ALTER TABLE;
// a table created in this run has none yet.
func (s *schemaMigrator) addForeignKeys(ctx context.Context, m *Model, created bool) error {
	have := map[string]bool{}
	if !created {
		var err error
		if have, err = s.names(ctx, `SELECT conname FROM pg_constraint WHERE conrelid = CAST(? AS regclass) AND contype = 'f'`, quote(m.Table)); err != nil {
			return err
		}
	}
	var clauses []string
	for _, f := range m.Fields {
		if f.Type != Many2one || !f.IsStored() {
			continue
		}
		name := constraintName(m.Table, f.Name, "fkey")
		if have[name] {
			continue
		}
		clauses = append(clauses, fmt.Sprintf(`ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s("id") ON DELETE %s`,
			quote(name), quote(f.Name), quote(s.reg.models[f.Comodel].Table), onDeleteSQL(f.OnDelete)))
	}
	if len(clauses) == 0 {
		return nil
	}
	if err := s.exec(ctx, fmt.Sprintf("ALTER TABLE %s %s", quote(m.Table), strings.Join(clauses, ", "))); err != nil {
		return fmt.Errorf("foreign keys of %s: %w", m.Name, err)
	}
	return nil
}

func (s *schemaMigrator) createRelationTables(ctx context.Context, m *Model, existed map[string]bool) error {
	for _, f := range m.Fields {
		if f.Type != Many2many {
			continue
		}
		co := s.reg.models[f.Comodel]
		q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
  %s %s NOT NULL REFERENCES %s("id") ON DELETE CASCADE,
  %s %s NOT NULL REFERENCES %s("id") ON DELETE CASCADE,
  PRIMARY KEY (%s, %s)
)`, quote(f.Relation), quote(f.Column1), s.d.idType(), quote(m.Table), quote(f.Column2), s.d.idType(), quote(co.Table), quote(f.Column1), quote(f.Column2))
		if err := s.exec(ctx, q); err != nil {
			return fmt.Errorf("relation table of %s.%s: %w", m.Name, f.Name, err)
		}
		idx := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s, %s)",
			quote(constraintName(f.Relation, f.Column2, "idx")), quote(f.Relation), quote(f.Column2), quote(f.Column1))
		if err := s.exec(ctx, idx); err != nil {
			return fmt.Errorf("relation index of %s.%s: %w", m.Name, f.Name, err)
		}
	}
	return nil
}

func (s *schemaMigrator) createIndexes(ctx context.Context, m *Model) error {
	for _, f := range m.Fields {
		if !f.IsStored() || f.Name == "id" || !(f.Index || f.Type == Many2one && s.reg.isInverse(f)) {
			continue
		}
		q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", quote(constraintName(m.Table, f.Name, "index")), quote(m.Table), quote(f.Name))
		if err := s.exec(ctx, q); err != nil {
			return fmt.Errorf("index %s.%s: %w", m.Name, f.Name, err)
		}
	}
	for _, c := range m.SQLConstraints {
		cols := make([]string, len(c.Fields))
		for i, name := range c.Fields {
			cols[i] = quote(name)
			if c.CaseInsensitive && m.fields[name].Type != Many2one && m.fields[name].Type != Integer {
				cols[i] = "lower(" + cols[i] + ")"
			}
		}
		q := fmt.Sprintf("CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s)", quote(constraintName(m.Table, c.Name, "")), quote(m.Table), strings.Join(cols, ", "))
		if err := s.exec(ctx, q); err != nil {
			return fmt.Errorf("constraint %s of %s: %w", c.Name, m.Name, err)
		}
	}
	return nil
}

// isInverse reports whether f is the inverse of some one2many, and so is searched
// by value often enough to deserve an index.
func (r *Registry) isInverse(f *Field) bool {
	co, ok := r.models[f.Comodel]
	if !ok {
		return false
	}
	for _, g := range co.Fields {
		if g.Type == One2many && g.Comodel == f.model.Name && g.InverseName == f.Name {
			return true
		}
	}
	return false
}

// constraintName joins parts with '_' and, past PostgreSQL's 63-byte limit,
// shortens the name with a hash so that two long names cannot collide.
func constraintName(table, name, suffix string) string {
	n := table + "_" + name
	if suffix != "" {
		n += "_" + suffix
	}
	if len(n) <= maxIdentLen {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return n[:maxIdentLen-13] + "_" + hex.EncodeToString(sum[:6])
}

// syncModelCatalogue records every model in ir_model, which access rights and
// record rules refer to.
func (s *schemaMigrator) syncModelCatalogue(ctx context.Context, models []*Model) error {
	have, err := s.names(ctx, `SELECT "model" FROM "ir_model"`)
	if err != nil {
		return err
	}
	var tuples []string
	var args []any
	now := nowUTC()
	for _, m := range models {
		if have[m.Name] {
			continue
		}
		desc := m.Description
		if desc == "" {
			desc = m.Name
		}
		tuples = append(tuples, "(?, ?, ?, ?)")
		args = append(args, desc, m.Name, now, now)
	}
	if len(tuples) == 0 {
		return nil
	}
	// A registry holds a few hundred models at most: one statement fits.
	if err := s.exec(ctx, `INSERT INTO "ir_model" ("name", "model", "create_date", "write_date") VALUES `+strings.Join(tuples, ", "), args...); err != nil {
		return fmt.Errorf("record models: %w", err)
	}
	return nil
}
