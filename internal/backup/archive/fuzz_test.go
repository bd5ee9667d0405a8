package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// FuzzExtract feeds arbitrary decrypted content to Extract: with mode even
// the input is a tar stream that the harness compresses, with mode odd it is
// taken as the zstd stream itself. Either Extract refuses and leaves nothing
// behind, or everything it wrote matches the manifest it returned.
func FuzzExtract(f *testing.F) {
	body := []byte("payload")
	good := memberInfo("tenant.db", body)
	nested := memberInfo("filestore/ab/cd", []byte("attachment"))
	validTar := buildTar(f, manifestEntry(f, manifestFor(good, nested)), regular("tenant.db", body), regular("filestore/ab/cd", []byte("attachment")))
	f.Add(byte(0), validTar)
	m2, sums2 := manifestV2For(f, good, nested)
	validV2 := buildTar(f, m2, regular("tenant.db", body), regular("filestore/ab/cd", []byte("attachment")), sums2)
	f.Add(byte(0), validV2)
	f.Add(byte(1), compress(f, validV2))
	m3, sums3 := manifestV3For(f, []MemberInfo{good, nested}, "tenant.db")
	f.Add(byte(0), buildTar(f, append(append([]tarEntry{m3}, pieces("tenant.db", body, 3)...), regular("filestore/ab/cd", []byte("attachment")), sums3)...))
	f.Add(byte(0), buildTar(f, m3, regular("tenant.db", body[:2]), regular("filestore/ab/cd", []byte("attachment")), regular("tenant.db", body[2:]), sums3))
	f.Add(byte(0), buildTar(f, m2, regular("tenant.db", body), regular("filestore/ab/cd", []byte("attachmenT")), sums2))
	f.Add(byte(0), buildTar(f, m2, regular("tenant.db", body), sums2, regular("filestore/ab/cd", []byte("attachment"))))
	f.Add(byte(1), compress(f, validTar))
	f.Add(byte(0), buildTar(f, manifestEntry(f, manifestFor(good)), regular("../evil", body)))
	f.Add(byte(0), buildTar(f, manifestEntry(f, manifestFor(good)), tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "tenant.db", Linkname: "/"}}))
	f.Add(byte(0), buildTar(f, manifestEntry(f, manifestFor(good)), regular("tenant.db", body), regular("tenant.db", body)))
	f.Add(byte(0), buildTar(f, regular("tenant.db", body)))
	f.Add(byte(0), []byte{})
	f.Add(byte(1), []byte{})

	recipient := mustIdentity(f, testPlatformSecret).Recipient()
	identities := platformIdentities(f)
	// One encoder for all iterations: creating one costs more than a run.
	encoder, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, mode byte, inner []byte) {
		compressed := inner
		if mode%2 == 0 {
			compressed = encoder.EncodeAll(inner, nil)
		}
		object := encrypt(t, compressed, recipient)
		parent, dest := fastSandbox(t)
		m, err := Extract(context.Background(), bytes.NewReader(object), identities, dest, nil)
		if err != nil {
			assertUntouched(t, parent)
			return
		}
		tree := treeOf(t, dest)
		files := 0
		for _, content := range tree {
			if content != "<dir>" {
				files++
			}
		}
		if files != len(m.Members) {
			t.Fatalf("extracted %d files, manifest lists %d", files, len(m.Members))
		}
		for _, mi := range m.Members {
			content, ok := tree[mi.Name]
			sum := sha256.Sum256([]byte(content))
			if !ok || int64(len(content)) != mi.Size || hex.EncodeToString(sum[:]) != mi.SHA256 {
				t.Fatalf("member %q does not match its manifest entry", mi.Name)
			}
		}
		if beside := treeOf(t, parent); len(beside) != len(tree)+1 {
			t.Fatalf("files appeared beside the destination: %v", keys(beside))
		}
	})
}

// fastSandbox is sandbox on a memory file system when one is available, so
// that Extract's fsyncs do not dominate each fuzz iteration.
func fastSandbox(t *testing.T) (parent, dest string) {
	t.Helper()
	parent, err := os.MkdirTemp("/dev/shm", "archive-fuzz-")
	if err != nil {
		return sandbox(t)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	return parent, filepath.Join(parent, "dest")
}
