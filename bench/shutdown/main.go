// Command shutdown measures how long `instanterp serve --demo` takes to exit
// after SIGINT (Ctrl-C) while idle, for one or more builds of the program,
// taking turns so that each round measures them under the same load. Each
// build serves its own data directory (and, with -postgres, its own control
// database), created by the first round; before every stop a client makes one
// request and keeps its connection open, as browsers and API clients do.
//
//	go build -o /tmp/before ./cmd/instanterp   # e.g. from a worktree of an older commit
//	go build -o /tmp/after ./cmd/instanterp
//	go run ./bench/shutdown -bin before=/tmp/before -bin after=/tmp/after
//	go run ./bench/shutdown -bin before=/tmp/before -bin after=/tmp/after \
//		-postgres 'postgres://root@127.0.0.1:5432/postgres?sslmode=disable'
//
// -client none|h2|http1.1 chooses the client (default h2), -rounds the number
// of stops per build (default 10), -settle how long each server runs before
// it is stopped (default 1s, so that the jobs run on start are done).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// build is one program under measurement.
type build struct {
	name, path string
	dir        string // working directory, holding ./instanterp-data
	dbURL      string // control database on PostgreSQL, if any
	stops      []time.Duration
}

type binFlag []*build

func (b *binFlag) String() string { return fmt.Sprint(len(*b)) }

func (b *binFlag) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want NAME=PATH, got %q", v)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	*b = append(*b, &build{name: name, path: abs})
	return nil
}

func main() {
	var builds binFlag
	flag.Var(&builds, "bin", "NAME=PATH of a build of instanterp (repeatable)")
	rounds := flag.Int("rounds", 10, "stops per build")
	client := flag.String("client", "h2", "client connected at the stop: none, h2 or http1.1")
	settle := flag.Duration("settle", time.Second, "how long each server runs before it is stopped")
	postgres := flag.String("postgres", "", "PostgreSQL admin URL: keep each build's data there (a new database each)")
	flag.Parse()
	if len(builds) == 0 || !slices.Contains([]string{"none", "h2", "http1.1"}, *client) {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(builds, *rounds, *client, *settle, *postgres); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		os.Exit(1)
	}
}

func run(builds []*build, rounds int, client string, settle time.Duration, postgres string) error {
	work, err := os.MkdirTemp("", "instanterp-stop-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, b := range builds {
		b.dir = filepath.Join(work, b.name)
		if err := os.Mkdir(b.dir, 0o700); err != nil {
			return err
		}
		if postgres != "" {
			drop, err := createDatabase(postgres, b)
			if err != nil {
				return err
			}
			defer drop()
		}
	}
	for r := range rounds {
		// Alternate the order too, so that no build always follows another.
		order := slices.Clone(builds)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, b := range order {
			took, err := stopOnce(b, client, settle)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", b.name, r+1, err)
			}
			b.stops = append(b.stops, took)
		}
	}
	fmt.Printf("SIGINT to exit, idle server with client=%s, %d stops each (engine: %s)\n", client, rounds, engine(postgres))
	fmt.Printf("%-12s %10s %10s %10s %10s\n", "build", "mean ms", "median ms", "min ms", "max ms")
	for _, b := range builds {
		fmt.Printf("%-12s %10.1f %10.1f %10.1f %10.1f\n", b.name, ms(mean(b.stops)), ms(median(b.stops)), ms(slices.Min(b.stops)), ms(slices.Max(b.stops)))
	}
	return nil
}

func engine(postgres string) string {
	if postgres != "" {
		return "postgres"
	}
	return "sqlite"
}

var (
	servingLine = regexp.MustCompile(`(?m)^Instant-ERP is serving (https://\S+)$`)
	signInLine  = regexp.MustCompile(`(?m)^Sign in to the demo`)
)

