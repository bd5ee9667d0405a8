package audit_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// FuzzAppend feeds arbitrary names and text to Append: an entry is either refused
// or stored cleaned (valid UTF-8, no control characters, bounded), and the chain
// always verifies.
func FuzzAppend(f *testing.F) {
	f.Add("portal.view", "sale.order", "access link", "203.0.113.7", "op", "view")
	f.Add("backup.download", "", "admin@example.com", "::1", "export", "20260301T093015Z-full")
	f.Add("portal.accept", "sale.order", "Jane\nDoe\x00\xff", "1.2.3.4\r\n", "signed_by", "\u202eevil")
	f.Add("x'; DROP TABLE audit_log; --", "a.b", "", "", "K", "")
	db := storetest.OpenSQLite(f)
	ctx := context.Background()
	if _, err := store.Migrate(ctx, db, store.TenantSchema); err != nil {
		f.Fatal(err)
	}
	log := audit.New(db, nil)
	f.Fuzz(func(t *testing.T, action, model, label, address, key, value string) {
		en := audit.Entry{ActorKind: audit.ActorPortal, Action: action, Model: model, ActorLabel: label,
			Address: address, Detail: map[string]string{key: value}}
		if err := log.Append(ctx, en); err != nil {
			return
		}
		got, err := log.List(ctx, audit.Filter{Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("List = %v, %v", got, err)
		}
		e := got[0]
		if e.Action != action || e.Model != model {
			t.Fatalf("names changed: %q %q", e.Action, e.Model)
		}
		for _, s := range []string{e.ActorLabel, e.Address, e.Detail[key]} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) || len(s) > 256 {
				t.Fatalf("stored text not cleaned: %q", s)
			}
		}
		if _, err := log.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
