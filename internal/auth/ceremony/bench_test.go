package ceremony_test

import (
	"context"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/auth/ceremony"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func BenchmarkBeginTake(b *testing.B) {
	db := storetest.OpenSQLite(b)
	s := ceremony.New(db, nil)
	ctx := context.Background()
	if _, err := storeMigrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		h, err := s.Begin(ctx, ceremony.Ceremony{Kind: ceremony.PasskeyLogin, Data: []byte(`{"challenge":"x"}`)}, "browser", time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Take(ctx, ceremony.PasskeyLogin, h, "browser"); err != nil {
			b.Fatal(err)
		}
	}
}
