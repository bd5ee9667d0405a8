package jobs

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/instant-erp/instanterp/internal/auth/apikey"
	"github.com/instant-erp/instanterp/internal/auth/ceremony"
	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/auth/throttle"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// seedAuthState writes, in a tenant database, one expired and one live row of
// everything maintenance cleans: API keys, sessions, login failures, lock-outs
// and ceremonies. Live rows are marked "live" where a column allows it.
func seedAuthState(t *testing.T, db *store.DB, now time.Time) {
	t.Helper()
	ctx := context.Background()
	old := now.Add(-30 * 24 * time.Hour)
	oldClock := func() time.Time { return old }
	steps := []func() error{
		func() error {
			_, _, err := apikey.NewStore(db, apikey.Config{Now: oldClock}).Create(ctx,
				apikey.NewKey{UserID: 1, Name: "expired", Scope: apikey.ScopeRPC, ExpiresAt: old.Add(24 * time.Hour)})
			return err
		},
		func() error {
			_, _, err := apikey.NewStore(db, apikey.Config{}).Create(ctx,
				apikey.NewKey{UserID: 1, Name: "live", Scope: apikey.ScopeRPC, ExpiresAt: now.Add(24 * time.Hour)})
			return err
		},
		func() error {
			st, err := session.NewStore(db, session.Config{Now: oldClock})
			if err == nil {
				_, _, err = st.Create(ctx, 1, "192.0.2.1", "expired")
			}
			return err
		},
		func() error {
			st, err := session.NewStore(db, session.Config{})
			if err == nil {
				_, _, err = st.Create(ctx, 1, "192.0.2.2", "live")
			}
			return err
		},
		func() error {
			cfg := throttle.DefaultConfig()
			cfg.Now = oldClock
			th, err := throttle.New(db, cfg)
			if err == nil {
				err = th.RecordFailure(ctx, "192.0.2.1", "expired@example.com")
			}
			return err
		},
		func() error {
			th, err := throttle.New(db, throttle.DefaultConfig())
			if err == nil {
				err = th.RecordFailure(ctx, "192.0.2.2", "live@example.com")
			}
			return err
		},
		func() error {
			_, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO auth_lockout (kind, subject, locked_until, lockouts, last_locked_at)
				VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)`),
				"account", "expired@example.com", old.Unix(), 1, old.Unix(),
				"account", "live@example.com", now.Add(time.Hour).Unix(), 1, now.Unix())
			return err
		},
		func() error {
			_, err := ceremony.New(db, oldClock).Begin(ctx, ceremony.Ceremony{Kind: ceremony.OIDCLogin}, "browser", 5*time.Minute)
			return err
		},
		func() error {
			_, err := ceremony.New(db, nil).Begin(ctx, ceremony.Ceremony{Kind: ceremony.OIDCLogin}, "browser", 10*time.Minute)
			return err
		},
		func() error {
			_, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO auth_totp_failure (user_id, at) VALUES (?, ?), (?, ?)`),
				1, old.Unix(), 1, now.Unix())
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("seed step %d: %v", i, err)
		}
	}
}

// authState summarises what is left: per table, the rows a clean-up must
// delete (stale) and the ones it must keep (live).
type authState struct{ stale, live map[string]int }

func readAuthState(t *testing.T, db *store.DB, now time.Time) authState {
	t.Helper()
	cut := now.Add(-24 * time.Hour).Unix()
	s := authState{stale: map[string]int{}, live: map[string]int{}}
	for table, column := range map[string]string{
		"auth_api_key": "expires_at", "auth_session": "expires_at", "auth_login_failure": "at",
		"auth_lockout": "locked_until", "auth_ceremony": "expires_at", "auth_totp_failure": "at",
	} {
		var stale, live int
		q := fmt.Sprintf("SELECT COALESCE(SUM(CASE WHEN %[1]s <= ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN %[1]s > ? THEN 1 ELSE 0 END), 0) FROM %[2]s",
			column, table)
		if err := db.Read.QueryRowContext(context.Background(), db.Rebind(q), cut, cut).Scan(&stale, &live); err != nil {
			s.stale[table], s.live[table] = -1, -1 // a dropped table
			continue
		}
		s.stale[table], s.live[table] = stale, live
	}
	return s
}

