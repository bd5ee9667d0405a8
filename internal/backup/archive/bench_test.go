package archive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"filippo.io/age"
)

const benchSize = 256 << 20

func benchData(kind string) []byte {
	switch kind {
	case "random":
		data := make([]byte, benchSize)
		rng := rand.NewChaCha8([32]byte{1})
		rng.Read(data)
		return data
	default:
		// Rows that look like a database page: repetitive but not constant.
		var buf bytes.Buffer
		buf.Grow(benchSize + 128)
		for i := 0; buf.Len() < benchSize; i++ {
			fmt.Fprintf(&buf, "%08d|Customer %d|customer%d@example.com|Rue %d, Paris|%d.%02d EUR\n", i, i, i, i%997, i%9973, i%100)
		}
		return buf.Bytes()[:benchSize]
	}
}

// BenchmarkWrite measures Write end to end (two passes, tar, zstd, age)
// against a plain io.Copy of the same bytes to io.Discard, measured in the
// same run; the copy/write metric is how many times slower Write is.
func BenchmarkWrite(b *testing.B) {
	recipients := []age.Recipient{mustIdentity(b, testPlatformSecret).Recipient()}
	for _, kind := range []string{"compressible", "random"} {
		b.Run(kind, func(b *testing.B) {
			data := benchData(kind)
			src := memorySource("tenant.db", data)

			copyTime := plainCopyTime(b, data)

			b.SetBytes(benchSize)
			b.ResetTimer()
			var res Result
			for b.Loop() {
				var err error
				res, err = Write(context.Background(), io.Discard, sampleManifest(), []Source{src}, recipients)
				if err != nil {
					b.Fatal(err)
				}
			}
			perWrite := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(benchSize)/copyTime.Seconds()/1e6, "copy-MB/s")
			b.ReportMetric(float64(perWrite)/float64(copyTime), "write/copy")
			b.ReportMetric(float64(res.Size)/benchSize, "out/in")
		})
	}
}

// plainCopyTime is the best of three io.Copy runs to io.Discard through a
// reader that hides WriterTo, so the bytes really pass through a buffer.
func plainCopyTime(b *testing.B, data []byte) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		if _, err := io.Copy(io.Discard, struct{ io.Reader }{bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkRead measures VerifyObject (decrypt, decompress, check every
// member) on objects written by Write, against the same plain copy.
func BenchmarkRead(b *testing.B) {
	id := mustIdentity(b, testPlatformSecret)
	for _, kind := range []string{"compressible", "random"} {
		b.Run(kind, func(b *testing.B) {
			data := benchData(kind)
			var object bytes.Buffer
			if _, err := Write(context.Background(), &object, sampleManifest(), []Source{memorySource("tenant.db", data)}, []age.Recipient{id.Recipient()}); err != nil {
				b.Fatal(err)
			}
			copyTime := plainCopyTime(b, data)
			b.SetBytes(benchSize)
			b.ResetTimer()
			for b.Loop() {
				if _, err := VerifyObject(context.Background(), bytes.NewReader(object.Bytes()), []age.Identity{id}); err != nil {
					b.Fatal(err)
				}
			}
			perRead := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(perRead)/float64(copyTime), "read/copy")
		})
	}
}