// stopOnce starts b's server, connects the client, waits settle, sends
// SIGINT and returns the time until the process exited.
func stopOnce(b *build, client string, settle time.Duration) (time.Duration, error) {
	args := []string{"serve", "--demo", "--listen", "127.0.0.1:0", "--log-level", "error"}
	if b.dbURL != "" {
		args = append(args, "--database-url", b.dbURL)
	}
	cmd := exec.Command(b.path, args...)
	cmd.Dir = b.dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	printed := make(chan string, 1)
	go func() {
		// Read all of standard output, the server's address once printed.
		var out strings.Builder
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if !sent && signInLine.MatchString(out.String()) {
				printed <- out.String()
				sent = true
			}
		}
		exited <- cmd.Wait()
	}()
	var out string
	select {
	case out = <-printed:
	case err := <-exited:
		return 0, fmt.Errorf("exited before serving (%v): %s", err, stderr.String())
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		return 0, errors.New("not serving after 5 minutes")
	}
	m := servingLine.FindStringSubmatch(out)
	if m == nil {
		cmd.Process.Kill()
		return 0, fmt.Errorf("no address in %q", out)
	}
	var transport *http.Transport
	if client != "none" {
		if transport, err = keepAlive(m[1], filepath.Join(b.dir, "instanterp-data", "tls", "ca.pem"), client); err != nil {
			cmd.Process.Kill()
			return 0, err
		}
		defer transport.CloseIdleConnections()
	}
	time.Sleep(settle)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		return 0, err
	}
	err = <-exited
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("exit after SIGINT: %v: %s", err, stderr.String())
	}
	return took, nil
}

// keepAlive asks the demo tenant for /healthz over proto and returns the
// transport, which keeps its connection open.
func keepAlive(serving, caPath, proto string) (*http.Transport, error) {
	u, err := url.Parse(serving)
	if err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(caPath)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	_, port, _ := net.SplitHostPort(u.Host)
	addr := net.JoinHostPort("127.0.0.1", port)
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
	resp, err := (&http.Client{Transport: transport, Timeout: 30 * time.Second}).Get("https://demo." + u.Host + "/healthz")
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("healthz: %s", resp.Status)
	}
	return transport, nil
}

// createDatabase makes b's control database on the PostgreSQL server and
// returns the function that drops it.
func createDatabase(adminURL string, b *build) (drop func(), err error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("instanterp_stop_%s_%d", strings.ToLower(regexp.MustCompile(`\W`).ReplaceAllString(b.name, "_")), os.Getpid())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	b.dbURL = u.String()
	return func() { dropDatabase(adminURL, name, b) }, nil
}

// dropDatabase deletes the demo tenant (its database and login role) with
// b's own program, then the installation's tenant templates (databases and
// roles named <instance>_tpl_…) and b's control database.
func dropDatabase(adminURL, name string, b *build) {
	del := exec.Command(b.path, "tenant", "delete", "demo", "--yes", "--database-url", b.dbURL, "--log-level", "error")
	del.Dir = b.dir
	if out, err := del.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "shutdown: delete %s's demo tenant: %v: %s", b.name, err, out)
	}
	ctx := context.Background()
	drop := []string{}
	if control, err := pgx.Connect(ctx, b.dbURL); err == nil {
		var instance string
		if err := control.QueryRow(ctx, "SELECT instance_id FROM platform WHERE id = 1").Scan(&instance); err == nil {
			drop = append(drop, instance)
		}
		control.Close(ctx)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shutdown: drop database:", err)
		return
	}
	defer conn.Close(ctx)
	for _, instance := range drop {
		rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", instance+"_tpl_")
		if err != nil {
			fmt.Fprintln(os.Stderr, "shutdown: list templates:", err)
			break
		}
		templates, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			fmt.Fprintln(os.Stderr, "shutdown: list templates:", err)
			break
		}
		for _, t := range templates {
			id := pgx.Identifier{t}.Sanitize()
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)"); err != nil {
				fmt.Fprintln(os.Stderr, "shutdown: drop template:", err)
				continue
			}
			conn.Exec(ctx, "DROP ROLE IF EXISTS "+id)
		}
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown: drop database:", err)
	}
}

func mean(d []time.Duration) time.Duration {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
