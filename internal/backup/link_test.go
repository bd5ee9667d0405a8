package backup

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/store"
)

// linkWatch wraps the sites a service opens: it records on which site a
// link was asked for, and makes each link fail when fail is set.
type linkWatch struct {
	asked []string
	fail  bool
}

func (w *linkWatch) wrap(e *testEnv) {
	open := e.svc.cfg.OpenSite
	e.svc.cfg.OpenSite = func(ctx context.Context, spec site.Spec) (site.Site, error) {
		st, err := open(ctx, spec)
		if err != nil {
			return st, err
		}
		return watchedSite{Site: st, watch: w}, nil
	}
}

type watchedSite struct {
	site.Site
	watch *linkWatch
}

func (s watchedSite) PutLink(ctx context.Context, key, src string) (site.Object, error) {
	s.watch.asked = append(s.watch.asked, s.Name())
	if s.watch.fail {
		// As across file systems.
		return site.Object{}, &os.LinkError{Op: "link", Old: src, New: key, Err: syscall.EXDEV}
	}
	return s.Site.(linker).PutLink(ctx, key, src)
}

// TestOneFileSiteTakesTheOutboxObjectAsALink: of two file sites on the
// outbox's file system, the first takes the new object as a link to the
// outbox file and the second a copy of its own, so that no two sites share
// a file; both are verified, and the object outlives the outbox.
func TestOneFileSiteTakesTheOutboxObjectAsALink(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 200)
	var watch linkWatch
	watch.wrap(e)
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(watch.asked) != 1 || watch.asked[0] != "local" {
		t.Fatalf("links asked of %v, want [local]", watch.asked)
	}
	if !rec.Verified() || !rec.VerifiedOn("local") || !rec.VerifiedOn("offsite") {
		t.Fatalf("after the run: %+v", rec)
	}
	if e.svc.inOutbox(rec.ID) {
		t.Fatal("the outbox still holds an object every site has")
	}
	local, err := os.Stat(filepath.Join(e.cfg.Sites[0].File.Dir, rec.ObjectKey))
	if err != nil {
		t.Fatal(err)
	}
	offsite, err := os.Stat(filepath.Join(e.cfg.Sites[1].File.Dir, rec.ObjectKey))
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(local, offsite) {
		t.Fatal("two sites share one file")
	}
	if n := local.Sys().(*syscall.Stat_t).Nlink; n != 1 {
		t.Fatalf("the linked object has %d names once the outbox dropped its own, want 1", n)
	}
	if _, err := e.svc.Verify(ctx, rec.ID, "local"); err != nil {
		t.Fatal(err)
	}
}

// TestFailedLinkFallsBackToCopy: a site that cannot take the link gets a
// copy from the outbox, verified like any other.
func TestFailedLinkFallsBackToCopy(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 200)
	watch := linkWatch{fail: true}
	watch.wrap(e)
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(watch.asked) != 1 {
		t.Fatalf("links asked of %v, want one", watch.asked)
	}
	if !rec.VerifiedOn("local") || !rec.VerifiedOn("offsite") {
		t.Fatalf("after the run: %+v", rec)
	}
	if _, err := e.svc.Verify(ctx, rec.ID, "local"); err != nil {
		t.Fatal(err)
	}
}

func TestSameFileSystem(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{"one directory", dir, dir, true},
		{"a directory not created yet", dir, filepath.Join(dir, "sites", "local"), true},
	}
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		cases = append(cases, struct {
			name string
			a, b string
			want bool
		}{"another file system", dir, "/dev/shm/not-created", false})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameFileSystem(tc.a, tc.b); got != tc.want {
				t.Fatalf("sameFileSystem(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
