package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.UTC)

func newLog(t *testing.T, e storetest.Engine) (*audit.Log, *store.DB) {
	t.Helper()
	db := e.Open(t)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	return audit.New(db, func() time.Time { return t0 }), db
}

func entry(action string, record int64) audit.Entry {
	return audit.Entry{ActorKind: audit.ActorPortal, ActorLabel: "access link", Action: action,
		Model: "sale.order", RecordID: record, Address: "203.0.113.7", Detail: map[string]string{"op": "view"}}
}

func TestAppendAndList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		log, _ := newLog(t, e)
		in := []audit.Entry{
			entry(audit.PortalView, 7),
			{ActorKind: audit.ActorUser, ActorID: 2, ActorLabel: "admin@example.com", Action: audit.BackupDownload,
				Address: "192.0.2.1", Detail: map[string]string{"export": "20260301T093015Z-full-ab12", "size": "1024"}},
			{ActorKind: audit.ActorPortal, ActorLabel: "Jane\nDoe\x00", Action: audit.PortalAccept, Model: "sale.order", RecordID: 7,
				Address: strings.Repeat("9", 100), Detail: map[string]string{"signed_by": "Jane\r\nDoe"}},
			{ActorKind: audit.ActorSystem, Action: audit.Sudo},
		}
		for _, en := range in {
			if err := log.Append(ctx, en); err != nil {
				t.Fatal(err)
			}
		}
		all, err := log.List(ctx, audit.Filter{})
		if err != nil || len(all) != 4 {
			t.Fatalf("List = %d entries, %v", len(all), err)
		}
		for i, got := range all {
			if got.ID != int64(4-i) {
				t.Fatalf("entry %d has id %d, want newest first", i, got.ID)
			}
			if !got.At.Equal(t0.Truncate(time.Microsecond)) || got.At.Location() != time.UTC {
				t.Fatalf("entry %d at %v", got.ID, got.At)
			}
			if len(got.Hash) != 32 || len(got.PrevHash) != 32 {
				t.Fatalf("entry %d hashes %x %x", got.ID, got.PrevHash, got.Hash)
			}
		}
		if !bytes.Equal(all[3].PrevHash, make([]byte, 32)) {
			t.Fatalf("first entry's previous hash = %x, want zeros", all[3].PrevHash)
		}
		for i := 0; i < 3; i++ {
			if !bytes.Equal(all[i].PrevHash, all[i+1].Hash) {
				t.Fatalf("entry %d does not link to entry %d", all[i].ID, all[i+1].ID)
			}
		}
		dl := all[2]
		if dl.ActorKind != audit.ActorUser || dl.ActorID != 2 || dl.ActorLabel != "admin@example.com" || dl.Action != audit.BackupDownload ||
			dl.Model != "" || dl.RecordID != 0 || dl.Address != "192.0.2.1" ||
			!reflect.DeepEqual(dl.Detail, map[string]string{"export": "20260301T093015Z-full-ab12", "size": "1024"}) {
			t.Fatalf("download entry = %+v", dl)
		}
		// Control characters cannot forge lines in a viewer; long input is cut, not refused.
		acc := all[1]
		if acc.ActorLabel != "Jane Doe " || acc.Detail["signed_by"] != "Jane  Doe" || len(acc.Address) != 64 {
			t.Fatalf("accept entry not cleaned: %+v", acc)
		}
		for _, c := range []struct {
			f    audit.Filter
			want []int64
		}{
			{audit.Filter{Model: "sale.order", RecordID: 7}, []int64{3, 1}},
			{audit.Filter{Action: audit.BackupDownload}, []int64{2}},
			{audit.Filter{ActorKind: audit.ActorPortal}, []int64{3, 1}},
			{audit.Filter{RecordID: 8}, nil},
			{audit.Filter{BeforeID: 3, Limit: 1}, []int64{2}},
		} {
			got, err := log.List(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			if !reflect.DeepEqual(ids, c.want) {
				t.Errorf("List(%+v) = %v, want %v", c.f, ids, c.want)
			}
		}
		n, err := log.Verify(ctx)
		if n != 4 || err != nil {
			t.Fatalf("Verify = %d, %v", n, err)
		}
	})
}

