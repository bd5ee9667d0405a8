package session_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/instant-erp/instanterp/internal/auth/session"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestDeleteOthersTxCommitsWithTheCaller(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := openDB(t, e)
		s := newStore(t, db, newClock())
		_, tok, err := s.Create(ctx, 9, "192.0.2.1", "browser")
		if err != nil {
			t.Fatal(err)
		}
		rollback := errors.New("the password write failed")
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			if n, err := s.DeleteOthersTx(ctx, tx, 9, 0); err != nil || n != 1 {
				t.Fatalf("DeleteOthersTx = %d, %v", n, err)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if _, err := s.Lookup(ctx, tok); err != nil {
			t.Fatalf("session ended although the transaction rolled back: %v", err)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { _, err := s.DeleteOthersTx(ctx, tx, 9, 0); return err }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lookup(ctx, tok); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("session after committed DeleteOthersTx: %v", err)
		}
	})
}

// EndOfUsers ends the sessions of exactly the users named, in the caller's
// transaction, keeping only the session given; a rolled-back transaction ends
// none.
func TestEndOfUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := openDB(t, e)
		s := newStore(t, db, newClock())
		type signedIn struct {
			user  int64
			id    int64
			token string
		}
		var all []signedIn
		for _, uid := range []int64{3, 3, 4, 5} {
			sess, tok, err := s.Create(ctx, uid, "192.0.2.1", "browser")
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, signedIn{uid, sess.ID, tok})
		}
		alive := func() []int64 {
			var out []int64
			for _, si := range all {
				if _, err := s.Lookup(ctx, si.token); err == nil {
					out = append(out, si.id)
				} else if !errors.Is(err, session.ErrNotFound) {
					t.Fatal(err)
				}
			}
			return out
		}
		rollback := errors.New("the group change failed")
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			if n, err := session.EndOfUsers(ctx, tx, db.Engine, []int64{3, 4}, 0); err != nil || n != 3 {
				t.Fatalf("EndOfUsers = %d, %v", n, err)
			}
			return rollback
		}); !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if got := alive(); len(got) != 4 {
			t.Fatalf("sessions alive after a rollback: %v", got)
		}
		// User 3 acts from their first session and keeps it.
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			n, err := session.EndOfUsers(ctx, tx, db.Engine, []int64{3, 4}, all[0].id)
			if err == nil && n != 2 {
				t.Fatalf("ended %d sessions, want 2", n)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got, want := alive(), []int64{all[0].id, all[3].id}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("sessions alive %v, want %v", got, want)
		}
	})
}
