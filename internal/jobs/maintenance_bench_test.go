package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkMaintain measures one tenant's clean-up deleting 5,000 expired
// sessions and 5,000 stale login failures among as many live ones.
func BenchmarkMaintain(b *testing.B) {
	const n = 5000
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			db := e.Open(b)
			if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			for b.Loop() {
				b.StopTimer()
				seedRows(b, db, n, now)
				b.StartTimer()
				c, err := Maintain(b.Context(), db, MaintenanceConfig{Now: func() time.Time { return now }})
				if err != nil || c.Sessions != n || c.Throttle != n {
					b.Fatalf("%+v %v", c, err)
				}
			}
		})
	}
}

// seedRows replaces the sessions and failures with n expired sessions and n
// stale failures, and as many live ones of each.
func seedRows(b *testing.B, db *store.DB, n int, now time.Time) {
	b.Helper()
	ctx := context.Background()
	old, live := now.Add(-30*24*time.Hour).Unix(), now.Unix()
	for _, q := range []string{"DELETE FROM auth_session", "DELETE FROM auth_login_failure"} {
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 2*n; i += 500 {
		sess, fail := "INSERT INTO auth_session (token_hash, user_id, created_at, last_seen_at, expires_at, client_address, user_agent, csrf_token) VALUES ",
			"INSERT INTO auth_login_failure (kind, subject, at) VALUES "
		var sargs, fargs []any
		for j := i; j < i+500; j++ {
			at := old
			if j >= n {
				at = live
			}
			if j > i {
				sess, fail = sess+", ", fail+", "
			}
			sess += "(?, ?, ?, ?, ?, ?, ?, ?)"
			fail += "(?, ?, ?)"
			sargs = append(sargs, fmt.Appendf(nil, "%d-%d", now.UnixNano(), j), 1, at, at, at+7*24*3600, "192.0.2.1", "bench", []byte("csrf"))
			fargs = append(fargs, "address", fmt.Sprintf("192.0.2.%d", j%250), at)
		}
		for q, args := range map[string][]any{sess: sargs, fail: fargs} {
			if _, err := db.Write.ExecContext(ctx, db.Rebind(q), args...); err != nil {
				b.Fatal(err)
			}
		}
	}
}
