package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// contextReader stops a long copy as soon as its context is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hashingWriter counts and hashes what passes through it on its way to w.
type hashingWriter struct {
	w    io.Writer
	hash hash.Hash
	n    int64
}

func newHashingWriter(w io.Writer) *hashingWriter {
	return &hashingWriter{w: w, hash: sha256.New()}
}

func (h *hashingWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.hash.Write(p[:n])
	h.n += int64(n)
	return n, err
}

func (h *hashingWriter) sum() string { return hex.EncodeToString(h.hash.Sum(nil)) }

// sourceReader remembers the last error of the underlying object reader so
// that a failing disk or network is not reported as a damaged object.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}
