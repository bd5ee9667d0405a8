package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// stageData is what the throughput benchmark's tenant holds: half random
// bytes, half hexadecimal text, in 16 KiB pieces.
func stageData(size int) []byte {
	data := make([]byte, 0, size)
	rng := rand.NewChaCha8([32]byte{7})
	piece := make([]byte, 16<<10)
	for len(data) < size {
		rng.Read(piece)
		data = append(data, piece...)
		rng.Read(piece[:8<<10])
		data = hex.AppendEncode(data, piece[:8<<10])
	}
	return data[:size]
}

// BenchmarkStages measures, one core each, what every stage of a backup or
// restore costs per MiB of database, so that the throughput benchmark's
// figures can be explained: where the CPU goes, and what two cores can
// reach at best. Each reports MB/s of input and cpu-ms/MiB.
func BenchmarkStages(b *testing.B) {
	const size = 64 << 20
	data := stageData(size)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	var compressed, encrypted bytes.Buffer
	zw, _ := zstd.NewWriter(&compressed, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	zw.Write(data)
	zw.Close()
	ew, _ := age.Encrypt(&encrypted, id.Recipient())
	ew.Write(compressed.Bytes())
	ew.Close()
	b.Logf("zstd fastest: %d MiB become %.1f MiB", size>>20, float64(compressed.Len())/(1<<20))
	for _, level := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault} {
		var out bytes.Buffer
		zw, _ := zstd.NewWriter(&out, zstd.WithEncoderLevel(level), zstd.WithAllLitEntropyCompression(true), zstd.WithEncoderConcurrency(1))
		zw.Write(data)
		zw.Close()
		b.Logf("zstd %v with entropy coding of literal-only blocks: %d MiB become %.1f MiB", level, size>>20, float64(out.Len())/(1<<20))
	}

	stage := func(name string, op func()) {
		b.Run(name, func(b *testing.B) {
			timed(b, size, func(int) { op() }, nil)
		})
	}
	stage("sha256", func() { sha256.Sum256(data) })
	stage("zstd-fastest-encode", func() {
		zw, _ := zstd.NewWriter(io.Discard, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		zw.Write(data)
		zw.Close()
	})
	stage("zstd-fastest-all-literal-entropy-encode", func() {
		zw, _ := zstd.NewWriter(io.Discard, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithAllLitEntropyCompression(true), zstd.WithEncoderConcurrency(1))
		zw.Write(data)
		zw.Close()
	})
	stage("zstd-default-encode", func() {
		zw, _ := zstd.NewWriter(io.Discard, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		zw.Write(data)
		zw.Close()
	})
	stage("zstd-decode", func() {
		zr, _ := zstd.NewReader(bytes.NewReader(compressed.Bytes()), zstd.WithDecoderConcurrency(1))
		io.Copy(io.Discard, zr)
		zr.Close()
	})
	// age's cost is per byte of compressed data; per MiB of database it is
	// scaled by the compression ratio, as in a backup.
	stage("age-encrypt", func() {
		w, _ := age.Encrypt(io.Discard, id.Recipient())
		w.Write(compressed.Bytes())
		w.Close()
	})
	stage("age-decrypt", func() {
		r, _ := age.Decrypt(bytes.NewReader(encrypted.Bytes()), id)
		io.Copy(io.Discard, r)
	})

	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		b.Fatal(err)
	}
	stage("file-copy-synced", func() {
		copyFileSynced(b, src, filepath.Join(dir, "copy"))
		os.Remove(filepath.Join(dir, "copy"))
	})
	stage("file-write-unsynced", func() {
		f, err := os.Create(filepath.Join(dir, "w"))
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); off += ioBufferSize {
			f.Write(data[off:min(off+ioBufferSize, len(data))])
		}
		f.Close()
		os.Remove(filepath.Join(dir, "w"))
	})
	stage("file-read", func() {
		f, _ := os.Open(src)
		io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, make([]byte, ioBufferSize))
		f.Close()
	})

	dbPath := filepath.Join(dir, "pages.db")
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=journal_mode(wal)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.Exec("CREATE TABLE blob (id INTEGER PRIMARY KEY, b BLOB)")
	for off := 0; off < len(data); off += 32 << 10 {
		db.Exec("INSERT INTO blob (b) VALUES (?)", data[off:off+32<<10])
	}
	db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	for _, mmap := range []string{"0", "1073741824"} {
		stage("sqlite-dbpage-read-mmap-"+mmap, func() {
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			conn.ExecContext(ctx, "PRAGMA mmap_size="+mmap)
			rows, err := conn.QueryContext(ctx, "SELECT data FROM sqlite_dbpage")
			if err != nil {
				b.Fatal(err)
			}
			var page sql.RawBytes
			for rows.Next() {
				rows.Scan(&page)
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			rows.Close()
		})
	}
}
