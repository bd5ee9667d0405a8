package apitest

import (
	"context"
	"net"
)

// dialer connects every request to the test server, whatever host it names, so
// that tests can use tenant host names without a resolver.
type dialer struct {
	addr string
	net  net.Dialer
}

func (d *dialer) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	return d.net.DialContext(ctx, network, d.addr)
}
