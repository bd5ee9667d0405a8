package backup

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/store"
)

// objectPath is where a file site keeps a backup's object.
func objectPath(e *testEnv, siteName string, rec Record) string {
	for _, sp := range e.cfg.Sites {
		if sp.Name == siteName {
			return filepath.Join(sp.File.Dir, filepath.FromSlash(rec.ObjectKey))
		}
	}
	e.t.Fatalf("no site %s", siteName)
	return ""
}

// A flipped byte, a truncated object and a wrong key are refused by verify
// and restore, and the live tenant is untouched.
func TestDamagedObjectsAreRefused(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 20)
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.addNotes("acme", 5)
	live := e.notes("acme")
	path := objectPath(e, "local", rec)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := archive.GenerateIdentity()
	cases := []struct {
		name   string
		damage func()
		svc    *Service
		want   error
	}{
		{"flipped byte", func() {
			b := slices.Clone(good)
			b[len(b)/2] ^= 0x01
			os.WriteFile(path, b, 0o600)
		}, e.svc, ErrHashMismatch},
		{"truncated", func() { os.WriteFile(path, good[:len(good)-100], 0o600) }, e.svc, ErrHashMismatch},
		{"wrong key", func() { os.WriteFile(path, good, 0o600) }, func() *Service {
			cfg := e.cfg
			cfg.Identity = otherKey
			return e.newService(cfg)
		}(), archive.ErrWrongKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.damage()
			if _, err := c.svc.Verify(ctx, rec.ID, "local"); !errors.Is(err, c.want) {
				t.Fatalf("verify: %v, want %v", err, c.want)
			}
			if _, err := c.svc.Restore(ctx, rec.ID, RestoreOptions{Site: "local"}); !errors.Is(err, c.want) {
				t.Fatalf("restore: %v, want %v", err, c.want)
			}
			if got := e.notes("acme"); !slices.Equal(got, live) {
				t.Fatal("the live tenant changed after a refused restore")
			}
			if tn, _ := e.catalogue.Get(ctx, "acme"); tn.State != "active" {
				t.Fatalf("tenant left %s", tn.State)
			}
			got, _ := e.svc.Get(ctx, rec.ID)
			if got.Verified() || got.VerifyError == "" {
				t.Fatalf("failed verification not recorded: %+v", got)
			}
			status, _ := e.svc.Status(ctx)
			if len(status) != 1 || !slices.Contains(status[0].Problems, "test restore failed or pending") {
				t.Fatalf("status does not flag the failed verification: %+v", status)
			}
		})
	}
	// The intact copy on the other site still verifies and restores.
	if _, err := e.svc.Verify(ctx, rec.ID, "offsite"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Restore(ctx, rec.ID, RestoreOptions{Site: "offsite"}); err != nil {
		t.Fatal(err)
	}
	if got := e.notes("acme"); len(got) != 20 {
		t.Fatalf("restore from the intact copy: %d notes", len(got))
	}
}

// An object whose manifest decrypts but names members outside the archive
// root, or members it does not list, is refused before anything is written.
func TestHostileArchiveIsRefused(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 3)
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../escape", "/etc/evil", "database/../../x"} {
		if _, err := archive.FileSource(name, filepath.Join(t.TempDir())); err == nil {
			t.Fatalf("archive accepted member name %q", name)
		}
	}
	// A well-formed object for the right key but of unexpected content
	// (a member the restore does not know) fails the database check and
	// changes nothing.
	src := filepath.Join(t.TempDir(), "unexpected")
	os.WriteFile(src, []byte("surprise"), 0o600)
	member, _ := archive.FileSource("unexpected/file", src)
	m := archive.Manifest{ID: rec.ID, Tenant: "acme", Kind: archive.KindDB, Created: rec.Created, Engine: "sqlite"}
	path := objectPath(e, "local", rec)
	f, _ := os.Create(path)
	res, err := archive.Write(ctx, f, m, []archive.Source{member}, e.svc.recipients())
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Pretend the catalogue recorded this object, as an attacker with write
	// access to the catalogue and the site could arrange.
	e.control.Write.Exec(e.control.Rebind("UPDATE backup SET sha256 = ? WHERE id = ?"), res.SHA256, rec.ID)
	before := e.notes("acme")
	if _, err := e.svc.Restore(ctx, rec.ID, RestoreOptions{Site: "local"}); err == nil {
		t.Fatal("restore of an object without a database succeeded")
	}
	if !slices.Equal(e.notes("acme"), before) {
		t.Fatal("live tenant changed")
	}
	leftovers, _ := filepath.Glob(filepath.Join(e.dataDir, "backup-work", "restore-*"))
	if len(leftovers) != 0 {
		t.Fatalf("restore left %v", leftovers)
	}
}

// A full disk while writing the object: a clear error, no partial file, no
// catalogue entry.
func TestDiskFullWhileWriting(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 200)
	e.svc.wrapOutbox = func(w io.Writer) io.Writer { return &fullDisk{w: w, left: 2048} }
	_, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("run on a full disk: %v", err)
	}
	e.assertNothingLeft(t)
}

// assertNothingLeft checks that a failed backup left no trace: nothing in
// the outbox or the work area, no catalogue entry, and no file on any site,
// not even a temporary one.
func (e *testEnv) assertNothingLeft(t *testing.T) {
	t.Helper()
	entries, _ := os.ReadDir(e.svc.outboxDir())
	if len(entries) != 0 {
		t.Fatalf("outbox holds %v after a failed backup", entries)
	}
	work, _ := os.ReadDir(e.svc.workRoot())
	for _, w := range work {
		if w.Name() != "outbox" {
			t.Fatalf("work area holds %s after a failed backup", w.Name())
		}
	}
	if list, _ := e.svc.List(context.Background(), ""); len(list) != 0 {
		t.Fatalf("catalogue lists %d backups after a failed backup", len(list))
	}
	for _, spec := range e.cfg.Sites {
		if n := countFiles(t, spec.File.Dir, func(p string) bool {
			info, err := os.Stat(p)
			return err == nil && info.Mode().IsRegular()
		}); n != 0 {
			t.Fatalf("site %s holds %d files after a failed backup", spec.Name, n)
		}
	}
}

