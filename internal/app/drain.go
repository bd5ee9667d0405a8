package app

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// h2Drainer ends a TLS server's idle HTTP/2 connections as soon as a shutdown
// allows, instead of a second later.
//
// http.Server.Shutdown closes idle HTTP/1 connections at once. An HTTP/2
// connection it only asks to go away (GOAWAY); once the connection has no
// stream left, net/http waits one more second for the client to hang up
// before closing it itself. Go's HTTP client, among others, does not hang up
// on a GOAWAY, so a single idle browser or API connection held every stop for
// that second.
//
// The drainer hangs up an HTTP/2 connection once it is idle and everything it
// queued is on its way to the client. It knows the latter from the writes
// underneath TLS: frames wait in net/http's write buffer until one TLS write
// sends them, so the first write that starts after the connection went idle
// (and after the shutdown began) carries every byte of its finished streams,
// or the GOAWAY after them. Hanging up takes the TLS write lock (CloseWrite),
// which waits for that write to end, then sends close_notify and a TCP FIN;
// the client answers by closing, and net/http closes its side on reading
// that. New streams no longer start once the GOAWAY is queued, so an idle
// connection stays idle. When no such write comes (the last response left in
// a write of its own), or the client does not answer, net/http's second
// applies, as before.
type h2Drainer struct {
	draining atomic.Bool

	mu     sync.Mutex
	conns  map[*countedConn]*drainedConn
	closed int // connections the drainer hung up, for tests
}

// drainedConn is what the drainer knows of one TLS connection.
type drainedConn struct {
	tls     *tls.Conn
	h2      bool
	idle    bool
	after   uint64 // writes started when it last went idle or the shutdown began
	closing bool
}

func newH2Drainer() *h2Drainer {
	return &h2Drainer{conns: map[*countedConn]*drainedConn{}}
}

// listener wraps the plain listener under TLS, so that the drainer sees the
// connections' writes.
func (d *h2Drainer) listener(ln net.Listener) net.Listener {
	return &countingListener{Listener: ln, drainer: d}
}

// connState is the server's ConnState hook. HTTP/2 reports StateActive when a
// connection's first stream opens and StateIdle when its last one closes,
// from the connection's own goroutine.
func (d *h2Drainer) connState(c net.Conn, state http.ConnState) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return
	}
	raw, ok := tc.NetConn().(*countedConn)
	if !ok {
		return
	}
	switch state {
	case http.StateActive, http.StateIdle:
		d.track(tc, raw, state == http.StateIdle)
	case http.StateClosed, http.StateHijacked:
		d.mu.Lock()
		delete(d.conns, raw)
		d.mu.Unlock()
	}
}

func (d *h2Drainer) track(tc *tls.Conn, raw *countedConn, idle bool) {
	d.mu.Lock()
	dc := d.conns[raw]
	d.mu.Unlock()
	if dc == nil {
		// Both hooks come after the handshake, so the protocol is known; it
		// is asked outside the lock as it takes the TLS handshake lock.
		dc = &drainedConn{tls: tc, h2: tc.ConnectionState().NegotiatedProtocol == "h2"}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conns[raw] = dc
	dc.idle = idle
	if idle {
		dc.after = raw.writes.Load()
	}
}

// drain starts closing idle HTTP/2 connections. Call it before
// http.Server.Shutdown, so that the GOAWAY Shutdown sends counts as a write
// after it.
func (d *h2Drainer) drain() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.draining.Store(true)
	for raw, dc := range d.conns {
		dc.after = raw.writes.Load()
	}
}

// wrote is called as a write starts on raw during a shutdown.
func (d *h2Drainer) wrote(raw *countedConn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dc := d.conns[raw]
	if dc == nil || !dc.h2 || !dc.idle || dc.closing || raw.writes.Load() <= dc.after {
		return
	}
	dc.closing = true
	d.closed++
	// Not here: the write that called us holds the TLS write lock.
	go hangUp(dc.tls, raw)
}

// hangUp ends the server's side of c once the TLS write in progress, if any,
// has ended: close_notify, then a TCP half-close. The client, having read
// everything, sees the end and hangs up in turn, and then net/http, reading
// the end too, closes the connection. Closing it at once would instead reset
// it while the client's last frames (window updates) are still unread, and a
// reset makes the client's system drop what it received but had not yet read:
// the end of the last response.
func hangUp(c *tls.Conn, raw *countedConn) {
	if err := c.CloseWrite(); err != nil { // takes the write lock, then sends close_notify
		return // the connection is failing or closing already
	}
	if tcp, ok := raw.Conn.(interface{ CloseWrite() error }); ok {
		tcp.CloseWrite()
	}
}

// countingListener hands out countedConns.
type countingListener struct {
	net.Listener
	drainer *h2Drainer
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, drainer: l.drainer}, nil
}

// countedConn counts the writes started on a connection under TLS.
type countedConn struct {
	net.Conn
	drainer *h2Drainer
	writes  atomic.Uint64
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	if c.drainer.draining.Load() {
		c.drainer.wrote(c)
	}
	return c.Conn.Write(p)
}
