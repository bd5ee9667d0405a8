package backup

import (
	"strings"
	"testing"
	"time"
)

func TestObjectKeys(t *testing.T) {
	created := time.Date(2026, 3, 1, 2, 3, 4, 0, time.UTC)
	id, err := newID(created, "full")
	if err != nil {
		t.Fatal(err)
	}
	info, err := ParseObjectKey(ObjectKey("acme", id))
	if err != nil || info.Tenant != "acme" || info.ID != id || info.Kind != "full" || !info.Created.Equal(created) {
		t.Fatalf("round trip: %+v %v", info, err)
	}
	for _, bad := range []string{
		"", "tenants/acme/x.age", "tenants/../20260301-020304-db-0011aabb.age",
		"tenants/acme/20260301-020304-db-0011aabb.age/../../x", "/tenants/acme/20260301-020304-db-0011aabb.age",
		"tenants/ACME/20260301-020304-db-0011aabb.age", "tenants/acme/20261301-020304-db-0011aabb.age",
		"tenants/acme/20260301-020304-weekly-0011aabb.age", "tenants/acme/20260301-020304-db-0011aabb.age.partial",
		"tenants/a/20260301-020304-db-0011aabb.age",
	} {
		if _, err := ParseObjectKey(bad); err == nil {
			t.Errorf("ParseObjectKey(%q) accepted", bad)
		}
	}
}

func FuzzParseObjectKey(f *testing.F) {
	f.Add("tenants/acme/20260301-020304-db-0011aabb.age")
	f.Add("tenants/acme/20260301-020304-full-0011aabb.age")
	f.Add("tenants/../../etc/passwd")
	f.Add("tenants/acme/99999999-999999-db-0011aabb.age")
	f.Fuzz(func(t *testing.T, key string) {
		info, err := ParseObjectKey(key)
		if err != nil {
			return
		}
		if ObjectKey(info.Tenant, info.ID) != key {
			t.Fatalf("%q parsed to %+v, which does not rebuild it", key, info)
		}
		if strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
			t.Fatalf("accepted %q", key)
		}
		if info.Kind != "db" && info.Kind != "full" {
			t.Fatalf("kind %q", info.Kind)
		}
	})
}
