package backup

import (
	"io"
	"sync"
)

// chunkPipeDepth is how many writes a chunkPipe holds before its writer
// waits: with the 1 MiB writes of an object, a few megabytes per consumer.
const chunkPipeDepth = 4

// chunkPipe is an io.Pipe with a queue of depth writes between its ends.
//
// The object of a backup is written to the outbox, to every file site and
// into the test restore at once. Through io.Pipe each write waits until
// every consumer has come back for it, so the slowest consumer's every
// pause stalls the others and the compression behind them; a short queue
// lets each run at its own pace on whichever core is free, while still
// holding back a writer that runs ahead of a consumer.
//
// Write copies p, so the caller may reuse it at once. The reader must read
// until the end (consumers drain what they do not use), and the writer
// must not write after closing.
type chunkPipe struct {
	data chan []byte
	free chan []byte
	once sync.Once
	err  error // how the writer ended; set before data is closed
	cur  []byte
	off  int
}

func newChunkPipe(depth int) *chunkPipe {
	return &chunkPipe{data: make(chan []byte, depth), free: make(chan []byte, depth+1)}
}

// Write queues a copy of p for the reader.
func (c *chunkPipe) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var buf []byte
	select {
	case buf = <-c.free:
	default:
	}
	buf = append(buf[:0], p...)
	c.data <- buf
	return len(p), nil
}

// Close ends the stream: the reader gets io.EOF after what was written.
func (c *chunkPipe) Close() error { return c.CloseWithError(nil) }

// CloseWithError ends the stream: the reader gets err (io.EOF when nil)
// after what was written. Only the first call counts.
func (c *chunkPipe) CloseWithError(err error) error {
	c.once.Do(func() {
		if err == nil {
			err = io.EOF
		}
		c.err = err
		close(c.data)
	})
	return nil
}

// Read returns queued bytes in order, then how the writer ended.
func (c *chunkPipe) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.off == len(c.cur) {
		if c.cur != nil {
			select {
			case c.free <- c.cur:
			default:
			}
			c.cur, c.off = nil, 0
		}
		buf, ok := <-c.data
		if !ok {
			return 0, c.err
		}
		c.cur = buf
	}
	n := copy(p, c.cur[c.off:])
	c.off += n
	return n, nil
}
