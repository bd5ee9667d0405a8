package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Archives an attacker could build with a recipient's public key. Each must
// be refused, and nothing may be written inside or outside the destination.
func TestCraftedArchivesAreRefused(t *testing.T) {
	body := []byte("payload")
	good := memberInfo("tenant.db", body)
	withSize := good
	withSize.Size = 3
	withHash := good
	withHash.SHA256 = strings.Repeat("0", 64)

	tests := []struct {
		name    string
		build   func(t *testing.T, parent string) []byte
		wantErr error
	}{
		{"parent traversal listed in manifest", func(t *testing.T, _ string) []byte {
			m := manifestFor(memberInfo("../evil", body))
			return buildTar(t, manifestEntry(t, m), regular("../evil", body))
		}, ErrInvalid},
		{"parent traversal not listed", func(t *testing.T, _ string) []byte {
			return buildTar(t, manifestEntry(t, manifestFor(good)), regular("tenant.db", body), regular("../evil", body))
		}, ErrInvalid},
		{"traversal inside a path", func(t *testing.T, _ string) []byte {
			m := manifestFor(memberInfo("filestore/../../evil", body))
			return buildTar(t, manifestEntry(t, m), regular("filestore/../../evil", body))
		}, ErrInvalid},
		{"absolute name", func(t *testing.T, parent string) []byte {
			abs := filepath.Join(parent, "evil")
			return buildTar(t, manifestEntry(t, manifestFor(good)), regular(abs, body))
		}, ErrInvalid},
		{"backslash name", func(t *testing.T, _ string) []byte {
			return buildTar(t, manifestEntry(t, manifestFor(good)), regular(`..\evil`, body))
		}, ErrInvalid},
		{"symlink member", func(t *testing.T, parent string) []byte {
			m := manifestFor(memberInfo("link", nil), memberInfo("link/evil", body))
			link := tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "link", Linkname: parent, Mode: 0o777}}
			return buildTar(t, manifestEntry(t, m), link, regular("link/evil", body))
		}, ErrInvalid},
		{"hard link member", func(t *testing.T, _ string) []byte {
			m := manifestFor(good, memberInfo("hard", nil))
			hard := tarEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "hard", Linkname: "/etc/passwd"}}
			return buildTar(t, manifestEntry(t, m), regular("tenant.db", body), hard)
		}, ErrInvalid},
		{"character device", func(t *testing.T, _ string) []byte {
			m := manifestFor(memberInfo("null", nil))
			dev := tarEntry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "null", Devmajor: 1, Devminor: 3, Mode: 0o666}}
			return buildTar(t, manifestEntry(t, m), dev)
		}, ErrInvalid},
		{"fifo", func(t *testing.T, _ string) []byte {
			m := manifestFor(memberInfo("pipe", nil))
			return buildTar(t, manifestEntry(t, m), tarEntry{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "pipe", Mode: 0o600}})
		}, ErrInvalid},
		{"directory entry", func(t *testing.T, _ string) []byte {
			m := manifestFor(memberInfo("dir", nil))
			return buildTar(t, manifestEntry(t, m), tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "dir", Mode: 0o755}})
		}, ErrInvalid},
		{"duplicate entry", func(t *testing.T, _ string) []byte {
			return buildTar(t, manifestEntry(t, manifestFor(good)), regular("tenant.db", body), regular("tenant.db", body))
		}, ErrInvalid},
		{"duplicate in manifest", func(t *testing.T, _ string) []byte {
			return buildTar(t, manifestEntry(t, manifestFor(good, good)), regular("tenant.db", body))
		}, ErrInvalid},
		{"member not in manifest", func(t *testing.T, _ string) []byte {
			return buildTar(t, manifestEntry(t, manifestFor(good)), regular("tenant.db", body), regular("extra", body))
		}, ErrInvalid},
		{"manifest member missing", func(t *testing.T, _ string) []byte {
			m := manifestFor(good, memberInfo("filestore/ab", body))
			return buildTar(t, manifestEntry(t, m), regular("tenant.db", body))
		}, ErrInvalid},
		{"manifest lies about size", func(t *testing.T, _ string) []byte {
			return buildTar(t, manifestEntry(t, manifestFor(withSize)), regular("tenant.db", body))
		}, ErrCorrupt},
		{"manifest lies about hash", func(t *testing.T, _ string) []byte {
			return buildTar(t, manifestEntry(t, manifestFor(withHash)), regular("tenant.db", body))
		}, ErrCorrupt},
		{"missing manifest", func(t *testing.T, _ string) []byte {
			return buildTar(t, regular("tenant.db", body))
		}, ErrInvalid},
		{"empty archive", func(t *testing.T, _ string) []byte {
			return buildTar(t)
		}, ErrInvalid},
		{"manifest not first", func(t *testing.T, _ string) []byte {
			return buildTar(t, regular("tenant.db", body), manifestEntry(t, manifestFor(good)))
		}, ErrInvalid},
		{"manifest as symlink", func(t *testing.T, _ string) []byte {
			return buildTar(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: manifestName, Linkname: "/etc/passwd"}})
		}, ErrInvalid},
		{"manifest with unknown field", func(t *testing.T, _ string) []byte {
			return buildTar(t, regular(manifestName, []byte(`{"format_version":1,"shell":"rm -rf /"}`)), regular("tenant.db", body))
		}, ErrInvalid},
		{"manifest with trailing data", func(t *testing.T, _ string) []byte {
			data := manifestEntry(t, manifestFor(good)).body
			return buildTar(t, regular(manifestName, append(data, []byte(`{}`)...)), regular("tenant.db", body))
		}, ErrInvalid},
		{"manifest from the future", func(t *testing.T, _ string) []byte {
			m := manifestFor(good)
			m.FormatVersion = FormatVersion + 1
			return buildTar(t, manifestEntry(t, m), regular("tenant.db", body))
		}, ErrInvalid},
		{"version 2 without checksums", func(t *testing.T, _ string) []byte {
			m, _ := manifestV2For(t, good)
			return buildTar(t, m, regular("tenant.db", body))
		}, ErrInvalid},
		{"version 2 checksums lie about the hash", func(t *testing.T, _ string) []byte {
			m, sums := manifestV2For(t, withHash)
			return buildTar(t, m, regular("tenant.db", body), sums)
		}, ErrCorrupt},
		{"version 2 checksums before a member", func(t *testing.T, _ string) []byte {
			m, sums := manifestV2For(t, good)
			return buildTar(t, m, sums, regular("tenant.db", body))
		}, ErrInvalid},
		{"version 2 entry after the checksums", func(t *testing.T, _ string) []byte {
			m, sums := manifestV2For(t, good)
			return buildTar(t, m, regular("tenant.db", body), sums, regular("extra", body))
		}, ErrInvalid},
		{"version 2 checksums twice", func(t *testing.T, _ string) []byte {
			m, sums := manifestV2For(t, good)
			return buildTar(t, m, regular("tenant.db", body), sums, sums)
		}, ErrInvalid},
		{"version 2 checksums count differs", func(t *testing.T, _ string) []byte {
			m, _ := manifestV2For(t, good)
			return buildTar(t, m, regular("tenant.db", body), regular(checksumsName, []byte(`{"sha256":["`+good.SHA256+`","`+good.SHA256+`"]}`)))
		}, ErrInvalid},
		{"version 2 checksums malformed", func(t *testing.T, _ string) []byte {
			m, _ := manifestV2For(t, good)
			return buildTar(t, m, regular("tenant.db", body), regular(checksumsName, []byte(`{"sha256":["`+strings.ToUpper(good.SHA256)+`"]}`)))
		}, ErrInvalid},
		{"version 2 checksums with unknown field", func(t *testing.T, _ string) []byte {
			m, _ := manifestV2For(t, good)
			return buildTar(t, m, regular("tenant.db", body), regular(checksumsName, []byte(`{"sha256":["`+good.SHA256+`"],"x":1}`)))
		}, ErrInvalid},
		{"version 2 checksums as symlink", func(t *testing.T, _ string) []byte {
			m, _ := manifestV2For(t, good)
			return buildTar(t, m, regular("tenant.db", body), tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: checksumsName, Linkname: "/etc/passwd"}})
		}, ErrInvalid},
		{"version 2 checksums with sizes", func(t *testing.T, _ string) []byte {
			m, _ := manifestV2For(t, good)
			return buildTar(t, m, regular("tenant.db", body), checksumsEntry(t, checksums{SHA256: []string{good.SHA256}, Size: []int64{good.Size}}))
		}, ErrInvalid},
		{"version 3 checksums without sizes", func(t *testing.T, _ string) []byte {
			m, _ := manifestV3For(t, []MemberInfo{good})
			return buildTar(t, m, regular("tenant.db", body), checksumsEntry(t, checksums{SHA256: []string{good.SHA256}}))
		}, ErrInvalid},
		{"version 3 checksums with a negative size", func(t *testing.T, _ string) []byte {
			m, _ := manifestV3For(t, []MemberInfo{good}, "tenant.db")
			return buildTar(t, m, regular("tenant.db", body), checksumsEntry(t, checksums{SHA256: []string{good.SHA256}, Size: []int64{-1}}))
		}, ErrInvalid},
		{"version 3 checksums lie about a size in pieces", func(t *testing.T, _ string) []byte {
			m, _ := manifestV3For(t, []MemberInfo{good}, "tenant.db")
			return buildTar(t, append(append([]tarEntry{m}, pieces("tenant.db", body, 3)...),
				checksumsEntry(t, checksums{SHA256: []string{good.SHA256}, Size: []int64{good.Size + 1}}))...)
		}, ErrCorrupt},
		{"version 3 checksums lie about a hash in pieces", func(t *testing.T, _ string) []byte {
			m, sums := manifestV3For(t, []MemberInfo{withHash}, "tenant.db")
			return buildTar(t, append(append([]tarEntry{m}, pieces("tenant.db", body, 3)...), sums)...)
		}, ErrCorrupt},
		{"version 3 pieces resumed after another member", func(t *testing.T, _ string) []byte {
			other := memberInfo("other", body)
			m, sums := manifestV3For(t, []MemberInfo{good, other}, "tenant.db")
			p := pieces("tenant.db", body, 3)
			return buildTar(t, m, p[0], regular("other", body), p[1], p[2], sums)
		}, ErrInvalid},
		{"version 3 piece as symlink", func(t *testing.T, parent string) []byte {
			m, sums := manifestV3For(t, []MemberInfo{good}, "tenant.db")
			link := tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "tenant.db", Linkname: parent}}
			return buildTar(t, m, regular("tenant.db", body[:3]), link, sums)
		}, ErrInvalid},
		{"version 3 pieced member missing", func(t *testing.T, _ string) []byte {
			m, sums := manifestV3For(t, []MemberInfo{good}, "tenant.db")
			return buildTar(t, m, sums)
		}, ErrInvalid},
		{"version 3 pieces up to the end of the archive", func(t *testing.T, _ string) []byte {
			m, _ := manifestV3For(t, []MemberInfo{good}, "tenant.db")
			return buildTar(t, append([]tarEntry{m}, pieces("tenant.db", body, 3)...)...)
		}, ErrInvalid},
		{"version 3 pieces of a member of known size", func(t *testing.T, _ string) []byte {
			m, sums := manifestV3For(t, []MemberInfo{good})
			return buildTar(t, append(append([]tarEntry{m}, pieces("tenant.db", body, 3)...), sums)...)
		}, ErrCorrupt},
		{"version 1 with a checksums entry", func(t *testing.T, _ string) []byte {
			_, sums := manifestV2For(t, good)
			return buildTar(t, manifestEntry(t, manifestFor(good)), regular("tenant.db", body), sums)
		}, ErrInvalid},
		{"manifest larger than the bound", func(t *testing.T, _ string) []byte {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: manifestName, Size: MaxManifestSize + 1}); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes() // header only: the reader must refuse before reading the body
		}, ErrInvalid},
		{"garbage after the end marker", func(t *testing.T, _ string) []byte {
			tarBytes := buildTar(t, manifestEntry(t, manifestFor(good)), regular("tenant.db", body))
			return append(tarBytes, []byte("smuggled")...)
		}, ErrInvalid},
		{"pax global header", func(t *testing.T, _ string) []byte {
			global := tarEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "global", PAXRecords: map[string]string{"comment": "global"}}}
			return buildTar(t, manifestEntry(t, manifestFor(good)), global, regular("tenant.db", body))
		}, ErrInvalid},
		{"file then directory of the same name", func(t *testing.T, _ string) []byte {
			m := manifestFor(memberInfo("a", body), memberInfo("a/b", body))
			return buildTar(t, manifestEntry(t, m), regular("a", body), regular("a/b", body))
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent, dest := sandbox(t)
			object := seal(t, tt.build(t, parent))
			_, err := Extract(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, nil)
			if err == nil {
				t.Fatal("Extract accepted a crafted archive")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			t.Logf("refused: %v", err)
			assertUntouched(t, parent)
			if _, err := VerifyObject(context.Background(), bytes.NewReader(object), platformIdentities(t)); err == nil && tt.wantErr != nil {
				t.Fatal("VerifyObject accepted a crafted archive")
			}
		})
	}
}

