package tenancy

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/instant-erp/instanterp/internal/store"
)

// RouterConfig configures a Router.
type RouterConfig struct {
	Catalogue *Catalogue
	// Open opens a tenant's database with at most conns PostgreSQL connections.
	Open func(ctx context.Context, t Tenant, conns int) (*store.DB, error)
	// MaxOpen bounds the number of open tenant databases (default 256).
	MaxOpen int
	// IdleTimeout closes databases unused for that long (default 10 minutes).
	IdleTimeout time.Duration
	// PerTenantConns is each PostgreSQL tenant's pool size (default 4), and
	// MaxConnections the cap on their sum (default 80).
	PerTenantConns int
	MaxConnections int
	Now            func() time.Time
}

// ErrBusy means every open tenant database is in use and the connection cap is reached.
var ErrBusy = errors.New("too many tenant databases in use; try again shortly")

// Router hands out tenant databases: the only way code reaches one. It keeps a bounded
// LRU of open handles, opens each at most once concurrently, and closes idle ones.
type Router struct {
	cfg     RouterConfig
	opening singleflight.Group

	mu      sync.Mutex
	handles map[string]*handle
	lru     *list.List // front = most recently used
	conns   int        // PostgreSQL connections of open handles
	closed  bool
}

type handle struct {
	tenant   Tenant
	db       *store.DB
	conns    int
	refs     int
	lastUsed time.Time
	elem     *list.Element
	removed  bool // no longer routable: closed by the last Release
}

// NewRouter returns a router.
func NewRouter(cfg RouterConfig) *Router {
	if cfg.MaxOpen <= 0 {
		cfg.MaxOpen = 256
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.PerTenantConns <= 0 {
		cfg.PerTenantConns = 4
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 80
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Router{cfg: cfg, handles: map[string]*handle{}, lru: list.New()}
}

// Lease is the use of one tenant database by one request. Release it when done.
type Lease struct {
	Tenant Tenant
	DB     *store.DB
	r      *Router
	h      *handle
	once   sync.Once
}

// Release returns the database to the router.
func (l *Lease) Release() {
	l.once.Do(func() {
		l.r.mu.Lock()
		defer l.r.mu.Unlock()
		l.h.refs--
		l.h.lastUsed = l.r.cfg.Now()
		if l.h.removed && l.h.refs == 0 {
			l.h.db.Close()
		}
	})
}

// Acquire returns the database of the live tenant called name. It consults the
// catalogue every time, so a suspension or deletion made by another process takes
// effect on the next request.
func (r *Router) Acquire(ctx context.Context, name string) (*Lease, error) {
	t, err := r.cfg.Catalogue.Get(ctx, name)
	if err == nil && t.State == Suspended {
		err = fmt.Errorf("%w: %q", ErrSuspended, name)
	}
	if err != nil {
		r.Evict(name)
		return nil, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		if l := r.lease(t); l != nil {
			return l, nil
		}
		if _, err, _ := r.opening.Do(name, func() (any, error) { return nil, r.open(ctx, t) }); err != nil {
			return nil, err
		}
	}
	return nil, ErrBusy
}

// lease takes a reference on an open handle of t, or returns nil.
func (r *Router) lease(t Tenant) *Lease {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.handles[t.Name]
	if h == nil || r.closed {
		return nil
	}
	if h.tenant.ID != t.ID {
		// The name now belongs to a newer tenant: the old handle is stale.
		r.removeLocked(h)
		return nil
	}
	h.tenant = t
	h.refs++
	h.lastUsed = r.cfg.Now()
	r.lru.MoveToFront(h.elem)
	return &Lease{Tenant: t, DB: h.db, r: r, h: h}
}

func (r *Router) open(ctx context.Context, t Tenant) error {
	conns := 0
	if t.Engine == store.Postgres {
		conns = r.cfg.PerTenantConns
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return errors.New("router closed")
	}
	if _, ok := r.handles[t.Name]; ok {
		r.mu.Unlock()
		return nil
	}
	ok := r.makeRoomLocked(conns)
	r.mu.Unlock()
	if !ok {
		return ErrBusy
	}
	db, err := r.cfg.Open(ctx, t, max(conns, 1))
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || !r.makeRoomLocked(conns) {
		db.Close()
		return ErrBusy
	}
	h := &handle{tenant: t, db: db, conns: conns, lastUsed: r.cfg.Now()}
	h.elem = r.lru.PushFront(h)
	r.handles[t.Name] = h
	r.conns += conns
	return nil
}

// makeRoomLocked closes least recently used idle handles until one more handle with
// conns connections fits under both caps.
func (r *Router) makeRoomLocked(conns int) bool {
	for e := r.lru.Back(); e != nil && (len(r.handles) >= r.cfg.MaxOpen || r.conns+conns > r.cfg.MaxConnections); {
		prev := e.Prev()
		if h := e.Value.(*handle); h.refs == 0 {
			r.removeLocked(h)
		}
		e = prev
	}
	return len(r.handles) < r.cfg.MaxOpen && r.conns+conns <= r.cfg.MaxConnections
}

// removeLocked forgets a handle; its database is closed now if unused, or by the
// last Release otherwise.
func (r *Router) removeLocked(h *handle) {
	if r.handles[h.tenant.Name] == h {
		delete(r.handles, h.tenant.Name)
	}
	r.lru.Remove(h.elem)
	r.conns -= h.conns
	h.removed = true
	if h.refs == 0 {
		h.db.Close()
	}
}

// Evict closes the handle of a tenant (after a deletion, suspension or restore).
func (r *Router) Evict(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h := r.handles[name]; h != nil {
		r.removeLocked(h)
	}
}

// EvictIdle closes handles unused for longer than the idle timeout and returns how many.
func (r *Router) EvictIdle() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	cutoff := r.cfg.Now().Add(-r.cfg.IdleTimeout)
	n := 0
	for e := r.lru.Back(); e != nil; {
		prev := e.Prev()
		if h := e.Value.(*handle); h.refs == 0 && h.lastUsed.Before(cutoff) {
			r.removeLocked(h)
			n++
		}
		e = prev
	}
	return n
}

// Run evicts idle handles periodically until ctx ends.
func (r *Router) Run(ctx context.Context) {
	tick := time.NewTicker(max(r.cfg.IdleTimeout/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.EvictIdle()
		}
	}
}

// Stats reports the router's occupancy.
type Stats struct {
	Open        int
	InUse       int
	Connections int
}

// Stats returns current occupancy.
func (r *Router) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{Open: len(r.handles), Connections: r.conns}
	for _, h := range r.handles {
		if h.refs > 0 {
			s.InUse++
		}
	}
	return s
}

// Close closes every tenant database; leases still out close theirs on Release.
func (r *Router) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, h := range r.handles {
		r.removeLocked(h)
	}
	return nil
}
