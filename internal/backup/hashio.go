package backup

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// ioBufferSize is the buffer that snapshots, objects and restores stream
// through: large enough that system calls are a small part of the cost.
const ioBufferSize = 1 << 20

// hashedWriter buffers writes to w and hashes and counts them, so that a
// snapshot is hashed while it is written instead of read again afterwards.
type hashedWriter struct {
	w    *bufio.Writer
	hash hash.Hash
	n    int64
}

func newHashedWriter(w io.Writer) *hashedWriter {
	return &hashedWriter{w: bufio.NewWriterSize(w, ioBufferSize), hash: sha256.New()}
}

func (h *hashedWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.hash.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// Flush writes out what is buffered.
func (h *hashedWriter) Flush() error { return h.w.Flush() }

func (h *hashedWriter) sum() string { return hex.EncodeToString(h.hash.Sum(nil)) }

// hashedReader hashes and counts what is read through it, so that an
// object is hash-checked in the same pass that decrypts it. Without a hash
// it only counts.
type hashedReader struct {
	r    io.Reader
	hash hash.Hash // nil: count only
	n    int64
}

func newHashedReader(r io.Reader) *hashedReader {
	return &hashedReader{r: r, hash: sha256.New()}
}

func newCountingReader(r io.Reader) *hashedReader { return &hashedReader{r: r} }

func (h *hashedReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if h.hash != nil {
		h.hash.Write(p[:n])
	}
	h.n += int64(n)
	return n, err
}

// finish reads what the consumer left unread (a reader stops at the
// object's authenticated end), so that the hash and count cover the whole
// object, and returns the hash ("" when counting only).
func (h *hashedReader) finish() (string, error) {
	if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{h}, make([]byte, 64<<10)); err != nil {
		return "", fmt.Errorf("read object: %w", err)
	}
	if h.hash == nil {
		return "", nil
	}
	return hex.EncodeToString(h.hash.Sum(nil)), nil
}
