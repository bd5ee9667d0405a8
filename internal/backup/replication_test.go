package backup

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/backup/site/sitetest"
	"github.com/instant-erp/instanterp/internal/store"
)

// remoteServer is a real server behind an off-site backup site.
type remoteServer struct {
	kind  string
	start func(t *testing.T) (spec site.Spec, stop, restart func())
}

func remoteServers() []remoteServer {
	return []remoteServer{
		{"sftp", func(t *testing.T) (site.Spec, func(), func()) {
			server := sitetest.StartSSHD(t)
			spec, err := site.ParseSpec("remote@frankfurt-2="+server.URL(server.SiteDir("remote"), server.KnownHosts()), nil)
			if err != nil {
				t.Fatal(err)
			}
			return spec, server.Stop, server.Start
		}},
		{"s3", func(t *testing.T) (site.Spec, func(), func()) {
			server := sitetest.StartS3(t)
			env := func(name string) string {
				return map[string]string{site.EnvS3AccessKey: server.AccessKey(), site.EnvS3SecretKey: server.SecretKey()}[name]
			}
			spec, err := site.ParseSpec("remote@frankfurt-2="+server.URL(server.CreateBucket("remote"), "ie"), env)
			if err != nil {
				t.Fatal(err)
			}
			return spec, server.Stop, server.Start
		}},
	}
}

// Through the service, against real SFTP and S3 servers: a backup made
// while the remote site is down completes on the local one and status shows
// the gap; once the server is back, catching up closes it; then verify,
// restore and the drill all work from the remote site alone.
func TestReplicationToRemoteSites(t *testing.T) {
	for _, rs := range remoteServers() {
		t.Run(rs.kind, func(t *testing.T) {
			ctx := context.Background()
			remote, stop, restart := rs.start(t)
			local := fileSpec(t, "local", "paris-1", filepath.Join(t.TempDir(), "local"))
			e := newTestEnv(t, store.SQLite, local, remote)
			e.createTenant("acme", 40)

			stop()
			rec, err := e.svc.Run(ctx, "acme", archive.KindFull, nil)
			var re *ReplicationError
			if !errors.As(err, &re) || re.Sites["remote"] == nil || !errors.Is(re.Sites["remote"], site.ErrUnavailable) {
				t.Fatalf("backup with the %s server down: %v", rs.kind, err)
			}
			if !rec.Verified() || !rec.VerifiedOn("local") || rec.VerifiedOn("remote") || !e.svc.inOutbox(rec.ID) {
				t.Fatalf("during the gap: verified=%v copies=%+v outbox=%v", rec.Verified(), rec.Copies, e.svc.inOutbox(rec.ID))
			}
			status, _ := e.svc.Status(ctx)
			if len(status) != 1 || !slices.Equal(status[0].Missing, []string{"remote"}) ||
				!slices.Contains(status[0].Problems, "newest backup not on two data centres") {
				t.Fatalf("status during the gap: %+v", status)
			}

			restart()
			if closed, err := e.svc.CatchUp(ctx); err != nil || closed != 1 {
				t.Fatalf("catch-up closed %d gaps: %v", closed, err)
			}
			status, _ = e.svc.Status(ctx)
			if len(status[0].Problems) != 0 || len(status[0].DataCentres) != 2 || e.svc.inOutbox(rec.ID) {
				t.Fatalf("status after catch-up: %+v (outbox %v)", status[0], e.svc.inOutbox(rec.ID))
			}

			if _, err := e.svc.Verify(ctx, rec.ID, "remote"); err != nil {
				t.Fatalf("verify from %s: %v", rs.kind, err)
			}
			want := e.notes("acme")
			e.addNotes("acme", 7)
			if _, err := e.svc.Restore(ctx, rec.ID, RestoreOptions{Site: "remote"}); err != nil {
				t.Fatalf("restore from %s: %v", rs.kind, err)
			}
			if got := e.notes("acme"); !slices.Equal(got, want) {
				t.Fatalf("after restoring from %s: %d notes, want %d", rs.kind, len(got), len(want))
			}

			st, err := site.Open(ctx, remote)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			e.clock.Advance(time.Hour)
			report, err := Drill(ctx, DrillConfig{Site: st, Identities: e.svc.Identities(), Scratch: filepath.Join(t.TempDir(), "drill"), Now: e.clock.Now})
			if err != nil || !report.OK || len(report.Tenants) != 1 {
				t.Fatalf("drill from %s: %+v, %v", rs.kind, report, err)
			}
		})
	}
}

// A site whose SSH host key does not match the pinned one never receives
// a copy, and the backup is shown as missing there.
func TestReplicationRefusesWrongHostKey(t *testing.T) {
	ctx := context.Background()
	server := sitetest.StartSSHD(t)
	impostor := filepath.Join(t.TempDir(), "known_hosts")
	server.WriteKnownHosts(impostor, sitetest.WriteSSHKey(t, filepath.Join(t.TempDir(), "other_host_key")))
	remote, err := site.ParseSpec("remote@frankfurt-2="+server.URL(server.SiteDir("remote"), impostor), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, store.SQLite, fileSpec(t, "local", "paris-1", filepath.Join(t.TempDir(), "local")), remote)
	e.createTenant("acme", 3)
	rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
	var re *ReplicationError
	if !errors.As(err, &re) || !errors.Is(re.Sites["remote"], site.ErrHostKey) {
		t.Fatalf("backup to an impostor: %v", err)
	}
	if rec.VerifiedOn("remote") {
		t.Fatalf("copy on the impostor marked verified: %+v", rec.Copies)
	}
}

// A snapshot taken while the tenant keeps writing is one consistent state:
// the backup passes its test restore, whose row counts must equal the
// manifest's, taken in the same read transaction as the pages.
func TestSnapshotWhileWriting(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 100)
	db := e.open("acme")
	defer db.Close()
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			if _, err := db.Write.Exec("INSERT INTO note (body) VALUES (printf('%.2000c', 'w'))"); err == nil {
				n++
			}
		}
	}()
	var recs []Record
	for range 3 {
		rec, err := e.svc.Run(ctx, "acme", archive.KindDB, nil)
		if err != nil {
			close(stop)
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	close(stop)
	if n := <-done; n == 0 {
		t.Fatal("no write happened during the backups; the test proves nothing")
	}
	for _, rec := range recs {
		if !rec.Verified() || rec.VerifyError != "" {
			t.Fatalf("backup taken during writes failed its test restore: %+v", rec)
		}
	}
}
