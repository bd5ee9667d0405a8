package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
)

// countingSource is a memory source that counts how often it is opened.
func countingSource(name string, data []byte, sum string, opens *int) Source {
	return Source{
		Name:   name,
		Size:   int64(len(data)),
		Mode:   0o600,
		SHA256: sum,
		Open: func() (io.ReadCloser, error) {
			*opens++
			return io.NopCloser(bytes.NewReader(data)), nil
		},
	}
}

func hexSum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestWriteWithAnnouncedSHA256(t *testing.T) {
	data := []byte(strings.Repeat("page ", 10_000))
	other := []byte("another content")
	recipients := []age.Recipient{mustIdentity(t, testPlatformSecret).Recipient()}
	tests := []struct {
		name      string
		sum       string
		wantOpens int
		wantErr   string // empty: success
	}{
		{"correct sum is trusted: one read", hexSum(data), 1, ""},
		{"no sum: hashed while streaming, one read", "", 1, ""},
		{"wrong sum is caught while streaming", hexSum(other), 1, "does not have the sha256 its producer announced"},
		{"malformed sum is refused before reading", "ABC", 0, "malformed sha256"},
		{"upper-case sum is refused", strings.ToUpper(hexSum(data)), 0, "malformed sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opens := 0
			var out bytes.Buffer
			res, err := Write(context.Background(), &out, sampleManifest(), []Source{countingSource("tenant.db", data, tt.sum, &opens)}, recipients)
			if opens != tt.wantOpens {
				t.Errorf("source opened %d times, want %d", opens, tt.wantOpens)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				if _, verr := VerifyObject(context.Background(), bytes.NewReader(out.Bytes()), platformIdentities(t)); verr == nil {
					t.Fatal("the refused write left a readable object")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Manifest.Members[0].SHA256; got != hexSum(data) {
				t.Fatalf("manifest sha256 = %s, want %s", got, hexSum(data))
			}
			m, err := VerifyObject(context.Background(), bytes.NewReader(out.Bytes()), platformIdentities(t))
			if err != nil || m.Members[0].SHA256 != hexSum(data) {
				t.Fatalf("VerifyObject = %+v, %v", m.Members, err)
			}
		})
	}
}

func TestExtractWithChoosesWhatIsWrittenAndSynced(t *testing.T) {
	dbPath, filestore, want := tenantFixture(t)
	object, _ := writeTestObject(t, tenantSources(t, dbPath, filestore))
	_, dest := sandbox(t)
	var synced []string
	_, err := ExtractWith(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, ExtractOptions{
		Allowed: func(name string) bool { return name != "filestore/ab/ab99ff" },
		Sync: func(name string) bool {
			synced = append(synced, name)
			return strings.HasPrefix(name, "filestore/")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	delete(want, "filestore/ab/ab99ff")
	got := treeOf(t, dest)
	if len(got) != len(want) {
		t.Fatalf("extracted %v, want %v", got, want)
	}
	for name, content := range want {
		if got[name] != content {
			t.Fatalf("%s: got %d bytes, want %d", name, len(got[name]), len(content))
		}
	}
	// Sync is asked only about the members that were written.
	if wantAsked := []string{"tenant.db", "filestore/ab/ab12cd", "filestore/cd/cd00/deep.bin"}; !slices.Equal(synced, wantAsked) {
		t.Fatalf("Sync asked about %v, want %v", synced, wantAsked)
	}
}
