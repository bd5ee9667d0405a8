package session_test

import (
	"context"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// BenchmarkLookup is the per-request session check on a warm database (the touch
// write happens at most once a minute, so it is not in the loop).
func BenchmarkLookup(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Name), func(b *testing.B) {
			ctx := context.Background()
			s := newStore(b, openDB(b, e), newClock())
			for i := range 1000 {
				if _, _, err := s.Create(ctx, int64(i+1), "192.0.2.1", "bench"); err != nil {
					b.Fatal(err)
				}
			}
			_, tok, err := s.Create(ctx, 1, "192.0.2.1", "bench")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Lookup(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