// The periodic maintenance fans out to every active tenant: expired keys,
// sessions, throttle rows and ceremonies are gone, live ones untouched; a
// suspended tenant is left alone; a tenant whose clean-up fails is retried by
// River without holding up the others.
func TestTenantMaintenance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		p := newTestPlatform(t, e.Name, false)
		p.create(t, "acme", "broken", "dormant")
		now := time.Now()
		for _, name := range []string{"acme", "broken", "dormant"} {
			p.tenantDB(t, name, func(db *store.DB) { seedAuthState(t, db, now) })
		}
		seeded := map[string]int{"auth_api_key": 1, "auth_session": 1, "auth_login_failure": 2, "auth_lockout": 1, "auth_ceremony": 1, "auth_totp_failure": 1}
		p.tenantDB(t, "acme", func(db *store.DB) {
			if got := readAuthState(t, db, now); fmt.Sprint(got.stale) != fmt.Sprint(seeded) || fmt.Sprint(got.live) != fmt.Sprint(seeded) {
				t.Fatalf("seeded state %+v; the test would prove nothing", got)
			}
		})
		// The clean-up of ceremonies fails in "broken": its table is gone.
		p.tenantDB(t, "broken", func(db *store.DB) {
			if _, err := db.Write.ExecContext(ctx, "DROP TABLE auth_ceremony"); err != nil {
				t.Fatal(err)
			}
		})
		if _, err := p.provisioner.Suspend(ctx, "dormant"); err != nil {
			t.Fatal(err)
		}

		// Every 3 s, so each tenant's job starts within half a second.
		q := p.queue(t, Config{MaintainEvery: 3 * time.Second})
		// A job queued for a tenant that is gone by the time it runs (deleted,
		// or never existed) reaches no database and is not retried.
		if _, err := q.insert(ctx, MaintainArgs{Tenant: "ghost"}, &river.InsertOpts{Queue: tenantQueue}); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx, nil); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "acme's maintenance, two attempts on broken's, ghost's cancelled", func() bool {
			done, retried, cancelled := false, false, false
			for _, j := range p.jobsOf(t, KindMaintain) {
				done = done || j.Tenant == "acme" && j.State == "completed"
				retried = retried || j.Tenant == "broken" && j.Attempt >= 2
				cancelled = cancelled || j.Tenant == "ghost" && j.State == "cancelled" && j.Attempt == 1
			}
			return done && retried && cancelled
		})

		cleaned := map[string]int{"auth_api_key": 0, "auth_session": 0, "auth_login_failure": 0, "auth_lockout": 0, "auth_ceremony": 0, "auth_totp_failure": 0}
		p.tenantDB(t, "acme", func(db *store.DB) {
			got := readAuthState(t, db, now)
			if fmt.Sprint(got.stale) != fmt.Sprint(cleaned) || fmt.Sprint(got.live) != fmt.Sprint(seeded) {
				t.Errorf("acme after maintenance: stale %v live %v", got.stale, got.live)
			}
			// The live key still works: maintenance deleted by expiry, not by user.
			var names []string
			rows, err := db.Read.QueryContext(ctx, "SELECT name FROM auth_api_key")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var n string
				rows.Scan(&n)
				names = append(names, n)
			}
			rows.Close()
			if strings.Join(names, ",") != "live" {
				t.Errorf("API keys left: %v", names)
			}
		})
		p.tenantDB(t, "broken", func(db *store.DB) {
			got := readAuthState(t, db, now)
			for table, n := range got.stale {
				if table != "auth_ceremony" && n != 0 {
					t.Errorf("broken: %d stale rows left in %s; one failing clean-up stopped the others", n, table)
				}
			}
		})
		// A suspended tenant gets no job: its database is not even opened.
		for _, j := range p.jobsOf(t, KindMaintain) {
			if j.Tenant == "dormant" {
				t.Errorf("a job was queued for the suspended tenant: %+v", j)
			}
		}
		if _, err := p.provisioner.Resume(ctx, "dormant"); err != nil {
			t.Fatal(err)
		}
		p.tenantDB(t, "dormant", func(db *store.DB) {
			if got := readAuthState(t, db, now); fmt.Sprint(got.stale) != fmt.Sprint(seeded) {
				t.Errorf("suspended tenant cleaned: %v", got.stale)
			}
		})
		// Counts are logged per tenant; the failure names its tenant too.
		log := p.log.String()
		if !regexp.MustCompile(`msg="tenant maintenance" tenant=acme api_keys=1 sessions=1 throttle_rows=3 ceremonies=1`).MatchString(log) {
			t.Errorf("no count line for acme in the log:\n%s", log)
		}
		if !regexp.MustCompile(`msg="tenant maintenance incomplete" tenant=broken .*auth_ceremony`).MatchString(log) {
			t.Errorf("no failure line for broken in the log:\n%s", log)
		}
	})
}

func TestJitterIsStableAndBounded(t *testing.T) {
	for _, name := range []string{"a", "acme", "zeta-corp", strings.Repeat("x", 63)} {
		j := jitter(name, 10*time.Minute)
		if j < 0 || j >= 10*time.Minute || j != jitter(name, 10*time.Minute) {
			t.Errorf("jitter(%q) = %v", name, j)
		}
	}
	if jitter("acme", time.Hour) == jitter("globex", time.Hour) {
		t.Error("two tenants share one offset; the spread would not spread")
	}
}
