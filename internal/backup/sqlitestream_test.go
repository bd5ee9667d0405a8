package backup

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
)

// The streamed snapshot yields exactly the bytes of the file snapshot taken
// at the same state (which the export and earlier releases use), with the
// header marked for a rollback journal, can be read only once, and holds
// its read transaction until released: writes made meanwhile are not in it.
func TestStreamedSQLiteSnapshot(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	tn := e.createTenant("acme", 1)
	e.addNotes("acme", 300)

	fileSnap, err := e.svc.takeSnapshot(ctx, tn, archive.KindDB, t.TempDir(), toFile)
	if err != nil {
		t.Fatal(err)
	}
	fileSnap.release()
	want := readMember(t, fileSnap.members[0])

	snap, err := e.svc.takeSnapshot(ctx, tn, archive.KindDB, t.TempDir(), streamed)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.release()
	e.addNotes("acme", 50) // after the snapshot's transaction began
	src := snap.members[0]
	if src.Name != memberSQLite || src.Size != int64(len(want)) || src.SHA256 != "" {
		t.Fatalf("member %s of %d bytes (sha %q), want %s of %d, hash left to the archive", src.Name, src.Size, src.SHA256, memberSQLite, len(want))
	}
	got := readMember(t, src)
	if !bytes.Equal(got, want) {
		t.Fatal("the streamed pages differ from the file snapshot of the same state")
	}
	if got[sqliteVersionBytes] != 1 || got[sqliteVersionBytes+1] != 1 {
		t.Fatalf("header versions %d, %d: want 1, 1 (rollback journal)", got[sqliteVersionBytes], got[sqliteVersionBytes+1])
	}
	if snap.rowCounts["note"] != fileSnap.rowCounts["note"] {
		t.Fatalf("row counts %v, want %v", snap.rowCounts, fileSnap.rowCounts)
	}
	if _, err := src.Open(); err == nil || !strings.Contains(err.Error(), "only once") {
		t.Fatalf("second Open: %v, want a refusal", err)
	}

	// The pages restore into a database that passes the integrity check
	// with the counts of the manifest.
	path := filepath.Join(t.TempDir(), "restored.db")
	if err := os.WriteFile(path, got, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := checkSQLiteFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareCounts(snap.rowCounts, c.rowCounts); err != nil {
		t.Fatal(err)
	}
}

func readMember(t *testing.T, src archive.Source) []byte {
	t.Helper()
	rc, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A page reader refuses a database whose pages do not match the page count
// and size its transaction announced, instead of archiving a torn copy.
func TestPageReaderRefusesInconsistentPages(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 1)
	db := e.open("acme")
	defer db.Close()
	var pageSize, pageCount int64
	db.Read.QueryRow("PRAGMA page_size").Scan(&pageSize)
	db.Read.QueryRow("PRAGMA page_count").Scan(&pageCount)
	tests := []struct {
		name            string
		pageSize, count int64
		wantErr         string
	}{
		{"consistent", pageSize, pageCount, ""},
		{"fewer pages than announced", pageSize, pageCount + 1, "the database has"},
		{"more pages than announced", pageSize, pageCount - 1, "got page"},
		{"other page size", pageSize * 2, pageCount, "got page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newPageReader(ctx, db.Read, tt.pageSize, tt.count)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n, err := io.Copy(io.Discard, r)
			if tt.wantErr == "" {
				if err != nil || n != pageSize*pageCount {
					t.Fatalf("read %d bytes, %v; want %d", n, err, pageSize*pageCount)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// Whatever the size of the reads, a page reader yields the same bytes, the
// first page marked for a rollback journal: whole pages go straight into
// the reader's buffer, a page that straddles its end through the reader.
func TestPageReaderAnyReadSize(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 1)
	e.addNotes("acme", 100)
	db := e.open("acme")
	defer db.Close()
	var pageSize, pageCount int64
	db.Read.QueryRow("PRAGMA page_size").Scan(&pageSize)
	db.Read.QueryRow("PRAGMA page_count").Scan(&pageCount)
	readAll := func(size int) []byte {
		r, err := newPageReader(ctx, db.Read, pageSize, pageCount)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []byte
		buf := make([]byte, size)
		for {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("reads of %d bytes: %v", size, err)
			}
		}
	}
	want := readAll(1 << 20)
	if int64(len(want)) != pageSize*pageCount || want[sqliteVersionBytes] != 1 || want[sqliteVersionBytes+1] != 1 {
		t.Fatalf("read %d bytes, header versions %d, %d", len(want), want[sqliteVersionBytes], want[sqliteVersionBytes+1])
	}
	ps := int(pageSize)
	for _, size := range []int{1, 1000, ps - 1, ps, ps + 1, 3*ps - 7} {
		if got := readAll(size); !bytes.Equal(got, want) {
			t.Fatalf("reads of %d bytes yield other bytes than reads of 1 MiB", size)
		}
	}
}
