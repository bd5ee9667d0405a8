package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
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

		// The link works DownloadUses times, only on its own tenant.
		if _, err := e.svc.RedeemDownload(ctx, "globex", ex.Token); !errors.Is(err, token.ErrInvalid) {
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
		if _, err := e.svc.RedeemDownload(ctx, "acme", tampered); err == nil {
			t.Fatal("tampered link accepted")
		}
		for i := range DownloadUses {
			got, err := e.svc.RedeemDownload(ctx, "acme", ex.Token)
			if err != nil || got.File != ex.File {
				t.Fatalf("use %d: %v", i+1, err)
			}
		}
		if _, err := e.svc.RedeemDownload(ctx, "acme", ex.Token); !errors.Is(err, ErrDownloadUsedUp) {
			t.Fatalf("use beyond the limit: %v", err)
		}
		ex2, err := e.svc.Export(ctx, "acme", true)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(DownloadLifetime + time.Second)
		if _, err := e.svc.RedeemDownload(ctx, "acme", ex2.Token); !errors.Is(err, token.ErrExpired) {
			t.Fatalf("expired link: %v", err)
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
