package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// Test-only keys, fixed so that fuzz corpus entries stay meaningful.
const (
	testPlatformSecret = "AGE-SECRET-KEY-1XYN0GX2HAETRFW89WFHNVDMXWZ2NJWGC8CSRAXFDHUQ69J7EKE8SATQCEX"
	testRecoverySecret = "AGE-SECRET-KEY-1453ZSGD2MRDM6DH022NRM67GPG4WZ9FSASMDV58QPRZ4UPXWCYJQDD4KRD"
)

func mustIdentity(t testing.TB, secret string) *age.X25519Identity {
	t.Helper()
	id, err := ParseIdentity(secret)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func sampleManifest() Manifest {
	return Manifest{
		ID:            "20260102T030405Z-acme-full",
		Tenant:        "acme",
		Kind:          KindFull,
		Created:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Engine:        "sqlite",
		EngineVersion: "3.51.0",
		SchemaVersion: 42,
		RowCounts:     map[string]int64{"res_partner": 12, "sale_order": 3},
	}
}

func memorySource(name string, data []byte) Source {
	return Source{
		Name: name,
		Size: int64(len(data)),
		Mode: 0o640,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

// writeObject writes a backup of sources to the platform recipient and
// returns the encrypted bytes.
func writeTestObject(t testing.TB, sources []Source, recipients ...age.Recipient) ([]byte, Result) {
	t.Helper()
	if len(recipients) == 0 {
		recipients = []age.Recipient{mustIdentity(t, testPlatformSecret).Recipient()}
	}
	var buf bytes.Buffer
	res, err := Write(context.Background(), &buf, sampleManifest(), sources, recipients)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes(), res
}

// tarEntry is one entry of a hand-built archive.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

func regular(name string, body []byte) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(body)), Mode: 0o644}, body: body}
}

func manifestEntry(t testing.TB, m Manifest) tarEntry {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return regular(manifestName, data)
}

func memberInfo(name string, body []byte) MemberInfo {
	sum := sha256.Sum256(body)
	return MemberInfo{Name: name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), Mode: 0o644}
}

// manifestFor is a version 1 manifest: member hashes inline.
func manifestFor(members ...MemberInfo) Manifest {
	m := sampleManifest()
	m.FormatVersion = formatV1
	m.Members = members
	return m
}

// manifestV2For is a version 2 manifest for the given members (their
// hashes removed) and the checksums.json entry that carries the hashes.
func manifestV2For(t testing.TB, members ...MemberInfo) (manifest, sums tarEntry) {
	t.Helper()
	m := sampleManifest()
	m.FormatVersion = formatV2
	c := checksums{SHA256: []string{}}
	for _, mi := range members {
		c.SHA256 = append(c.SHA256, mi.SHA256)
		mi.SHA256 = ""
		m.Members = append(m.Members, mi)
	}
	return manifestEntry(t, m), checksumsEntry(t, c)
}

// manifestV3For is a version 3 manifest for the given members, those named
// in pieced listed with SizeUnknown, and the checksums.json entry that
// carries every member's hash and size.
func manifestV3For(t testing.TB, members []MemberInfo, pieced ...string) (manifest, sums tarEntry) {
	t.Helper()
	m := sampleManifest()
	m.FormatVersion = FormatVersion
	c := checksums{SHA256: []string{}, Size: []int64{}}
	for _, mi := range members {
		c.SHA256 = append(c.SHA256, mi.SHA256)
		c.Size = append(c.Size, mi.Size)
		mi.SHA256 = ""
		if slices.Contains(pieced, mi.Name) {
			mi.Size = SizeUnknown
		}
		m.Members = append(m.Members, mi)
	}
	return manifestEntry(t, m), checksumsEntry(t, c)
}

func checksumsEntry(t testing.TB, c checksums) tarEntry {
	t.Helper()
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return regular(checksumsName, data)
}

// pieces is body as the entries of a member stored in pieces of at most n
// bytes (at least one entry).
func pieces(name string, body []byte, n int) []tarEntry {
	var entries []tarEntry
	for len(entries) == 0 || len(body) > 0 {
		k := min(n, len(body))
		entries = append(entries, regular(name, body[:k]))
		body = body[k:]
	}
	return entries
}

func buildTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("tar header %q: %v", hdr.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatalf("tar body %q: %v", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compress(t testing.TB, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encrypt(t testing.TB, compressed []byte, r age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(compressed); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// seal turns hand-built tar bytes into an object for the platform key.
func seal(t testing.TB, tarBytes []byte) []byte {
	t.Helper()
	return encrypt(t, compress(t, tarBytes), mustIdentity(t, testPlatformSecret).Recipient())
}

func platformIdentities(t testing.TB) []age.Identity {
	return []age.Identity{mustIdentity(t, testPlatformSecret)}
}

// treeOf lists every path under dir (relative, slash-separated) with the
// content of regular files; directories map to "<dir>".
func treeOf(t testing.TB, dir string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			tree[rel] = "<dir>"
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			tree[rel] = string(data)
		default:
			tree[rel] = "<" + d.Type().String() + ">"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// sandbox returns a parent directory and a destination inside it, so tests
// can check that nothing appears beside the destination either.
func sandbox(t testing.TB) (parent, dest string) {
	t.Helper()
	parent = t.TempDir()
	return parent, filepath.Join(parent, "dest")
}

// assertUntouched fails if the sandbox holds anything but an empty dest
// (or no dest at all).
func assertUntouched(t testing.TB, parent string) {
	t.Helper()
	tree := treeOf(t, parent)
	delete(tree, "dest")
	if len(tree) != 0 || !emptyOrMissing(t, filepath.Join(parent, "dest")) {
		t.Fatalf("extraction left files behind: %v", treeOf(t, parent))
	}
}

func emptyOrMissing(t testing.TB, dir string) bool {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(entries) == 0
}
