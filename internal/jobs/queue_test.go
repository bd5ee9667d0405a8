package jobs

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/backup"
	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/backup/site"
	"github.com/instant-erp/instanterp/internal/backup/site/sitetest"
	"github.com/instant-erp/instanterp/internal/secrets"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Replication gap and catch-up: with the S3 site down a backup completes on
// the file site and status shows the gap; once S3 is back, the River job
// puts the copy there and status shows both data centres.
func TestReplicationGapCatchUp(t *testing.T) {
	ctx := context.Background()
	s3 := sitetest.StartS3(t)
	data := t.TempDir()
	local, err := site.ParseSpec("local@paris-1=file://"+filepath.Join(data, "site"), nil)
	if err != nil {
		t.Fatal(err)
	}
	offsite, err := site.ParseSpec("offsite@frankfurt-2="+s3.URL(s3.CreateBucket("offsite"), "ie"), func(name string) string {
		return map[string]string{site.EnvS3AccessKey: s3.AccessKey(), site.EnvS3SecretKey: s3.SecretKey()}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	specs := []site.Spec{local, offsite}

	control, err := store.OpenSQLite(filepath.Join(data, "control.db"), store.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close()
	if _, err := store.Migrate(ctx, control, store.ControlSchema); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, secrets.KeySize)
	rand.Read(raw)
	key, _ := secrets.NewMasterKey(raw)
	inst, err := tenancy.OpenInstance(ctx, control, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cat := tenancy.NewCatalogue(control, nil)
	prov, _ := tenancy.NewProvisioner(tenancy.ProvisionerConfig{Catalogue: cat, Engine: store.SQLite, DataDir: data, Instance: inst, Sealer: key})
	if _, err := prov.Create(ctx, "acme", "a@acme.example"); err != nil {
		t.Fatal(err)
	}
	id, err := backup.PlatformIdentity(ctx, control, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	q, err := Open(ctx, Config{Control: control, RetryBase: 200 * time.Millisecond, RetryMax: time.Second, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Stop(context.Background())
	svc, err := backup.New(backup.Config{Control: control, Catalogue: cat, Storage: tenancy.Storage{DataDir: data, Sealer: key},
		Provisioner: prov, Identity: id, Sites: specs, DataDir: data, Enqueue: q.EnqueueReplication})
	if err != nil {
		t.Fatal(err)
	}

	s3.Stop()
	rec, err := svc.Run(ctx, "acme", archive.KindDB, nil)
	if !backup.IsReplicationError(err) {
		t.Fatalf("backup with the S3 site down: %v", err)
	}
	if !rec.VerifiedOn("local") || rec.VerifiedOn("offsite") {
		t.Fatalf("copies while S3 is down: %+v", rec.Copies)
	}
	status, _ := svc.Status(ctx)
	if len(status) != 1 || !slices.Equal(status[0].Missing, []string{"offsite"}) ||
		!slices.Contains(status[0].Problems, "newest backup not on two data centres") {
		t.Fatalf("status during the gap: %+v", status)
	}

	if err := q.Start(ctx, svc); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // a retry or two fail while the server is still down
	s3.Start()
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, _ = svc.Status(ctx)
		if len(status[0].Missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			got, _ := svc.Get(ctx, rec.ID)
			t.Fatalf("the replication job never caught up: %+v", got.Copies)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(status[0].Problems) != 0 || len(status[0].DataCentres) != 2 {
		t.Fatalf("status after catch-up: %+v", status[0])
	}
	got, _ := svc.Get(ctx, rec.ID)
	for _, c := range got.Copies {
		if c.Site == "offsite" && c.Attempts < 2 {
			t.Fatalf("offsite copied in %d attempts; the failed ones were not recorded", c.Attempts)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{base: 30 * time.Second, max: time.Hour}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, w := range want {
		if got := b.delay(i + 1); got != w {
			t.Errorf("attempt %d: %v, want %v", i+1, got, w)
		}
	}
	if got := b.delay(50); got != time.Hour {
		t.Errorf("attempt 50: %v, want the cap", got)
	}
}

func TestLatestWindowStart(t *testing.T) {
	now := time.Date(2026, 3, 2, 0, 30, 0, 0, time.UTC)
	if got := latestWindowStart(now, time.Hour); !got.Equal(time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %v", got)
	}
	if got := dailyAt(time.Hour).Next(now); !got.Equal(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("next schedule %v", got)
	}
}
