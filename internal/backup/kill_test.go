package backup

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// The helper process: when INSTANTERP_BACKUP_KILL_HELPER names a phase, this
// test binary runs one backup against the installation in
// INSTANTERP_BACKUP_KILL_DATA and stalls in that phase until it is killed.
func TestKillHelper(t *testing.T) {
	phase := os.Getenv("INSTANTERP_BACKUP_KILL_HELPER")
	if phase == "" {
		t.Skip("helper process only")
	}
	data := os.Getenv("INSTANTERP_BACKUP_KILL_DATA")
	svc := openKillInstallation(t, data)
	ready := func() { os.WriteFile(filepath.Join(data, "ready"), nil, 0o600) }
	open := svc.cfg.OpenSite
	stalling := func(ctx context.Context, spec site.Spec) (site.Site, error) {
		s, err := open(ctx, spec)
		return &stallingSite{Site: s, ready: ready}, err
	}
	switch phase {
	case "write":
		svc.wrapOutbox = func(w io.Writer) io.Writer { return &stallingWriter{w: w, after: 4096, ready: ready} }
	case "stream":
		// The site, as one on another file system, takes the object while
		// it is written.
		svc.sameFileSystem = func(a, b string) bool { return false }
		svc.cfg.OpenSite = stalling
	case "link":
		// The object is complete and catalogued; the site is about to take
		// it as a link.
		svc.cfg.OpenSite = stalling
	case "upload":
		// The site was down during the backup; the retry copies the
		// catalogued object from the outbox.
		svc.cfg.OpenSite = func(context.Context, site.Spec) (site.Site, error) { return nil, errors.New("site down") }
		rec, err := svc.Run(context.Background(), "acme", archive.KindDB, nil)
		if !IsReplicationError(err) {
			t.Fatalf("backup with the site down: %v", err)
		}
		svc.cfg.OpenSite = stalling
		svc.Replicate(context.Background(), rec.ID, "local")
		t.Fatal("the helper was not killed")
	}
	svc.Run(context.Background(), "acme", archive.KindDB, nil)
	t.Fatal("the helper was not killed")
}

type stallingWriter struct {
	w     io.Writer
	after int
	ready func()
}

func (s *stallingWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.after -= n
	if s.after <= 0 {
		if f, ok := s.w.(interface{ Sync() error }); ok {
			f.Sync()
		}
		s.ready()
		select {}
	}
	return n, err
}

type stallingSite struct {
	site.Site
	ready func()
}

func (s *stallingSite) Put(ctx context.Context, key string, r io.Reader) (site.Object, error) {
	return s.Site.Put(ctx, key, &stallingReader{r: r, ready: s.ready})
}

func (s *stallingSite) PutLink(ctx context.Context, key, src string) (site.Object, error) {
	s.ready()
	select {}
}

type stallingReader struct {
	r     io.Reader
	read  int
	ready func()
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.read > 0 {
		time.Sleep(200 * time.Millisecond) // let the site write what it has
		s.ready()
		select {}
	}
	n, err := s.r.Read(p[:min(len(p), 1024)])
	s.read += n
	return n, err
}

