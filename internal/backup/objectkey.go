package backup

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	"github.com/instant-erp/instanterp/internal/backup/archive"
)

// idTimeLayout starts every backup id, so ids sort by creation time and a
// site listing alone tells how old each backup is.
const idTimeLayout = "20060102-150405"

var (
	idPattern  = regexp.MustCompile(`^([0-9]{8}-[0-9]{6})-(db|full)-([0-9a-f]{8})$`)
	keyPattern = regexp.MustCompile(`^tenants/([a-z][a-z0-9-]{1,62})/([0-9]{8}-[0-9]{6}-(?:db|full)-[0-9a-f]{8})\.age$`)
)

// newID returns a fresh backup id for kind created at t.
func newID(t time.Time, kind string) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random backup id: %w", err)
	}
	return t.UTC().Format(idTimeLayout) + "-" + kind + "-" + hex.EncodeToString(b[:]), nil
}

// ObjectKey is where backup id of tenant lives on every site.
func ObjectKey(tenant, id string) string { return "tenants/" + tenant + "/" + id + ".age" }

// KeyInfo is what an object key tells about its backup.
type KeyInfo struct {
	Tenant  string
	ID      string
	Kind    string
	Created time.Time
}

// ParseObjectKey reads an object key written by ObjectKey. Anything else on
// a site (foreign files, hand-made names) is refused.
func ParseObjectKey(key string) (KeyInfo, error) {
	m := keyPattern.FindStringSubmatch(key)
	if m == nil {
		return KeyInfo{}, fmt.Errorf("object key %q is not a backup key (want tenants/<tenant>/<id>.age)", printable(key))
	}
	info, err := ParseID(m[2])
	if err != nil {
		return KeyInfo{}, err
	}
	info.Tenant = m[1]
	return info, nil
}

// ParseID reads a backup id: creation time, kind and a random suffix.
func ParseID(id string) (KeyInfo, error) {
	m := idPattern.FindStringSubmatch(id)
	if m == nil {
		return KeyInfo{}, fmt.Errorf("%q is not a backup id (want YYYYMMDD-HHMMSS-KIND-XXXXXXXX)", printable(id))
	}
	created, err := time.Parse(idTimeLayout, m[1])
	if err != nil {
		return KeyInfo{}, fmt.Errorf("backup id %q: %w", id, err)
	}
	kind := archive.KindDB
	if m[2] == archive.KindFull {
		kind = archive.KindFull
	}
	return KeyInfo{ID: id, Kind: kind, Created: created.UTC()}, nil
}

// printable keeps input quoted in messages short and valid.
func printable(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
