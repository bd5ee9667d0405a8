package backup

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
)

func BenchmarkBackupThroughputSQLite(b *testing.B) {
	const mib = 64
	e := newTestEnv(b, store.SQLite, fileSpec(b, "local", "paris-1", filepath.Join(b.TempDir(), "site")))
	e.createTenant("acme", 1)
	db := e.open("acme")
	db.Write.Exec("CREATE TABLE blob (b BLOB, t TEXT)")
	for range mib * 4 {
		db.Write.Exec("INSERT INTO blob VALUES (randomblob(131072), printf('%.131072c', 'x'))")
	}
	db.Close()
	tn, _ := e.catalogue.Get(context.Background(), "acme")
	path := filepath.Join(e.dataDir, tn.Location, "tenant.db")
	info, _ := os.Stat(path)

	b.Run("baseline-file-copy", func(b *testing.B) {
		b.SetBytes(info.Size())
		for b.Loop() {
			in, _ := os.Open(path)
			out, _ := os.Create(filepath.Join(b.TempDir(), "copy.db"))
			io.Copy(out, in)
			out.Sync()
			out.Close()
			in.Close()
		}
	})
	b.Run("backup-and-restore", func(b *testing.B) {
		b.SetBytes(info.Size())
		for b.Loop() {
			rec, err := e.svc.Run(context.Background(), "acme", archive.KindDB, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.svc.Restore(context.Background(), rec.ID, RestoreOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("backup", func(b *testing.B) {
		b.SetBytes(info.Size())
		for b.Loop() {
			if _, err := e.svc.Run(context.Background(), "acme", archive.KindDB, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
