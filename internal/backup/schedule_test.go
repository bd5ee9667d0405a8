package backup

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/archive"
	"github.com/instant-erp/instanterp/internal/store"
)

func TestJitterSpreadsTenantsOverTheWindow(t *testing.T) {
	window := 4 * time.Hour
	buckets := make([]int, 8)
	for i := range 1000 {
		j := Jitter(fmt.Sprintf("tenant-%d", i), window)
		if j < 0 || j >= window {
			t.Fatalf("jitter %v outside the window", j)
		}
		buckets[int(j/(window/8))]++
	}
	for i, n := range buckets {
		if n < 80 || n > 170 {
			t.Fatalf("half-hour %d of the window holds %d of 1000 tenants: %v", i, n, buckets)
		}
	}
	if Jitter("acme", window) != Jitter("acme", window) {
		t.Fatal("jitter is not stable")
	}
}

func TestNextWindowStart(t *testing.T) {
	cases := []struct{ now, want string }{
		{"2026-03-01T00:30:00Z", "2026-03-01T01:00:00Z"},
		{"2026-03-01T01:00:00Z", "2026-03-01T01:00:00Z"},
		{"2026-03-01T01:00:01Z", "2026-03-02T01:00:00Z"},
		{"2026-12-31T23:00:00Z", "2027-01-01T01:00:00Z"},
	}
	for _, c := range cases {
		now, _ := time.Parse(time.RFC3339, c.now)
		if got := NextWindowStart(now, time.Hour); got.Format(time.RFC3339) != c.want {
			t.Errorf("NextWindowStart(%s) = %s, want %s", c.now, got.Format(time.RFC3339), c.want)
		}
	}
}

// Retention with a fake clock over 60 simulated days: each night the plan
// is run and pruned; at the end every site holds exactly 7 daily and 4
// weekly backups per tenant, and the newest verified backup is among them.
func TestRetentionOverSixtyDays(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, store.SQLite)
	e.createTenant("acme", 3)
	e.createTenant("globex", 3)
	start := NextWindowStart(e.clock.Now(), time.Hour)
	window := 4 * time.Hour
	for day := range 60 {
		windowStart := start.AddDate(0, 0, day)
		plan, err := e.svc.Plan(ctx, windowStart, window)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan) != 2 {
			t.Fatalf("day %d: plan %+v", day, plan)
		}
		for _, p := range plan {
			e.clock.now = p.At
			if _, err := e.svc.Run(ctx, p.Tenant, p.Kind, nil); err != nil {
				t.Fatalf("day %d: %v", day, err)
			}
		}
		e.clock.now = windowStart.Add(window)
		if _, err := e.svc.Prune(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, spec := range e.cfg.Sites {
		st, err := e.svc.cfg.OpenSite(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, tenant := range []string{"acme", "globex"} {
			objs, err := st.List(ctx, "tenants/"+tenant+"/")
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, o := range objs {
				info, err := ParseObjectKey(o.Key)
				if err != nil {
					t.Fatal(err)
				}
				kinds[info.Kind]++
			}
			if kinds[archive.KindDB] != 7 || kinds[archive.KindFull] != 4 {
				t.Errorf("site %s, tenant %s: %v", spec.Name, tenant, kinds)
			}
		}
		st.Close()
	}
	list, _ := e.svc.List(ctx, "acme")
	if len(list) != 11 {
		t.Fatalf("catalogue holds %d backups of acme, want 11", len(list))
	}
	var fulls []time.Time
	for _, rec := range list {
		if rec.Kind == archive.KindFull {
			fulls = append(fulls, rec.Created)
		}
	}
	for i := 1; i < len(fulls); i++ {
		if d := fulls[i-1].Sub(fulls[i]); d != 7*24*time.Hour {
			t.Fatalf("full backups %v apart, want a week", d)
		}
	}
	if !list[0].Verified() || list[0].Created.Before(start.AddDate(0, 0, 59)) {
		t.Fatalf("newest backup %+v", list[0])
	}
}

// Retention never deletes a tenant's newest verified backup, even when it
// is older than everything retention keeps.
func TestRetentionKeepsNewestVerified(t *testing.T) {
	day := 24 * time.Hour
	t0 := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	var recs []Record
	for i := range 10 {
		recs = append(recs, Record{ID: fmt.Sprintf("b%02d", i), Kind: archive.KindDB, Created: t0.Add(time.Duration(i) * day)})
	}
	r := Retention{Daily: 3, Weekly: 1}.withDefaults()
	drop := r.prunable(recs, "b02")
	if len(drop) != 6 {
		t.Fatalf("dropped %d, want 6", len(drop))
	}
	for _, d := range drop {
		if d.ID == "b02" || d.ID >= "b07" {
			t.Fatalf("dropped %s", d.ID)
		}
	}
}