// A destination that already holds a symlink to elsewhere must not let a
// valid member name escape through it.
func TestExtractDoesNotFollowSymlinksInDestination(t *testing.T) {
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside")
	dest := filepath.Join(parent, "dest")
	for _, d := range []string{outside, dest} {
		if err := os.Mkdir(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dest, "filestore")); err != nil {
		t.Fatal(err)
	}
	body := []byte("payload")
	object := seal(t, buildTar(t, manifestEntry(t, manifestFor(memberInfo("filestore/x", body))), regular("filestore/x", body)))
	if _, err := Extract(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, nil); err == nil {
		t.Fatal("Extract wrote through a symlink in the destination")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote outside the destination: %v", entries)
	}
}

// The same crafted names through the public API: Write refuses them, so a
// genuine object can never contain them.
func TestValidateMemberName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"tenant.db", true},
		{"filestore/ab/ab12cd34", true},
		{"filestore/a-b_c+d@e=f,g~h.bin", true},
		{"", false},
		{manifestName, false},
		{"/etc/passwd", false},
		{"../evil", false},
		{"a/../b", false},
		{"a/./b", false},
		{".", false},
		{"a//b", false},
		{"a/", false},
		{`a\b`, false},
		{"a b", false},
		{"a\x00b", false},
		{"a\nb", false},
		{"caf\u00e9", false},
		{strings.Repeat("a", MaxNameLength), true},
		{strings.Repeat("a", MaxNameLength+1), false},
	}
	for _, tt := range tests {
		err := ValidateMemberName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateMemberName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