// openKillInstallation opens the SQLite installation a kill test prepared.
func openKillInstallation(t *testing.T, data string) *Service {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(data, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := secrets.NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	control, err := store.OpenSQLite(filepath.Join(data, "control.db"), store.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { control.Close() })
	if _, err := store.Migrate(ctx, control, store.ControlSchema); err != nil {
		t.Fatal(err)
	}
	inst, err := tenancy.OpenInstance(ctx, control, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cat := tenancy.NewCatalogue(control, nil)
	storage := tenancy.Storage{DataDir: data, Sealer: key}
	prov, err := tenancy.NewProvisioner(tenancy.ProvisionerConfig{Catalogue: cat, Engine: store.SQLite, DataDir: data, Instance: inst, Sealer: key})
	if err != nil {
		t.Fatal(err)
	}
	id, err := PlatformIdentity(ctx, control, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{Control: control, Catalogue: cat, Storage: storage, Provisioner: prov, Identity: id,
		Sites: []site.Spec{fileSpec(t, "local", "paris-1", filepath.Join(data, "site"))}, DataDir: data, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// A process killed (SIGKILL) mid-backup (writing the outbox, streaming to
// the site while it does, or linking the catalogued object into the site)
// or mid-upload (a retried copy from the outbox) leaves no object that is
// listed or restorable; the catalogue stays consistent and the next start's
// cleanup removes the leftovers.
func TestKilledMidBackup(t *testing.T) {
	for _, phase := range []string{"write", "stream", "link", "upload"} {
		t.Run(phase, func(t *testing.T) {
			ctx := context.Background()
			data := t.TempDir()
			raw := make([]byte, secrets.KeySize)
			for i := range raw {
				raw[i] = byte(i * 7)
			}
			os.WriteFile(filepath.Join(data, "master.key"), raw, 0o600)
			svc := openKillInstallation(t, data)
			if _, err := svc.cfg.Provisioner.Create(ctx, "acme", "a@acme.example"); err != nil {
				t.Fatal(err)
			}
			tn, _ := svc.cfg.Catalogue.Get(ctx, "acme")
			db, _ := svc.cfg.Storage.Open(ctx, tn, 1)
			// Streaming to the site, the object must be larger than the
			// queue in front of the site (chunkPipeDepth writes of 1 MiB), so
			// that the writer is still writing when the site stalls.
			rows := 50
			if phase == "stream" {
				rows = 3 * chunkPipeDepth * 256
			}
			db.Write.Exec("CREATE TABLE blob (b BLOB)")
			if _, err := db.Write.Exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
				INSERT INTO blob SELECT randomblob(4096) FROM c`, rows); err != nil {
				t.Fatal(err)
			}
			db.Close()

			cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$")
			cmd.Env = append(os.Environ(), "INSTANTERP_BACKUP_KILL_HELPER="+phase, "INSTANTERP_BACKUP_KILL_DATA="+data)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				if _, err := os.Stat(filepath.Join(data, "ready")); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("helper never reached the %s phase:\n%s", phase, out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()

			leftovers := countFiles(t, data, func(p string) bool {
				return strings.Contains(p, ".partial") || strings.Contains(p, site.TempPrefix) || strings.Contains(p, "run-")
			})
			if leftovers == 0 {
				t.Fatalf("the killed process left nothing to clean up in phase %s; the test did not kill it mid-write", phase)
			}
			st, err := svc.cfg.OpenSite(ctx, svc.cfg.Sites[0])
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if objs, _ := st.List(ctx, ""); len(objs) != 0 {
				t.Fatalf("site lists %v after the kill", objs)
			}
			list, _ := svc.List(ctx, "")
			for _, rec := range list {
				if rec.VerifiedOn("local") {
					t.Fatalf("catalogue shows a copy that was never completed: %+v", rec)
				}
			}

			if _, err := svc.Cleanup(ctx, time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if n := countFiles(t, data, func(p string) bool {
				return strings.Contains(p, ".partial") || strings.Contains(p, site.TempPrefix) || strings.Contains(p, "/backup-work/run-")
			}); n != 0 {
				t.Fatalf("%d leftovers after cleanup", n)
			}
			// A killed upload or link left a complete, catalogued object in
			// the outbox: catching up puts it on the site.
			if phase == "upload" || phase == "link" {
				if len(list) != 1 {
					t.Fatalf("catalogue after a kill mid-%s: %d backups", phase, len(list))
				}
				if _, err := svc.CatchUp(ctx); err != nil {
					t.Fatal(err)
				}
				rec, _ := svc.Get(ctx, list[0].ID)
				if !rec.VerifiedOn("local") || svc.inOutbox(rec.ID) {
					t.Fatalf("after catch-up: %+v", rec)
				}
			} else if len(list) != 0 {
				t.Fatalf("catalogue lists %d backups after a kill mid-write", len(list))
			}
		})
	}
}

func countFiles(t *testing.T, root string, match func(string) bool) int {
	n := 0
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && match(p) {
			n++
		}
		return nil
	})
	return n
}
