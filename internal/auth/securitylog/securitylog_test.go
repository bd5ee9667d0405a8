package securitylog_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func newLog(t *testing.T, e storetest.Engine, now time.Time) (*securitylog.Log, *store.DB) {
	t.Helper()
	db := e.Open(t)
	if _, err := store.Migrate(context.Background(), db, store.TenantSchema); err != nil {
		t.Fatal(err)
	}
	return securitylog.New(db, func() time.Time { return now }), db
}

func TestAppendAndList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		log, _ := newLog(t, e, now)
		events := []securitylog.Event{
			{Kind: securitylog.LoginFailure, Login: "ghost", Address: "203.0.113.7", UserAgent: "curl/8"},
			{Kind: securitylog.LoginSuccess, UserID: 5, Login: "alice", Address: "192.0.2.1", UserAgent: "Firefox"},
			{Kind: securitylog.APIKeyCreated, UserID: 5, Login: "alice", Reference: "key 12"},
			{Kind: securitylog.BanLifted, ActorID: 1, Reference: "address 203.0.113.7"},
		}
		for _, ev := range events {
			if err := log.Append(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		all, err := log.List(ctx, securitylog.Filter{})
		if err != nil || len(all) != 4 {
			t.Fatalf("List = %d, %v", len(all), err)
		}
		if all[0].Kind != securitylog.BanLifted || all[0].ActorID != 1 || all[0].UserID != 0 || !all[0].At.Equal(now) {
			t.Fatalf("newest = %+v", all[0])
		}
		if all[3].Login != "ghost" || all[3].UserAgent != "curl/8" || all[3].Address != "203.0.113.7" {
			t.Fatalf("oldest = %+v", all[3])
		}
		alice, _ := log.List(ctx, securitylog.Filter{UserID: 5})
		if len(alice) != 2 || alice[0].Reference != "key 12" {
			t.Fatalf("alice's events = %+v", alice)
		}
		failures, _ := log.List(ctx, securitylog.Filter{Kind: securitylog.LoginFailure})
		if len(failures) != 1 {
			t.Fatalf("failures = %+v", failures)
		}
		page, _ := log.List(ctx, securitylog.Filter{BeforeID: all[1].ID, Limit: 1})
		if len(page) != 1 || page[0].ID != all[2].ID {
			t.Fatalf("page = %+v", page)
		}
	})
}

func TestAppendRefusesAndCleans(t *testing.T) {
	ctx := context.Background()
	log, db := newLog(t, storetest.Engines()[0], time.Now())
	if err := log.Append(ctx, securitylog.Event{Kind: "password.value"}); err == nil {
		t.Fatal("unknown kind accepted")
	}
	if _, err := log.List(ctx, securitylog.Filter{Kind: "x' OR '1'='1"}); err == nil {
		t.Fatal("unknown kind filter accepted")
	}
	var n int
	db.Read.QueryRow("SELECT COUNT(*) FROM auth_security_log").Scan(&n)
	if n != 0 {
		t.Fatalf("a refused event was written")
	}
	err := log.Append(ctx, securitylog.Event{
		Kind:      securitylog.LoginFailure,
		Login:     "alice\nlogin.success alice",
		UserAgent: strings.Repeat("ż", 1000) + "\xff",
		Address:   "192.0.2.1\r\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := log.List(ctx, securitylog.Filter{})
	e := got[0]
	if strings.ContainsAny(e.Login+e.Address, "\r\n") {
		t.Fatalf("control characters kept: %q %q", e.Login, e.Address)
	}
	if len(e.UserAgent) > 512 || !utf8.ValidString(e.UserAgent) {
		t.Fatalf("user agent %d bytes, valid UTF-8 %v", len(e.UserAgent), utf8.ValidString(e.UserAgent))
	}
}

// The event has no field that could carry a secret; this pins the field list down so
// a field added later gets a second look.
func TestEventHasNoSecretField(t *testing.T) {
	want := "ID At Kind UserID ActorID Login Address UserAgent Reference"
	typ := reflect.TypeFor[securitylog.Event]()
	var names []string
	for i := range typ.NumField() {
		names = append(names, typ.Field(i).Name)
	}
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("Event fields %q, want %q: check that none can hold a password, hash, token or key", got, want)
	}
}
