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
