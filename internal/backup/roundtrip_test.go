package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Data written → backup → more writes → restore → exactly the backed-up state,
// on both engines, with the filestore for a full backup.
func TestRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		ctx := context.Background()
		e := newTestEnv(t, eng.Name)
		tn := e.createTenant("acme", 50)
		fs := e.storage.FilestoreDir(tn)
		os.MkdirAll(filepath.Join(fs, "ab"), 0o700)
		os.WriteFile(filepath.Join(fs, "ab", "abcdef"), []byte("attachment one"), 0o600)

		rec, err := e.svc.Run(ctx, "acme", archive.KindFull, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Verified() || rec.VerifyError != "" {
			t.Fatalf("backup not verified: %+v", rec)
		}
		if len(rec.Copies) != 2 || !rec.VerifiedOn("local") || !rec.VerifiedOn("offsite") || len(rec.DataCentres()) != 2 {
			t.Fatalf("copies: %+v", rec.Copies)
		}
		if e.svc.inOutbox(rec.ID) {
			t.Fatal("outbox still holds an object every site has")
		}
		want := e.notes("acme")

		e.addNotes("acme", 25)
		e.exec("acme", "UPDATE note SET body = 'changed' WHERE id = 1")
		e.exec("acme", "CREATE TABLE later (id INTEGER)")
		os.WriteFile(filepath.Join(fs, "ab", "abcdef"), []byte("overwritten"), 0o600)
		os.WriteFile(filepath.Join(fs, "new-file"), []byte("added later"), 0o600)

		res, err := e.svc.Restore(ctx, rec.ID, RestoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.SafetyBackup == "" || res.Tenant != "acme" {
			t.Fatalf("restore result %+v", res)
		}
		if got := e.notes("acme"); !slices.Equal(got, want) {
			t.Fatalf("after restore: %d notes, first %q; want %d", len(got), got[0], len(want))
		}
		db := e.open("acme")
		var n int
		err = db.Read.QueryRow("SELECT count(*) FROM later").Scan(&n)
		db.Close()
		if err == nil {
			t.Fatal("a table created after the backup survived the restore")
		}
		if b, _ := os.ReadFile(filepath.Join(fs, "ab", "abcdef")); string(b) != "attachment one" {
			t.Fatalf("filestore file after restore: %q", b)
		}
		if _, err := os.Stat(filepath.Join(fs, "new-file")); err == nil {
			t.Fatal("a file added after the backup survived the restore")
		}
		if got, _ := e.catalogue.Get(ctx, "acme"); got.State != "active" {
			t.Fatalf("tenant state after restore: %s", got.State)
		}

		// The safety backup holds the state just before the restore.
		if _, err := e.svc.Restore(ctx, res.SafetyBackup, RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := e.notes("acme"); len(got) != 75 || got[0] != "changed" {
			t.Fatalf("after restoring the safety backup: %d notes", len(got))
		}
	})
}
