package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// settle is how long each server runs before it is stopped, so that the jobs
// River runs on start (catch-up, tenant maintenance, mail) are done and the
// stop measured is that of an idle server.
const settle = 500 * time.Millisecond

// BenchmarkServeStop measures how long Serve takes to return once its context
// ends (SIGINT, in the program), on a server with one tenant that is idle: with
// no client connected, or with one client that keeps its connection open after
// a request, as browsers and API clients do, over HTTP/2 or HTTP/1.1. Only the
// stop is timed; ms/stop is the mean.
func BenchmarkServeStop(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, client := range []string{"none", "h2", "http1.1"} {
			b.Run(engine+"/client="+client, func(b *testing.B) {
				args := []string{"--data", b.TempDir(), "--listen", "127.0.0.1:0", "--log-level", "error"}
				if engine == "postgres" {
					args = append(args, "--database-url", storetest.NewPostgresDatabase(b))
				}
				cfg, err := testFlagSet(b, args...).Load(func(string) (string, bool) { return "", false })
				if err != nil {
					b.Fatal(err)
				}
				p, err := app.OpenWith(context.Background(), cfg, quiet, templates.Options(b, cfg))
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				if _, err := p.Provisioner.Create(context.Background(), "acme", "admin@acme.example.com"); err != nil {
					b.Fatal(err)
				}
				var stopping time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					stop := startIdleServer(b, p, client)
					b.StartTimer()
					stopping += stop()
				}
				b.StopTimer() // the deferred clean-up is not the stop
				b.ReportMetric(float64(stopping.Microseconds())/1000/float64(b.N), "ms/stop")
			})
		}
	}
}

// startIdleServer starts Serve, connects client (none, h2 or http1.1) and
// makes one request, lets the server settle, and returns the function that
// stops it and reports how long the stop took.
func startIdleServer(b *testing.B, p *app.Platform, client string) (stop func() time.Duration) {
	b.Helper()
	l, roots, stopServe := serving(b, p)
	var transport *http.Transport
	if client != "none" {
		transport = keepAliveClient(b, l, roots, client)
	}
	time.Sleep(settle)
	return func() time.Duration {
		start := time.Now()
		err := stopServe()
		took := time.Since(start)
		if err != nil {
			b.Fatalf("Serve: %v", err)
		}
		if transport != nil {
			transport.CloseIdleConnections()
		}
		return took
	}
}

// keepAliveClient makes a request to the tenant's host over proto and returns
// the transport, which keeps the connection open.
func keepAliveClient(b *testing.B, l app.Listening, roots *x509.CertPool, proto string) *http.Transport {
	b.Helper()
	addr := l.Addr.String()
	transport := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2: proto == "h2",
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	if proto != "h2" {
		transport.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	resp, err := (&http.Client{Transport: transport}).Get("https://acme.localhost/healthz")
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if want := map[string]string{"h2": "HTTP/2.0", "http1.1": "HTTP/1.1"}[proto]; resp.Proto != want || resp.StatusCode != http.StatusOK {
		b.Fatalf("healthz: %s %d, want %s 200", resp.Proto, resp.StatusCode, want)
	}
	return transport
}
