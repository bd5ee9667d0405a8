package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// drainedServer is an HTTPS test server whose idle HTTP/2 connections a
// drainer closes on shutdown, as Serve's are.
type drainedServer struct {
	*httptest.Server
	drainer *h2Drainer
}

func startDrainedServer(t *testing.T, h2 bool, handler http.Handler) *drainedServer {
	t.Helper()
	s := &drainedServer{Server: httptest.NewUnstartedServer(handler), drainer: newH2Drainer()}
	s.EnableHTTP2 = h2
	s.Listener = s.drainer.listener(s.Listener)
	s.Config.ConnState = s.drainer.connState
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// shutdown stops the server as Serve does.
func (s *drainedServer) shutdown() error {
	s.drainer.drain()
	return shutdownServers(context.Background(), []*http.Server{s.Config}, time.Minute)
}

func (s *drainedServer) closedByDrainer() int {
	s.drainer.mu.Lock()
	defer s.drainer.mu.Unlock()
	return s.drainer.closed
}

var protocols = []struct {
	name  string // of the test
	proto string // of the response
	h2    bool
}{{"h2", "HTTP/2.0", true}, {"http1.1", "HTTP/1.1", false}}

// A request in flight when the server shuts down gets its whole response, of
// any size, and the shutdown ends without error; the response is written only
// after the shutdown began (GOAWAY sent, listener closed).
func TestShutdownLetsRequestsInFlightFinish(t *testing.T) {
	for _, proto := range protocols {
		for _, size := range []int{2, 4<<10 + 1, 64 << 10, 1 << 20} {
			t.Run(fmt.Sprintf("%s/%d_bytes", proto.name, size), func(t *testing.T) {
				body := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
				started, shuttingDown := make(chan struct{}), make(chan struct{})
				s := startDrainedServer(t, proto.h2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					close(started)
					<-shuttingDown
					w.Write(body)
				}))
				s.Config.RegisterOnShutdown(func() { close(shuttingDown) })

				type result struct {
					proto string
					body  []byte
					err   error
				}
				got := make(chan result, 1)
				go func() {
					resp, err := s.Client().Get(s.URL)
					if err != nil {
						got <- result{err: err}
						return
					}
					defer resp.Body.Close()
					b, err := io.ReadAll(resp.Body)
					got <- result{resp.Proto, b, err}
				}()
				<-started
				if err := s.shutdown(); err != nil {
					t.Errorf("shutdown: %v", err)
				}
				r := <-got
				switch {
				case r.err != nil:
					t.Fatalf("the request in flight failed: %v", r.err)
				case r.proto != proto.proto:
					t.Fatalf("served over %s, want %s", r.proto, proto.proto)
				case !bytes.Equal(r.body, body):
					t.Fatalf("the request in flight got %d bytes, want %d", len(r.body), len(body))
				}
			})
		}
	}
}

// A connection left open by a client after its requests is closed at the
// shutdown: an HTTP/2 one by the drainer, once the GOAWAY has been written,
// instead of by net/http a second later; an HTTP/1.1 one by net/http itself.
func TestShutdownClosesIdleConnections(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto.name, func(t *testing.T) {
			s := startDrainedServer(t, proto.h2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "ok")
			}))
			const clients = 3
			for range clients {
				// A client of its own each: a connection each.
				client := &http.Client{Transport: s.Client().Transport.(*http.Transport).Clone()}
				resp, err := client.Get(s.URL)
				if err != nil {
					t.Fatal(err)
				}
				io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.Proto != proto.proto {
					t.Fatalf("served over %s, want %s", resp.Proto, proto.proto)
				}
			}
			if err := s.shutdown(); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			want := 0
			if proto.h2 {
				want = clients
			}
			if got := s.closedByDrainer(); got != want {
				t.Errorf("the drainer hung up %d connections, want %d", got, want)
			}
		})
	}
}
