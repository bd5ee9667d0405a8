package jobs

import (
	"time"

	"github.com/riverqueue/river/rivertype"
)

// backoff doubles the wait after each failed attempt, from base up to max,
// so a site that is down for a day is retried about every max without
// hammering it while it is coming back.
type backoff struct {
	base, max time.Duration
	now       func() time.Time
}

func (b backoff) delay(attempt int) time.Duration {
	d := b.base
	for i := 1; i < attempt && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}

// NextRetry implements river.ClientRetryPolicy.
func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return b.now().Add(b.delay(job.Attempt))
}