func TestAppendRefusesBadNames(t *testing.T) {
	many := map[string]string{}
	for i := 0; i < 17; i++ {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	cases := []struct {
		name string
		edit func(*audit.Entry)
	}{
		{"unknown actor kind", func(e *audit.Entry) { e.ActorKind = "admin" }},
		{"empty actor kind", func(e *audit.Entry) { e.ActorKind = "" }},
		{"empty action", func(e *audit.Entry) { e.Action = "" }},
		{"action with spaces", func(e *audit.Entry) { e.Action = "portal view" }},
		{"action in capitals", func(e *audit.Entry) { e.Action = "Portal.View" }},
		{"action with SQL", func(e *audit.Entry) { e.Action = "x'; DROP TABLE audit_log; --" }},
		{"over-long action", func(e *audit.Entry) { e.Action = strings.Repeat("a", 65) }},
		{"model with quote", func(e *audit.Entry) { e.Model = `sale"order` }},
		{"negative record", func(e *audit.Entry) { e.RecordID = -1 }},
		{"negative actor", func(e *audit.Entry) { e.ActorID = -5 }},
		{"detail key with space", func(e *audit.Entry) { e.Detail = map[string]string{"a b": "x"} }},
		{"too many detail keys", func(e *audit.Entry) { e.Detail = many }},
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		log, db := newLog(t, e)
		for _, c := range cases {
			en := entry(audit.PortalView, 1)
			c.edit(&en)
			if err := log.Append(ctx, en); err == nil {
				t.Errorf("%s: appended", c.name)
			}
			err := db.InTx(ctx, func(tx *sql.Tx) error { return log.AppendTx(ctx, tx, en) })
			if err == nil {
				t.Errorf("%s: appended in a transaction", c.name)
			}
		}
		if got, _ := log.List(ctx, audit.Filter{}); len(got) != 0 {
			t.Fatalf("refused entries were stored: %+v", got)
		}
	})
}

// TestConcurrentAppendsFormOneChain: appends racing from many goroutines (and so
// from many connections on PostgreSQL) serialise into one unbroken chain.
func TestConcurrentAppendsFormOneChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		log, db := newLog(t, e)
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				en := entry(audit.PortalView, int64(i+1))
				if i%2 == 0 {
					errs <- log.Append(ctx, en)
					return
				}
				// Half of them inside a transaction of their own, as the portal does.
				errs <- db.InTx(ctx, func(tx *sql.Tx) error { return log.AppendTx(ctx, tx, en) })
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		checked, err := log.Verify(ctx)
		if checked != n || err != nil {
			t.Fatalf("Verify = %d, %v; want %d intact", checked, err, n)
		}
		all, _ := log.List(ctx, audit.Filter{})
		records := map[int64]bool{}
		for _, en := range all {
			records[en.RecordID] = true
		}
		if len(all) != n || len(records) != n {
			t.Fatalf("%d entries for %d distinct records, want %d", len(all), len(records), n)
		}
	})
}

func TestAppendTxCommitsWithTheAction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		log, db := newLog(t, e)
		failed := errors.New("the action failed")
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if err := log.AppendTx(ctx, tx, entry(audit.PortalAccept, 1)); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatal(err)
		}
		if got, _ := log.List(ctx, audit.Filter{}); len(got) != 0 {
			t.Fatalf("entry of a rolled back action kept: %+v", got)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return log.AppendTx(ctx, tx, entry(audit.PortalAccept, 1)) }); err != nil {
			t.Fatal(err)
		}
		if err := log.Append(ctx, entry(audit.PortalView, 1)); err != nil {
			t.Fatal(err)
		}
		if n, err := log.Verify(ctx); n != 2 || err != nil {
			t.Fatalf("Verify = %d, %v", n, err)
		}
	})
}

// tamper runs statements as someone with full power over the database file or
// server, who first gets the append-only triggers out of the way.
func tamper(t *testing.T, db *store.DB, stmts ...string) {
	t.Helper()
	pre := []string{"ALTER TABLE audit_log DISABLE TRIGGER USER"}
	if db.Engine == store.SQLite {
		pre = []string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}
	}
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		for _, s := range append(pre, stmts...) {
			if _, err := tx.Exec(s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFindsTheFirstBrokenLink(t *testing.T) {
	cases := []struct {
		name    string
		stmts   []string
		brokeAt int64
		checked int
	}{
		{"edited action", []string{"UPDATE audit_log SET action = 'portal.decline' WHERE id = 3"}, 3, 2},
		{"edited address", []string{"UPDATE audit_log SET address = '198.51.100.1' WHERE id = 5"}, 5, 4},
		{"edited detail", []string{`UPDATE audit_log SET detail = '{"op":"pdf"}' WHERE id = 1`}, 1, 0},
		{"edited time", []string{"UPDATE audit_log SET at_us = at_us + 1 WHERE id = 4"}, 4, 3},
		{"deleted entry", []string{"DELETE FROM audit_log WHERE id = 3"}, 4, 2},
		{"deleted first entry", []string{"DELETE FROM audit_log WHERE id = 1"}, 2, 0},
		// Entries moved with their hashes: each hash covers its id and its predecessor.
		{"two entries swapped", []string{
			"UPDATE audit_log SET id = 100 WHERE id = 2",
			"UPDATE audit_log SET id = 2 WHERE id = 3",
			"UPDATE audit_log SET id = 3 WHERE id = 100",
		}, 2, 1},
		{"next entry relinked", []string{"UPDATE audit_log SET prev_hash = hash WHERE id = 4"}, 4, 3},
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		for _, c := range cases {
			t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				ctx := context.Background()
				log, db := newLog(t, e)
				for i := 1; i <= 6; i++ {
					if err := log.Append(ctx, entry(audit.PortalView, int64(i))); err != nil {
						t.Fatal(err)
					}
				}
				if n, err := log.Verify(ctx); n != 6 || err != nil {
					t.Fatalf("before tampering: Verify = %d, %v", n, err)
				}
				tamper(t, db, c.stmts...)
				n, err := log.Verify(ctx)
				var broken *audit.BrokenError
				if !errors.As(err, &broken) || !errors.Is(err, audit.ErrBroken) {
					t.Fatalf("Verify = %d, %v; want a broken chain", n, err)
				}
				if broken.ID != c.brokeAt || n != c.checked {
					t.Fatalf("Verify stopped at entry %d after %d intact (%v); want entry %d after %d", broken.ID, n, err, c.brokeAt, c.checked)
				}
			})
		}
		// An edit whose hash is recomputed verifies on its own, but the next entry
		// still names the old hash.
		t.Run("edited_and_rehashed", func(t *testing.T) {
			ctx := context.Background()
			log, db := newLog(t, e)
			for i := 1; i <= 5; i++ {
				if err := log.Append(ctx, entry(audit.PortalView, int64(i))); err != nil {
					t.Fatal(err)
				}
			}
			all, _ := log.List(ctx, audit.Filter{})
			forged := all[2] // id 3
			forged.Address = "198.51.100.1"
			hash := audit.Rehash(forged, `{"op":"view"}`)
			tamper(t, db, fmt.Sprintf("UPDATE audit_log SET address = '198.51.100.1', hash = %s WHERE id = 3", hexLiteral(db, hash)))
			n, err := log.Verify(ctx)
			var broken *audit.BrokenError
			if !errors.As(err, &broken) || broken.ID != 4 || n != 3 {
				t.Fatalf("Verify = %d, %v; want entry 4 broken after 3 intact", n, err)
			}
		})
	})
}

