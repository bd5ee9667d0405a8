package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"time"
)

// Kinds of backup.
const (
	KindDB   = "db"   // database only, taken daily
	KindFull = "full" // database and filestore, taken weekly
)

// Manifest describes one backup object. It is the first entry of the archive.
type Manifest struct {
	ID            string           `json:"id"`
	Tenant        string           `json:"tenant"`
	Kind          string           `json:"kind"`
	Created       time.Time        `json:"created"`
	Engine        string           `json:"engine"`
	EngineVersion string           `json:"engine_version"`
	SchemaVersion int64            `json:"schema_version"`
	Members       []MemberInfo     `json:"members"`
	RowCounts     map[string]int64 `json:"row_counts,omitempty"`
	FormatVersion int              `json:"format_version"`
}

// MemberInfo describes one member of the archive.
type MemberInfo struct {
	Name   string      `json:"name"`
	Size   int64       `json:"size"`   // SizeUnknown in a version 3 manifest.json for a member stored in pieces
	SHA256 string      `json:"sha256"` // lowercase hex; empty in a version 2 manifest.json, whose hashes follow the members
	Mode   fs.FileMode `json:"mode"`   // permission bits only
}

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	tenantPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	labelPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,63}$`)
	tablePattern  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]{0,127}$`)
)

// validateHeader checks every field except Members and FormatVersion, which
// Write fills in and readers check separately.
func (m *Manifest) validateHeader() error {
	if !idPattern.MatchString(m.ID) {
		return fmt.Errorf("manifest id %q must match %s", m.ID, idPattern)
	}
	if !tenantPattern.MatchString(m.Tenant) {
		return fmt.Errorf("manifest tenant %q must match %s", m.Tenant, tenantPattern)
	}
	if m.Kind != KindDB && m.Kind != KindFull {
		return fmt.Errorf("manifest kind %q must be %q or %q", m.Kind, KindDB, KindFull)
	}
	if m.Created.IsZero() {
		return errors.New("manifest creation time is missing")
	}
	if !labelPattern.MatchString(m.Engine) {
		return fmt.Errorf("manifest engine %q must match %s", m.Engine, labelPattern)
	}
	if m.EngineVersion != "" && !labelPattern.MatchString(m.EngineVersion) {
		return fmt.Errorf("manifest engine version %q must match %s", m.EngineVersion, labelPattern)
	}
	if m.SchemaVersion < 0 {
		return fmt.Errorf("manifest schema version %d is negative", m.SchemaVersion)
	}
	if len(m.RowCounts) > maxRowCountTables {
		return fmt.Errorf("manifest has row counts for %d tables, more than %d", len(m.RowCounts), maxRowCountTables)
	}
	for table, n := range m.RowCounts {
		if !tablePattern.MatchString(table) {
			return fmt.Errorf("manifest row count table %q must match %s", table, tablePattern)
		}
		if n < 0 {
			return fmt.Errorf("manifest row count for %q is negative", table)
		}
	}
	return nil
}

// validate checks a complete manifest, as a reader must before trusting it.
func (m *Manifest) validate() error {
	if m.FormatVersion < formatV1 || m.FormatVersion > FormatVersion {
		return fmt.Errorf("manifest format version %d is not supported (want %d to %d)", m.FormatVersion, formatV1, FormatVersion)
	}
	if err := m.validateHeader(); err != nil {
		return err
	}
	if len(m.Members) > MaxMembers {
		return fmt.Errorf("manifest lists %d members, more than %d", len(m.Members), MaxMembers)
	}
	seen := make(map[string]struct{}, len(m.Members))
	for _, mem := range m.Members {
		if err := mem.validate(m.FormatVersion); err != nil {
			return err
		}
		if _, dup := seen[mem.Name]; dup {
			return fmt.Errorf("manifest lists member %q twice", mem.Name)
		}
		seen[mem.Name] = struct{}{}
	}
	return nil
}

// validate checks one member entry of a manifest of the given format
// version: version 1 carries the hash, later versions leave it to
// checksums.json; from version 3 the size may be left to it too.
func (mi MemberInfo) validate(version int) error {
	if err := ValidateMemberName(mi.Name); err != nil {
		return err
	}
	if mi.Size < 0 && (mi.Size != SizeUnknown || version < FormatVersion) {
		return fmt.Errorf("member %q has negative size %d", mi.Name, mi.Size)
	}
	switch {
	case version == formatV1 && !isSHA256Hex(mi.SHA256):
		return fmt.Errorf("member %q has malformed sha256 %q", mi.Name, mi.SHA256)
	case version != formatV1 && mi.SHA256 != "":
		return fmt.Errorf("member %q has a sha256 in a version %d manifest, whose hashes belong in %s", mi.Name, version, checksumsName)
	}
	if mi.Mode&^fs.ModePerm != 0 {
		return fmt.Errorf("member %q has mode %v, only permission bits are allowed", mi.Name, mi.Mode)
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// decodeManifest parses and validates manifest.json strictly: unknown fields,
// trailing data and any invalid field are refused.
func decodeManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("parse manifest: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Manifest{}, errors.New("parse manifest: trailing data after the JSON object")
	}
	if err := m.validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// memberIndex maps member names to their position in Members.
func (m *Manifest) memberIndex() map[string]int {
	idx := make(map[string]int, len(m.Members))
	for i, mem := range m.Members {
		idx[mem.Name] = i
	}
	return idx
}

// checksums is checksums.json, the last entry of an object from version 2
// on: the SHA-256 of every member and, from version 3, its size, in the
// manifest's order. It comes after the members because the writer hashes
// and counts each member while streaming it, once.
type checksums struct {
	SHA256 []string `json:"sha256"`
	Size   []int64  `json:"size,omitempty"`
}

// decodeChecksums parses checksums.json strictly for a manifest of n
// members in the given format version.
func decodeChecksums(data []byte, n, version int) (checksums, error) {
	var c checksums
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return checksums{}, fmt.Errorf("parse %s: %w", checksumsName, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return checksums{}, fmt.Errorf("parse %s: trailing data after the JSON object", checksumsName)
	}
	if len(c.SHA256) != n {
		return checksums{}, fmt.Errorf("%s lists %d hashes for %d members", checksumsName, len(c.SHA256), n)
	}
	for i, sum := range c.SHA256 {
		if !isSHA256Hex(sum) {
			return checksums{}, fmt.Errorf("%s: hash %d is malformed", checksumsName, i)
		}
	}
	switch {
	case version < FormatVersion && c.Size != nil:
		return checksums{}, fmt.Errorf("%s of a version %d object lists sizes", checksumsName, version)
	case version >= FormatVersion && len(c.Size) != n:
		return checksums{}, fmt.Errorf("%s lists %d sizes for %d members", checksumsName, len(c.Size), n)
	}
	for i, size := range c.Size {
		if size < 0 || size > MaxStreamedSize {
			return checksums{}, fmt.Errorf("%s: size %d is out of range", checksumsName, i)
		}
	}
	return c, nil
}