// A site that fails while a new backup streams to it fails alone: the
// backup completes, is verified and is on the other site; the failed site
// is a gap, filled from the outbox by the catch-up.
func TestStreamedSiteFailsAlone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := newTestEnv(t, store.SQLite, fileSpec(t, "local", "paris-1", filepath.Join(dir, "local")), fileSpec(t, "offsite", "frankfurt-2", filepath.Join(dir, "offsite")))
	e.createTenant("acme", 200)
	// Both sites are in the test's directory: as sites on other file
	// systems, they take the object as it is written.
	e.svc.sameFileSystem = func(a, b string) bool { return false }
	open := e.svc.cfg.OpenSite
	e.svc.cfg.OpenSite = func(ctx context.Context, spec site.Spec) (site.Site, error) {
		st, err := open(ctx, spec)
		if err != nil || spec.Name != "offsite" {
			return st, err
		}
		return failingPutSite{Site: st}, nil
	}
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	var re *ReplicationError
	if !errors.As(err, &re) || len(re.Sites) != 1 || re.Sites["offsite"] == nil {
		t.Fatalf("run with offsite failing mid-stream: %v", err)
	}
	if !rec.Verified() || !rec.VerifiedOn("local") || rec.VerifiedOn("offsite") {
		t.Fatalf("after the run: %+v", rec)
	}
	if !e.svc.inOutbox(rec.ID) {
		t.Fatal("the outbox object, source of the retry, is gone")
	}
	e.svc.cfg.OpenSite = open
	if n, err := e.svc.CatchUp(ctx); n != 1 || err != nil {
		t.Fatalf("catch-up closed %d gaps, %v", n, err)
	}
	rec, _ = e.svc.Get(ctx, rec.ID)
	if !rec.VerifiedOn("offsite") || e.svc.inOutbox(rec.ID) {
		t.Fatalf("after catch-up: %+v, in outbox %v", rec, e.svc.inOutbox(rec.ID))
	}
}

// failingPutSite reads part of an object, then fails like a full disk.
type failingPutSite struct{ site.Site }

func (s failingPutSite) Put(ctx context.Context, key string, r io.Reader) (site.Object, error) {
	return s.Site.Put(ctx, key, io.MultiReader(io.LimitReader(r, 1000), iotest.ErrReader(syscall.ENOSPC)))
}

type fullDisk struct {
	w    io.Writer
	left int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.w.Write(p[:f.left])
		f.left = 0
		return n, &os.PathError{Op: "write", Path: "object", Err: syscall.ENOSPC}
	}
	f.left -= len(p)
	return f.w.Write(p)
}

// Restoring as a copy makes a new tenant with the backed-up data whose
// secret and uuid differ, so a session and a signed link of the original
// are refused on the copy.
func TestRestoreAsCopy(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 10)
	e.exec("acme", "INSERT INTO auth_session (token_hash, user_id, created_at, last_seen_at, expires_at, client_address, user_agent, csrf_token) VALUES (?, 2, 0, 0, 9999999999, '127.0.0.1', 'test', ?)",
		[]byte("session-hash-of-original"), []byte("csrf"))
	secret := e.param("acme", "database.secret")
	signer := signerFor(t, secret)
	link, err := signer.Sign(token.ScopeBackupDownload, []byte("x"), nil, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.svc.Run(ctx, "acme", archive.KindFull, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Restore(ctx, rec.ID, RestoreOptions{As: "acme-copy"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tenant != "acme-copy" {
		t.Fatalf("restored as %q", res.Tenant)
	}
	if !slices.Equal(e.notes("acme-copy"), e.notes("acme")) {
		t.Fatal("copy does not hold the backed-up data")
	}
	if e.param("acme-copy", "database.secret") == secret || e.param("acme-copy", "database.uuid") == e.param("acme", "database.uuid") {
		t.Fatal("copy kept the original's secret or uuid")
	}
	if _, err := signerFor(t, e.param("acme-copy", "database.secret")).Verify(token.ScopeBackupDownload, link, nil); !errors.Is(err, token.ErrInvalid) {
		t.Fatalf("a link signed for the original verifies on the copy: %v", err)
	}
	if _, err := signer.Verify(token.ScopeBackupDownload, link, nil); err != nil {
		t.Fatalf("the original no longer accepts its own link: %v", err)
	}
	for tenant, want := range map[string]int{"acme": 1, "acme-copy": 0} {
		db := e.open(tenant)
		var n int
		db.Read.QueryRow("SELECT count(*) FROM auth_session WHERE token_hash = ?", []byte("session-hash-of-original")).Scan(&n)
		db.Close()
		if n != want {
			t.Fatalf("%s holds %d sessions of the original, want %d", tenant, n, want)
		}
	}
	// A name in use, or an invalid one, is refused and creates nothing.
	for _, name := range []string{"acme", "../x", "www"} {
		if _, err := e.svc.Restore(ctx, rec.ID, RestoreOptions{As: name}); err == nil {
			t.Fatalf("restore as %q succeeded", name)
		}
	}
	if ts, _ := e.catalogue.List(ctx); len(ts) != 2 {
		t.Fatalf("%d tenants after refused restores", len(ts))
	}
}
