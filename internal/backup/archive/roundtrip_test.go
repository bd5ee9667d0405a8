package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// tenantFixture lays out a tenant directory as the snapshot code produces it:
// a database file and a filestore tree.
func tenantFixture(t *testing.T) (dbPath, filestore string, want map[string]string) {
	t.Helper()
	dir := t.TempDir()
	dbPath = filepath.Join(dir, "tenant.db")
	db := bytes.Repeat([]byte("SQLite format 3\x00page"), 5000)
	if err := os.WriteFile(dbPath, db, 0o600); err != nil {
		t.Fatal(err)
	}
	filestore = filepath.Join(dir, "filestore")
	files := map[string]string{
		"ab/ab12cd":        "invoice pdf bytes",
		"ab/ab99ff":        "",
		"cd/cd00/deep.bin": strings.Repeat("x", 70_000),
	}
	want = map[string]string{"tenant.db": string(db), "filestore": "<dir>"}
	for rel, content := range files {
		p := filepath.Join(filestore, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		want["filestore/"+rel] = content
	}
	for _, d := range []string{"filestore/ab", "filestore/cd", "filestore/cd/cd00"} {
		want[d] = "<dir>"
	}
	return dbPath, filestore, want
}

func tenantSources(t *testing.T, dbPath, filestore string) []Source {
	t.Helper()
	db, err := FileSource("tenant.db", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	files, err := DirSources("filestore", filestore)
	if err != nil {
		t.Fatal(err)
	}
	return append([]Source{db}, files...)
}

func TestRoundTripDirectoryTreeAndDatabase(t *testing.T) {
	dbPath, filestore, want := tenantFixture(t)
	object, res := writeTestObject(t, tenantSources(t, dbPath, filestore))

	sum := sha256.Sum256(object)
	if res.Size != int64(len(object)) || res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("Result = %d bytes %s, object is %d bytes %x", res.Size, res.SHA256, len(object), sum)
	}
	if len(res.Manifest.Members) != 4 || res.Manifest.FormatVersion != FormatVersion {
		t.Fatalf("manifest members = %+v", res.Manifest.Members)
	}

	_, dest := sandbox(t)
	m, err := Extract(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, nil)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if m.Tenant != "acme" || m.Kind != KindFull || m.SchemaVersion != 42 || m.RowCounts["res_partner"] != 12 {
		t.Fatalf("manifest read back = %+v", m)
	}
	got := treeOf(t, dest)
	if len(got) != len(want) {
		t.Fatalf("extracted %d paths, want %d: %v", len(got), len(want), keys(got))
	}
	for p, content := range want {
		if got[p] != content {
			t.Errorf("%s: got %d bytes, want %d", p, len(got[p]), len(content))
		}
	}
	info, err := os.Stat(filepath.Join(dest, "tenant.db"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o111 != 0 || perm&0o600 != 0o600 {
		t.Errorf("tenant.db extracted with mode %v", perm)
	}

	vm, err := VerifyObject(context.Background(), bytes.NewReader(object), platformIdentities(t))
	if err != nil {
		t.Fatalf("VerifyObject: %v", err)
	}
	if len(vm.Members) != len(m.Members) {
		t.Fatalf("VerifyObject manifest has %d members, want %d", len(vm.Members), len(m.Members))
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestExtractOnlyAllowedMembers(t *testing.T) {
	dbPath, filestore, _ := tenantFixture(t)
	object, _ := writeTestObject(t, tenantSources(t, dbPath, filestore))
	_, dest := sandbox(t)
	var asked []string
	allowDB := func(name string) bool {
		asked = append(asked, name)
		return name == "tenant.db"
	}
	if _, err := Extract(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, allowDB); err != nil {
		t.Fatal(err)
	}
	got := treeOf(t, dest)
	if len(got) != 1 || got["tenant.db"] == "" {
		t.Fatalf("extracted %v, want only tenant.db", keys(got))
	}
	if len(asked) != 4 {
		t.Fatalf("allowed was asked about %v, want the 4 members", asked)
	}
}

// TestExtractStreamsTakenMembers: a member Stream takes is handed over, not
// written, even when read only in part; the rest of the object is still
// read and checked, so a damaged object fails the extraction whatever the
// stream took, and a Stream error rolls it back.
func TestExtractStreamsTakenMembers(t *testing.T) {
	dbPath, filestore, want := tenantFixture(t)
	object, _ := writeTestObject(t, tenantSources(t, dbPath, filestore))
	takeDB := func(read int64, got *[]byte, fail error) func(MemberInfo, io.Reader) (bool, error) {
		return func(mi MemberInfo, body io.Reader) (bool, error) {
			if mi.Name != "tenant.db" {
				return false, nil
			}
			data, err := io.ReadAll(io.LimitReader(body, read))
			*got = data
			if err == nil {
				err = fail
			}
			return true, err
		}
	}
	t.Run("taken in part, the rest written", func(t *testing.T) {
		_, dest := sandbox(t)
		var got []byte
		if _, err := ExtractWith(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, ExtractOptions{Stream: takeDB(100, &got, nil)}); err != nil {
			t.Fatal(err)
		}
		if string(got) != want["tenant.db"][:100] {
			t.Fatalf("stream read %q, want the first 100 bytes of the member", got)
		}
		tree := treeOf(t, dest)
		if _, ok := tree["tenant.db"]; ok {
			t.Fatal("a taken member was also written")
		}
		if tree["filestore/ab/ab12cd"] != want["filestore/ab/ab12cd"] {
			t.Fatalf("members not taken were not written: %v", keys(tree))
		}
	})
	t.Run("damaged object", func(t *testing.T) {
		parent, dest := sandbox(t)
		damaged := bytes.Clone(object)
		damaged[len(damaged)-40] ^= 1
		var got []byte
		if _, err := ExtractWith(context.Background(), bytes.NewReader(damaged), platformIdentities(t), dest, ExtractOptions{Stream: takeDB(1<<30, &got, nil)}); err == nil {
			t.Fatal("a damaged object extracted")
		}
		assertUntouched(t, parent)
	})
	t.Run("stream error", func(t *testing.T) {
		parent, dest := sandbox(t)
		var got []byte
		_, err := ExtractWith(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, ExtractOptions{Stream: takeDB(10, &got, errors.New("consumer gave up"))})
		if err == nil || !strings.Contains(err.Error(), "consumer gave up") {
			t.Fatalf("err = %v, want the stream's error", err)
		}
		assertUntouched(t, parent)
	})
}

func TestRecoveryRecipientDecryptsAlone(t *testing.T) {
	platform := mustIdentity(t, testPlatformSecret)
	recovery := mustIdentity(t, testRecoverySecret)
	recipients, err := ParseRecipients([]string{platform.Recipient().String(), recovery.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	object, _ := writeTestObject(t, []Source{memorySource("tenant.db", []byte("data"))}, recipients...)

	for name, id := range map[string]age.Identity{"platform": platform, "recovery": recovery} {
		_, dest := sandbox(t)
		if _, err := Extract(context.Background(), bytes.NewReader(object), []age.Identity{id}, dest, nil); err != nil {
			t.Fatalf("%s identity alone: %v", name, err)
		}
		if got := treeOf(t, dest)["tenant.db"]; got != "data" {
			t.Fatalf("%s identity extracted %q", name, got)
		}
	}
}

func TestWrongIdentityIsRefused(t *testing.T) {
	object, _ := writeTestObject(t, []Source{memorySource("tenant.db", []byte("data"))})
	other, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	parent, dest := sandbox(t)
	_, err = Extract(context.Background(), bytes.NewReader(object), []age.Identity{other}, dest, nil)
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("err = %v, want ErrWrongKey", err)
	}
	assertUntouched(t, parent)
	if _, err := VerifyObject(context.Background(), bytes.NewReader(object), []age.Identity{other}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("VerifyObject err = %v, want ErrWrongKey", err)
	}
}

func TestExtractNeverOverwritesAndRollsBack(t *testing.T) {
	object, _ := writeTestObject(t, []Source{
		memorySource("a/first", []byte("1")),
		memorySource("b/existing", []byte("2")),
	})
	dest := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dest, "b"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "b", "existing"), []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, nil); err == nil {
		t.Fatal("Extract overwrote an existing file")
	}
	got := treeOf(t, dest)
	if len(got) != 2 || got["b/existing"] != "keep me" {
		t.Fatalf("after failed extract: %v", got)
	}
}

func TestExtractHonoursCancellation(t *testing.T) {
	object, _ := writeTestObject(t, []Source{memorySource("tenant.db", bytes.Repeat([]byte("x"), 1<<20))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	parent, dest := sandbox(t)
	if _, err := Extract(ctx, bytes.NewReader(object), platformIdentities(t), dest, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertUntouched(t, parent)
}

func TestWriteRefusesBadInput(t *testing.T) {
	recipients := []age.Recipient{mustIdentity(t, testPlatformSecret).Recipient()}
	good := memorySource("tenant.db", []byte("data"))
	withManifest := func(edit func(*Manifest)) Manifest {
		m := sampleManifest()
		edit(&m)
		return m
	}
	tests := []struct {
		name       string
		manifest   Manifest
		sources    []Source
		recipients []age.Recipient
		wantErr    string
	}{
		{"no recipients", sampleManifest(), []Source{good}, nil, "no recipients"},
		{"members preset", withManifest(func(m *Manifest) { m.Members = []MemberInfo{{Name: "x"}} }), []Source{good}, recipients, "left empty"},
		{"bad kind", withManifest(func(m *Manifest) { m.Kind = "partial" }), []Source{good}, recipients, "kind"},
		{"bad tenant", withManifest(func(m *Manifest) { m.Tenant = "../acme" }), []Source{good}, recipients, "tenant"},
		{"no created", withManifest(func(m *Manifest) { m.Created = time.Time{} }), []Source{good}, recipients, "creation time"},
		{"future format", withManifest(func(m *Manifest) { m.FormatVersion = 9 }), []Source{good}, recipients, "format version"},
		{"duplicate member", sampleManifest(), []Source{good, good}, recipients, "twice"},
		{"traversal name", sampleManifest(), []Source{memorySource("../evil", nil)}, recipients, ".."},
		{"setuid mode", sampleManifest(), []Source{{Name: "x", Mode: 0o4755, Open: good.Open}}, recipients, "permission bits"},
		{"size smaller than content", sampleManifest(), []Source{{Name: "x", Size: 2, Open: good.Open}}, recipients, "changed size"},
		{"size larger than content", sampleManifest(), []Source{{Name: "x", Size: 10, Open: good.Open}}, recipients, "changed size"},
		{"no open", sampleManifest(), []Source{{Name: "x"}}, recipients, "no Open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Write(context.Background(), &out, tt.manifest, tt.sources, tt.recipients)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
			if out.Len() != 0 {
				t.Fatalf("Write wrote %d bytes before refusing", out.Len())
			}
		})
	}
}

func TestDirSourcesRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := DirSources("filestore", dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err = %v, want a refusal of the symlink", err)
	}
}

// Every layout is read: version 3 as Write makes it today and version 2,
// hand-built here from their parts, and a version 1 object written by an
// earlier release (testdata/v1), whose member hashes live in the manifest.
func TestReadsEveryFormatVersion(t *testing.T) {
	body := []byte("payload")
	m2, sums := manifestV2For(t, memberInfo("tenant.db", body))
	note := []byte("note")
	m3, sums3 := manifestV3For(t, []MemberInfo{memberInfo("tenant.db", body), memberInfo("note", note)}, "tenant.db")
	v3 := append(append([]tarEntry{m3}, pieces("tenant.db", body, 3)...), regular("note", note), sums3)
	v1, err := os.ReadFile("testdata/v1/object.age")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		object  []byte
		version int
		want    map[string]string
	}{
		{"version 3, a member in pieces", seal(t, buildTar(t, v3...)), FormatVersion, map[string]string{"tenant.db": "payload", "note": "note"}},
		{"version 2", seal(t, buildTar(t, m2, regular("tenant.db", body), sums)), formatV2, map[string]string{"tenant.db": "payload"}},
		{"version 1", v1, formatV1, map[string]string{
			"database/tenant.db":  "SQLite format 3\x00 pages of a version 1 object",
			"filestore/ab/ab12cd": "an attachment",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dest := sandbox(t)
			m, err := Extract(context.Background(), bytes.NewReader(tt.object), platformIdentities(t), dest, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.FormatVersion != tt.version {
				t.Fatalf("format version %d, want %d", m.FormatVersion, tt.version)
			}
			tree := treeOf(t, dest)
			for name, content := range tt.want {
				if tree[name] != content {
					t.Fatalf("%s = %q, want %q", name, tree[name], content)
				}
			}
			for _, mi := range m.Members {
				if mi.SHA256 != hexSum([]byte(tt.want[mi.Name])) || mi.Size != int64(len(tt.want[mi.Name])) {
					t.Fatalf("manifest returned for %s has sha256 %q and size %d, want the member's", mi.Name, mi.SHA256, mi.Size)
				}
			}
		})
	}
}