func hexLiteral(db *store.DB, b []byte) string {
	if db.Engine == store.Postgres {
		return fmt.Sprintf(`'\x%x'::bytea`, b)
	}
	return fmt.Sprintf("X'%x'", b)
}

func TestDatabaseRefusesChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		log, db := newLog(t, e)
		for i := 1; i <= 3; i++ {
			if err := log.Append(ctx, entry(audit.PortalView, int64(i))); err != nil {
				t.Fatal(err)
			}
		}
		stmts := []string{
			"UPDATE audit_log SET action = 'portal.decline' WHERE id = 2",
			"UPDATE audit_log SET address = ''",
			"DELETE FROM audit_log WHERE id = 3",
			"DELETE FROM audit_log",
		}
		if e.Name == store.Postgres {
			stmts = append(stmts, "TRUNCATE audit_log")
		}
		for _, s := range stmts {
			// As the connection that owns the database (a superuser on PostgreSQL here).
			_, err := db.Write.ExecContext(ctx, s)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", s, err)
			}
		}
		if n, err := log.Verify(ctx); n != 3 || err != nil {
			t.Fatalf("Verify = %d, %v", n, err)
		}
	})
}

// TestTenantRoleKeepsInsertAndSelectOnly: on PostgreSQL the migration runs as the
// tenant's own role, which owns the table and could disable its triggers; it still
// lacks the UPDATE, DELETE and TRUNCATE privileges.
func TestTenantRoleKeepsInsertAndSelectOnly(t *testing.T) {
	adminURL := storetest.PostgresAdminURL(t)
	ctx := context.Background()
	admin, err := store.OpenPostgres(ctx, adminURL, store.PostgresOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	name := storetest.RandomName("ieaudit_")
	for _, s := range []string{
		"CREATE ROLE " + store.QuoteIdent(name) + " LOGIN NOSUPERUSER",
		"CREATE DATABASE " + store.QuoteIdent(name) + " OWNER " + store.QuoteIdent(name),
	} {
		if _, err := admin.Write.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		storetest.DropPostgresDatabase(t, adminURL, name)
		if _, err := admin.Write.ExecContext(context.Background(), "DROP ROLE IF EXISTS "+store.QuoteIdent(name)); err != nil {
			t.Error(err)
		}
		admin.Close()
	})
	u := strings.Replace(storetest.WithDatabase(adminURL, name), "root@", name+"@", 1)
	db, err := store.OpenPostgres(ctx, u, store.PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var super bool
	if err := db.Read.QueryRowContext(ctx, "SELECT usesuper FROM pg_user WHERE usename = current_user").Scan(&super); err != nil || super {
		t.Fatalf("connected as a superuser (%v) through %s", err, store.RedactURL(u))
	}
	if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, nil)
	if err := log.Append(ctx, entry(audit.PortalView, 1)); err != nil {
		t.Fatal(err)
	}
	// The owner may disable the triggers; the grants still refuse.
	if _, err := db.Write.ExecContext(ctx, "ALTER TABLE audit_log DISABLE TRIGGER USER"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"} {
		_, err := db.Write.ExecContext(ctx, s)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as the tenant role: err = %v, want permission denied", s, err)
		}
	}
	if n, err := log.Verify(ctx); n != 1 || err != nil {
		t.Fatalf("Verify = %d, %v", n, err)
	}
}
