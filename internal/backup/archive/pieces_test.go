package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
)

// unknownSize is a Source whose size is known only once read, like a dump
// piped from pg_dump, yielding data in reads of at most step bytes.
func unknownSize(name string, data []byte, step int) Source {
	return Source{
		Name: name,
		Size: SizeUnknown,
		Mode: 0o600,
		Open: func() (io.ReadCloser, error) {
			return io.NopCloser(&steppedReader{r: bytes.NewReader(data), step: step}), nil
		},
	}
}

type steppedReader struct {
	r    io.Reader
	step int
}

func (s *steppedReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.step)]) }

// A member of unknown size is stored in pieces and read back whole, with
// its size and hash in the manifests Write and Extract return, at every
// boundary of the pieces' buffer.
func TestMembersOfUnknownSize(t *testing.T) {
	for _, size := range []int{0, 1, copyBufferSize - 1, copyBufferSize, copyBufferSize + 1, 3*copyBufferSize + 5} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := bytes.Repeat([]byte("pg_dump output "), size/15+1)[:size]
			known := []byte("a member of known size")
			object, res := writeTestObject(t, []Source{unknownSize("database/tenant.pgdump", data, 70_000), memorySource("note", known)})
			if got := res.Manifest.Members[0]; got.Size != int64(size) || got.SHA256 != hexSum(data) {
				t.Fatalf("Write's manifest says %d bytes %s, want %d %s", got.Size, got.SHA256, size, hexSum(data))
			}
			_, dest := sandbox(t)
			m, err := Extract(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.FormatVersion != FormatVersion || m.Members[0].Size != int64(size) || m.Members[0].SHA256 != hexSum(data) {
				t.Fatalf("Extract's manifest: %+v", m)
			}
			tree := treeOf(t, dest)
			if tree["database/tenant.pgdump"] != string(data) || tree["note"] != string(known) {
				t.Fatal("extracted members differ from what was written")
			}
		})
	}
}

// A member of unknown size whose producer announced a hash must match it,
// and one that fails part-way fails the object.
func TestMembersOfUnknownSizeThatFail(t *testing.T) {
	data := bytes.Repeat([]byte("x"), copyBufferSize+10)
	announced := unknownSize("dump", data, 1<<20)
	announced.SHA256 = hexSum([]byte("something else"))
	broke := errors.New("pg_dump: connection lost")
	failing := Source{Name: "dump", Size: SizeUnknown, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(bytes.NewReader(data), &failingAfter{err: broke})), nil
	}}
	recipients := []age.Recipient{mustIdentity(t, testPlatformSecret).Recipient()}
	for _, tc := range []struct {
		name string
		src  Source
		want string
	}{
		{"announced hash differs", announced, "announced"},
		{"source fails part-way", failing, broke.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Write(context.Background(), io.Discard, sampleManifest(), []Source{tc.src}, recipients)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

type failingAfter struct{ err error }

func (f *failingAfter) Read([]byte) (int, error) { return 0, f.err }
