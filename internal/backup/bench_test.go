package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// benchTenantMiB is the size of the tenant the throughput benchmark backs
// up: small by default so that CI stays fast; the figure is for
// INSTANTERP_BENCH_TENANT_MIB=1024.
func benchTenantMiB(b *testing.B) int {
	if v := os.Getenv("INSTANTERP_BENCH_TENANT_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("INSTANTERP_BENCH_TENANT_MIB=%q: want a positive number of MiB", v)
		}
		return n
	}
	return 32
}

// throughputFixture is one tenant of about the wanted size on one engine,
// backed up to one file site.
type throughputFixture struct {
	e      *testEnv
	tenant tenancy.Tenant
	size   int64 // bytes of the database: the file on SQLite, pg_database_size on PostgreSQL
	work   string
}

// newThroughputFixture fills a tenant with rows of 16 KiB of random bytes
// (incompressible) and 16 KiB of hexadecimal text (compresses by half).
func newThroughputFixture(b *testing.B, engine store.Engine, mib int) *throughputFixture {
	f := &throughputFixture{work: b.TempDir()}
	f.e = newTestEnv(b, engine, fileSpec(b, "local", "paris-1", filepath.Join(b.TempDir(), "site")))
	f.tenant = f.e.createTenant("acme", 1)
	db := f.e.open("acme")
	defer db.Close()
	rows := mib * 32
	switch engine {
	case store.SQLite:
		db.Write.Exec("CREATE TABLE blob (id INTEGER PRIMARY KEY, b BLOB, t TEXT)")
		for done := 0; done < rows; done += 1024 {
			if _, err := db.Write.Exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
				INSERT INTO blob (b, t) SELECT randomblob(16384), hex(randomblob(8192)) FROM c`, min(1024, rows-done)); err != nil {
				b.Fatal(err)
			}
		}
		info, err := os.Stat(tenancy.SQLitePath(f.e.dataDir, f.tenant.Name))
		if err != nil {
			b.Fatal(err)
		}
		f.size = info.Size()
	case store.Postgres:
		db.Write.Exec("CREATE TABLE blob (id bigserial PRIMARY KEY, b bytea, t text)")
		for done := 0; done < rows; done += 256 {
			if _, err := db.Write.Exec(`INSERT INTO blob (b, t) SELECT decode(h, 'hex'), t FROM (
				SELECT string_agg(md5(random()::text), '') AS h, string_agg(md5(random()::text), '') FILTER (WHERE g <= 512) AS t
				FROM generate_series(1, $1) r, generate_series(1, 1024) g GROUP BY r) x`, min(256, rows-done)); err != nil {
				b.Fatal(err)
			}
		}
		if err := db.Read.QueryRow("SELECT pg_database_size(current_database())").Scan(&f.size); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

// timed runs op b.N times, each after prepare (outside the timer, and
// outside the CPU count), and returns the time and CPU (this process and its
// children, such as pg_dump) per operation.
func timed(b *testing.B, size int64, op func(i int), prepare func(i int)) (wall, cpu time.Duration) {
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if prepare != nil {
			b.StopTimer()
			prepare(i)
			b.StartTimer()
		}
		start := cpuTime()
		op(i)
		cpu += cpuTime() - start
	}
	b.StopTimer()
	wall = b.Elapsed() / time.Duration(b.N)
	cpu /= time.Duration(b.N)
	b.ReportMetric(float64(cpu.Milliseconds())/(float64(size)/(1<<20)), "cpu-ms/MiB")
	return wall, cpu
}

func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(children.Utime) + tv(children.Stime)
}

// BenchmarkThroughput measures, per engine, backup and restore of one
// tenant against the raw baseline in the same run: a file copy synced to
// disk on SQLite; pg_dump alone and pg_restore alone on PostgreSQL.
//
//	backup            snapshot, zstd, age, object, a read-back verified copy on the site
//	test-restore      the verification alone (Verify): scratch restore, integrity, row counts
//	run               Run: backup and test restore in one streaming pass
//	restore-as-copy   a new tenant from the site's object
//	drill             the disaster-recovery drill of the tenant from the site (RTO)
//	restore-in-place  the tenant replaced, after a verified safety backup
//
// The of-baseline row gives each as a percentage of its baseline's throughput.
func BenchmarkThroughput(b *testing.B) {
	mib := benchTenantMiB(b)
	for _, eng := range storetest.Engines() {
		b.Run(string(eng.Name), func(b *testing.B) {
			ctx := context.Background()
			f := newThroughputFixture(b, eng.Name, mib)
			walls := map[string]time.Duration{}
			run := func(name string, op func(b *testing.B, i int), prepare func(b *testing.B, i int)) {
				b.Run(name, func(b *testing.B) {
					var p func(int)
					if prepare != nil {
						p = func(i int) { prepare(b, i) }
					}
					walls[name], _ = timed(b, f.size, func(i int) { op(b, i) }, p)
				})
			}
			var last Record
			switch eng.Name {
			case store.SQLite:
				src := tenancy.SQLitePath(f.e.dataDir, f.tenant.Name)
				copyOnce := func(b *testing.B, i int) { copyFileSynced(b, src, filepath.Join(f.work, "copy.db")) }
				clean := func(b *testing.B, i int) { os.Remove(filepath.Join(f.work, "copy.db")) }
				// The first copy reads the database from disk, later ones from
				// the page cache, like the backups that follow.
				run("baseline-dump", copyOnce, clean)
				run("baseline-restore", copyOnce, clean)
			case store.Postgres:
				conn, err := f.e.storage.Connection(f.tenant)
				if err != nil {
					b.Fatal(err)
				}
				dump := filepath.Join(f.work, "baseline.pgdump")
				run("baseline-dump", func(b *testing.B, i int) {
					if err := runPG(ctx, "pg_dump", conn.Password, nil, nil, "--format=custom", "--compress=0", "--file="+dump, "--dbname="+conn.URL); err != nil {
						b.Fatal(err)
					}
				}, nil)
				var target string
				run("baseline-restore", func(b *testing.B, i int) {
					if target == "" {
						b.Fatal("no database to restore into")
					}
					if err := runPG(ctx, "pg_restore", "", nil, nil, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+target, dump); err != nil {
						b.Fatal(err)
					}
				}, func(b *testing.B, i int) { target = storetest.NewPostgresDatabase(b) })
			}
			dropEarlier := func(b *testing.B, i int) { f.dropObjects(b, last) }
			run("backup", func(b *testing.B, i int) {
				var err error
				if last, err = f.e.svc.backupWith(ctx, f.tenant, archive.KindDB, nil, false); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(last.Size)/(1<<20), "object-MiB")
			}, dropEarlier)
			run("test-restore", func(b *testing.B, i int) {
				if _, err := f.e.svc.Verify(ctx, last.ID, "local"); err != nil {
					b.Fatal(err)
				}
			}, nil)
			run("run", func(b *testing.B, i int) {
				var err error
				if last, err = f.e.svc.Run(ctx, "acme", archive.KindDB, nil); err != nil {
					b.Fatal(err)
				}
			}, dropEarlier)
			copies := 0 // across the rounds the framework runs
			run("restore-as-copy", func(b *testing.B, i int) {
				copies++
				if _, err := f.e.svc.Restore(ctx, last.ID, RestoreOptions{Site: "local", As: fmt.Sprintf("copy%d", copies)}); err != nil {
					b.Fatal(err)
				}
			}, func(b *testing.B, i int) {
				if copies == 0 {
					return
				}
				if err := f.e.provisioner.Delete(ctx, fmt.Sprintf("copy%d", copies)); err != nil {
					b.Fatal(err)
				}
			})
			run("drill", func(b *testing.B, i int) {
				st, err := f.e.svc.OpenSite(ctx, "local")
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				report, err := Drill(ctx, DrillConfig{Site: st, Identities: f.e.svc.Identities(), Scratch: filepath.Join(f.work, "drill"), Now: f.e.clock.Now, AdminURL: f.e.adminURL})
				if err != nil || !report.OK {
					b.Fatalf("drill: %+v, %v", report, err)
				}
			}, nil)
			run("restore-in-place", func(b *testing.B, i int) {
				if _, err := f.e.svc.Restore(ctx, last.ID, RestoreOptions{Site: "local"}); err != nil {
					b.Fatal(err)
				}
			}, nil)
			// The summary row: each operation as a percentage of its baseline's
			// throughput, and the drill's RTO per GiB. (A parent benchmark's log
			// is not printed, so it is a row of its own.)
			b.Run("of-baseline", func(b *testing.B) {
				for range b.N {
				}
				for _, r := range []struct{ name, baseline string }{
					{"backup", "baseline-dump"}, {"run", "baseline-dump"},
					{"restore-as-copy", "baseline-restore"}, {"restore-in-place", "baseline-restore"},
				} {
					if walls[r.name] > 0 && walls[r.baseline] > 0 {
						b.ReportMetric(100*float64(walls[r.baseline])/float64(walls[r.name]), r.name+"-%")
					}
				}
				b.ReportMetric(walls["drill"].Seconds()/(float64(f.size)/(1<<30)), "drill-s/GiB")
			})
		})
	}
}

// dropObjects removes from the site every stored object but keep's, as the
// baseline removes its copy before the next round: each round of either
// then writes into page cache the previous round freed. (Memory a virtual
// machine has not used since it booted costs several times as much to
// write into; left to the backup alone, that would be measured as its own
// cost.)
func (f *throughputFixture) dropObjects(b *testing.B, keep Record) {
	dir := f.e.cfg.Sites[0].File.Dir
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return fs.SkipAll // no backup yet
		}
		if err != nil || d.IsDir() || p == filepath.Join(dir, filepath.FromSlash(keep.ObjectKey)) {
			return err
		}
		return os.Remove(p)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// copyFileSynced is the raw baseline on SQLite: read the file, write a copy
// and sync it.
func copyFileSynced(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Sync(); err != nil {
		b.Fatal(err)
	}
	out.Close()
}
