package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		ctx := context.Background()
		e := newTestEnv(t, eng.Name)
		tn := e.createTenant("acme", 4)
		e.createTenant("globex", 1)
		e.exec("acme", "INSERT INTO note (id, body) VALUES (99, 'has, a comma and \"quotes\"')")
		fs := e.storage.FilestoreDir(tn)
		os.MkdirAll(fs, 0o700)
		os.WriteFile(filepath.Join(fs, "invoice.pdf"), []byte("%PDF"), 0o600)

		ex, err := e.svc.Export(ctx, "acme", true)
		if err != nil {
			t.Fatal(err)
		}
		files := readTarGz(t, ex.File)
		dbMember := "database/tenant.db"
		if eng.Name == store.Postgres {
			dbMember = "database/dump.sql"
			if !strings.Contains(files[dbMember], "CREATE TABLE public.note") {
				t.Fatalf("plain SQL dump lacks the table: %.200s", files[dbMember])
			}
		}
		if _, ok := files[dbMember]; !ok {
			t.Fatalf("export lacks %s: %v", dbMember, keys(files))
		}
		if files["filestore/invoice.pdf"] != "%PDF" {
			t.Fatalf("export lacks the filestore: %v", keys(files))
		}
		notes := files["csv/note.csv"]
		if !strings.HasPrefix(notes, "id,body\n") || strings.Count(notes, "\n") != 6 || !strings.Contains(notes, `"has, a comma and ""quotes"""`) {
			t.Fatalf("note.csv:\n%s", notes)
		}
		if _, ok := files["csv/ir_config_parameter.csv"]; !ok {
			t.Fatalf("no CSV for ir_config_parameter: %v", keys(files))
		}

		acme, globex := e.open("acme"), e.open("globex")
		defer acme.Close()
		defer globex.Close()
		redeem := func(db *store.DB, tenant, tok string) (*Download, error) {
			dl, err := e.svc.RedeemDownload(ctx, db, tenant, tok)
			if err == nil {
				dl.Body.Close()
			}
			return dl, err
		}
		// The link works DownloadUses times, only on its own tenant.
		if _, err := redeem(globex, "globex", ex.Token); !errors.Is(err, token.ErrInvalid) {
			t.Fatalf("link of acme redeemed on globex: %v", err)
		}
		// Change one character in the middle: the last characters of unpadded
		// base64 may carry unused bits, so rewriting them can leave the bytes equal.
		mid := len(ex.Token) / 2
		swap := byte('A')
		if ex.Token[mid] == swap {
			swap = 'B'
		}
		tampered := ex.Token[:mid] + string(swap) + ex.Token[mid+1:]
		if _, err := redeem(acme, "acme", tampered); err == nil {
			t.Fatal("tampered link accepted")
		}
		for i := range DownloadUses {
			got, err := redeem(acme, "acme", ex.Token)
			if err != nil || got.File != ex.File {
				t.Fatalf("use %d: %v", i+1, err)
			}
		}
		if _, err := redeem(acme, "acme", ex.Token); !errors.Is(err, ErrDownloadUsedUp) {
			t.Fatalf("use beyond the limit: %v", err)
		}
		ex2, err := e.svc.Export(ctx, "acme", true)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(DownloadLifetime + time.Second)
		if _, err := redeem(acme, "acme", ex2.Token); !errors.Is(err, token.ErrExpired) {
			t.Fatalf("expired link: %v", err)
		}
	})
}

// TestRedeemDownloadOpenFails: a link whose export file cannot be opened
// (removed, or replaced by a file of another size) is refused with an error
// naming the export, and no use is taken; once the file is back, every use
// is still there.
func TestRedeemDownloadOpenFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, eng storetest.Engine) {
		ctx := context.Background()
		e := newTestEnv(t, eng.Name)
		e.createTenant("acme", 2)
		db := e.open("acme")
		defer db.Close()
		ex, err := e.svc.Export(ctx, "acme", true)
		if err != nil {
			t.Fatal(err)
		}
		saved, err := os.ReadFile(ex.File)
		if err != nil {
			t.Fatal(err)
		}
		usesLeft := func() int {
			t.Helper()
			var n int
			if err := e.control.Read.QueryRow(e.control.Rebind("SELECT uses_left FROM backup_export WHERE id = ?"), ex.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, tc := range []struct {
			name    string
			breakIt func() error
			want    error
		}{
			{"removed", func() error { return os.Remove(ex.File) }, fs.ErrNotExist},
			{"truncated", func() error { return os.WriteFile(ex.File, saved[:len(saved)/2], 0o600) }, nil},
			{"a directory", func() error { os.Remove(ex.File); return os.Mkdir(ex.File, 0o700) }, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.breakIt(); err != nil {
					t.Fatal(err)
				}
				for range DownloadUses + 1 {
					dl, err := e.svc.RedeemDownload(ctx, db, "acme", ex.Token)
					if err == nil {
						dl.Body.Close()
						t.Fatal("a download was served without its file")
					}
					if !strings.Contains(err.Error(), "export "+ex.ID) || errors.Is(err, ErrDownloadUsedUp) || errors.Is(err, token.ErrInvalid) {
						t.Fatalf("error %q does not say the export's file could not be opened", err)
					}
					if tc.want != nil && !errors.Is(err, tc.want) {
						t.Fatalf("error %v, want %v", err, tc.want)
					}
				}
				if n := usesLeft(); n != DownloadUses {
					t.Fatalf("%d uses left after failed opens, want %d", n, DownloadUses)
				}
				os.RemoveAll(ex.File)
				if err := os.WriteFile(ex.File, saved, 0o600); err != nil {
					t.Fatal(err)
				}
			})
		}
		// The file back: the first use is served with the recorded bytes.
		dl, err := e.svc.RedeemDownload(ctx, db, "acme", ex.Token)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(dl.Body)
		dl.Body.Close()
		if err != nil || !bytes.Equal(got, saved) {
			t.Fatalf("served %d bytes (%v), want the %d recorded", len(got), err, len(saved))
		}
		if n := usesLeft(); n != DownloadUses-1 {
			t.Fatalf("%d uses left after one download, want %d", n, DownloadUses-1)
		}
	})
}

func readTarGz(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = string(b)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
