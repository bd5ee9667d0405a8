// Package apiload measures the external API under load: search_read of 80 of
// 10,000 partners over XML-RPC and JSON-2 with 1 and 8 clients on both engines,
// against the ORM called directly in the same run, and one create per request.
//
// Run it with
//
//	INSTANTERP_API_LOAD=1 go test -run TestAPILoad -v -timeout 30m ./bench/api/
//
// (INSTANTERP_API_LOAD_SECONDS sets the length of each measurement, default 5).
// The server, its databases and the load client share the machine.
package apiload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/api"
	"github.com/instant-erp/instanterp/internal/api/apitest"
	"github.com/instant-erp/instanterp/internal/api/xmlrpc"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
)

const partners = 10_000

func TestAPILoad(t *testing.T) {
	if os.Getenv("INSTANTERP_API_LOAD") != "1" {
		t.Skip("set INSTANTERP_API_LOAD=1 to run the API load benchmark")
	}
	seconds := 5
	if s, err := strconv.Atoi(os.Getenv("INSTANTERP_API_LOAD_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	d := time.Duration(seconds) * time.Second
	fmt.Printf("\n| engine | workload | clients | req/s | p50 | p99 | vs ORM |\n|---|---|---|---|---|---|---|\n")
	for _, engine := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		p := apitest.Start(t, apitest.Options{Tenants: []string{"bench"}, Postgres: engine.postgres, Limits: api.Limits{
			PerKey: api.Rate{PerSecond: -1}, PerAddress: api.Rate{PerSecond: -1},
		}})
		seedPartners(t, p)
		user := p.Tenants["bench"].Admin
		client := p.ClientFor()
		fmt.Fprintf(os.Stderr, "%s: RSS idle %d MiB\n", engine.name, rssMiB())
		xmlBody, err := xmlrpc.AppendCall(nil, "execute_kw", "bench", user.UID, user.Key, "res.partner", "search_read",
			[]any{[]any{[]any{"name", "ilike", "5"}}}, map[string]any{"fields": []any{"name", "email", "city"}, "limit": 80})
		if err != nil {
			t.Fatal(err)
		}
		jsonBody := []byte(`{"domain": [["name", "ilike", "5"]], "fields": ["name", "email", "city"], "limit": 80}`)
		xmlCall := func() error {
			return post(client, "https://bench.localhost/xmlrpc/2/object", "text/xml", xmlBody, user.Key, "<name>name</name>")
		}
		json2Call := func() error {
			return post(client, "https://bench.localhost/json/2/res.partner/search_read", "application/json", jsonBody, user.Key, `"name"`)
		}
		for _, clients := range []int{1, 8} {
			orm := measure(d, clients, ormSearchRead(t, p, user.UID))
			fmt.Printf("| %s | search_read 80/10k, ORM direct | %d | %.0f | %s | %s | 1.00 |\n", engine.name, clients, orm.rate, orm.p50, orm.p99)
			for _, w := range []struct {
				name string
				fn   func() error
			}{{"XML-RPC", xmlCall}, {"JSON-2", json2Call}} {
				r := measure(d, clients, w.fn)
				if r.err != nil {
					t.Fatalf("%s %s: %v", engine.name, w.name, r.err)
				}
				fmt.Printf("| %s | search_read 80/10k, %s | %d | %.0f | %s | %s | %.2f |\n", engine.name, w.name, clients, r.rate, r.p50, r.p99, r.rate/orm.rate)
			}
			fmt.Fprintf(os.Stderr, "%s: RSS after %d clients %d MiB\n", engine.name, clients, rssMiB())
		}
		n := 0
		create := func() error {
			n++
			body, _ := xmlrpc.AppendCall(nil, "execute_kw", "bench", user.UID, user.Key, "res.partner", "create",
				[]any{map[string]any{"name": "Created " + strconv.Itoa(n)}})
			return post(client, "https://bench.localhost/xmlrpc/2/object", "text/xml", body, user.Key, "<int>")
		}
		r := measure(d, 1, create)
		if r.err != nil {
			t.Fatalf("%s create: %v", engine.name, r.err)
		}
		sync := "synchronous=FULL"
		if engine.postgres {
			sync = "synchronous_commit=on"
		}
		fmt.Printf("| %s | create 1 partner, XML-RPC (%s) | 1 | %.0f | %s | %s | |\n", engine.name, sync, r.rate, r.p50, r.p99)
	}
}

// seedPartners creates the 10,000 partners the search reads from.
func seedPartners(t *testing.T, p *apitest.Platform) {
	p.Sudo(t, "bench", func(ctx context.Context, env *orm.Env) error {
		vals := make([]map[string]any, partners)
		for i := range vals {
			vals[i] = map[string]any{
				"name": fmt.Sprintf("Partner %05d", i), "email": fmt.Sprintf("p%d@example.com", i), "city": "City " + strconv.Itoa(i%100),
			}
		}
		_, err := env.Create(ctx, "res.partner", vals)
		return err
	})
}

// ormSearchRead is the same search_read through the ORM, as the same user, in a
// read transaction per call: the floor the API is compared with.
func ormSearchRead(t *testing.T, p *apitest.Platform, uid int64) func() error {
	lease, err := p.Router.Acquire(context.Background(), "bench")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lease.Release)
	dom, err := domain.FromValue([]any{[]any{"name", "ilike", "5"}}, domain.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return func() error {
		ctx := context.Background()
		tx, err := lease.DB.Read.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		env, err := base.NewEnv(ctx, tx, lease.DB.Engine, p.App.Registry, uid)
		if err != nil {
			return err
		}
		ids, err := env.Search(ctx, "res.partner", dom, orm.SearchOptions{Limit: 80})
		if err != nil {
			return err
		}
		recs, err := env.Read(ctx, "res.partner", ids, []string{"name", "email", "city"})
		if err != nil {
			return err
		}
		if len(recs) != 80 {
			return fmt.Errorf("read %d records", len(recs))
		}
		return tx.Commit()
	}
}

func post(c *http.Client, url, contentType string, body []byte, key, want string) error {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "bearer "+key)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(want)) || bytes.Contains(b, []byte("faultCode")) {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	return nil
}

type result struct {
	rate     float64
	p50, p99 time.Duration
	err      error
}

// measure runs fn from clients goroutines for d and reports throughput and latency.
func measure(d time.Duration, clients int, fn func() error) result {
	var (
		mu   sync.Mutex
		lats []time.Duration
		fail error
		wg   sync.WaitGroup
	)
	stop := time.Now().Add(d)
	start := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for time.Now().Before(stop) {
				t0 := time.Now()
				if err := fn(); err != nil {
					mu.Lock()
					fail = err
					mu.Unlock()
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lats) == 0 {
		return result{err: fail}
	}
	slices.Sort(lats)
	return result{
		rate: float64(len(lats)) / elapsed.Seconds(),
		p50:  lats[len(lats)/2].Round(10 * time.Microsecond),
		p99:  lats[len(lats)*99/100].Round(10 * time.Microsecond),
		err:  fail,
	}
}

// rssMiB is this process's resident memory (server and load client together).
func rssMiB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb / 1024
		}
	}
	return -1
}
