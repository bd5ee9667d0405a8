package backup

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestChunkPipe: the reader gets exactly the bytes written, in order, even
// when the writer reuses its buffer at once and reads are smaller or larger
// than writes; then io.EOF, or the error the writer closed with.
func TestChunkPipe(t *testing.T) {
	boom := errors.New("backup abandoned")
	for _, tc := range []struct {
		name     string
		writes   []int // sizes
		readSize int
		closeErr error
		wantErr  error
	}{
		{"nothing", nil, 7, nil, io.EOF},
		{"one write, small reads", []int{1000}, 7, nil, io.EOF},
		{"many writes, large reads", []int{1, 4096, 0, 300, 1 << 16, 5}, 1 << 20, nil, io.EOF},
		{"more writes than the queue holds", []int{10, 20, 30, 40, 50, 60, 70, 80, 90}, 33, nil, io.EOF},
		{"closed with an error", []int{100, 200}, 64, boom, boom},
		{"closed with an error before any write", nil, 64, boom, boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newChunkPipe(2)
			var want bytes.Buffer
			go func() {
				buf := make([]byte, 0, 1<<16)
				next := byte(1)
				for _, n := range tc.writes {
					buf = buf[:n]
					for i := range buf {
						buf[i] = next
						next++
					}
					want.Write(buf)
					if m, err := p.Write(buf); m != n || err != nil {
						t.Errorf("Write(%d) = %d, %v", n, m, err)
					}
					// The caller may reuse its buffer as soon as Write returns.
					for i := range buf {
						buf[i] = 0xee
					}
				}
				p.CloseWithError(tc.closeErr)
				p.CloseWithError(errors.New("a second close is ignored"))
			}()
			var got bytes.Buffer
			buf := make([]byte, tc.readSize)
			var err error
			for {
				var n int
				n, err = p.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if err != tc.wantErr {
				t.Fatalf("reader ended with %v, want %v", err, tc.wantErr)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("read %d bytes that differ from the %d written", got.Len(), want.Len())
			}
			if n, err := p.Read(buf); n != 0 || err != tc.wantErr {
				t.Fatalf("read after the end: %d, %v", n, err)
			}
		})
	}
}
