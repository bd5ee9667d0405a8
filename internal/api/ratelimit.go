package api

import (
	"math"
	"sync"
	"time"
)

// rateLimiter keeps one token bucket per key in memory. It bounds its own size:
// when full, buckets that have refilled completely (and so carry no state worth
// keeping) are dropped.
type rateLimiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory whatever the number of callers.
const maxBuckets = 100_000

func newRateLimiter(rate Rate, now func() time.Time) *rateLimiter {
	if rate.Burst <= 0 {
		rate.Burst = int(math.Max(1, math.Ceil(rate.PerSecond)))
	}
	return &rateLimiter{rate: rate, now: now, buckets: map[string]*bucket{}}
}

// take spends one token of key's bucket. It returns 0 when the request may go
// ahead, or how long to wait before the next token.
func (l *rateLimiter) take(key string) time.Duration {
	if l.rate.PerSecond < 0 {
		return 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+elapsed*l.rate.PerSecond)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	if l.rate.PerSecond == 0 {
		return time.Hour
	}
	wait := time.Duration((1 - b.tokens) / l.rate.PerSecond * float64(time.Second))
	return max(wait, time.Second)
}

// sweep drops full buckets; if none is full, it drops everything, which only
// forgives callers and never wrongly refuses one.
func (l *rateLimiter) sweep(now time.Time) {
	full := time.Duration(float64(l.rate.Burst) / math.Max(l.rate.PerSecond, 1e-9) * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}
