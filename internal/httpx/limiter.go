package httpx

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is the adaptive client-side rate limiter shared by every caller of
// one Client. A 429 lowers the rate to 70 % (never below a tenth of the
// configured rate) and keeps it there for a cooldown (or the server's
// Retry-After, if longer); after each quiet cooldown the rate grows by half
// until it is back at the configured rate. Only the throttled request
// itself waits for its Retry-After: the other callers slow down, they do
// not stop.
type limiter struct {
	mu        sync.Mutex
	lim       *rate.Limiter
	base      rate.Limit
	cur       rate.Limit
	floor     rate.Limit
	cooldown  time.Duration
	slowUntil time.Time // no recovery step before this instant
	last      time.Time // latest instant seen: the limiter's time never goes back
}

func newLimiter(rps float64, burst int, cooldown time.Duration) *limiter {
	if rps <= 0 {
		return nil
	}
	base := rate.Limit(rps)
	floor := base / 10
	return &limiter{
		lim:      rate.NewLimiter(base, burst),
		base:     base,
		cur:      base,
		floor:    floor,
		cooldown: cooldown,
	}
}

// monotonic returns now, or the latest instant already seen when now is
// earlier. Concurrent callers read the clock before taking the lock, so
// their instants can arrive out of order; rate.Limiter would count the
// interval twice if its time went back, letting bursts through.
func (l *limiter) monotonic(now time.Time) time.Time {
	if now.Before(l.last) {
		return l.last
	}
	l.last = now
	return now
}

// reserve takes one token at now and says how long the caller must wait.
// cancel gives the token back when the caller does not go ahead.
func (l *limiter) reserve(now time.Time) (delay time.Duration, cancel func(time.Time)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.monotonic(now)
	if l.cur < l.base && !now.Before(l.slowUntil) {
		l.cur = min(l.base, l.cur*1.5)
		l.lim.SetLimitAt(now, l.cur)
		l.slowUntil = now.Add(l.cooldown)
	}
	r := l.lim.ReserveN(now, 1)
	return r.DelayFrom(now), r.CancelAt
}

// throttled records a 429 seen at now with the server's (capped) Retry-After.
func (l *limiter) throttled(now time.Time, retryAfter time.Duration) rate.Limit {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.monotonic(now)
	// Several callers may see 429s from one burst: lower the rate at most
	// once per cooldown window so one storm does not floor it.
	if now.Before(l.slowUntil) && l.cur < l.base {
		return l.cur
	}
	l.cur = max(l.floor, l.cur*0.7)
	l.lim.SetLimitAt(now, l.cur)
	l.slowUntil = now.Add(max(l.cooldown, retryAfter))
	return l.cur
}

// current returns the rate in force, in requests per second.
func (l *limiter) current() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return float64(l.cur)
}

// wait blocks until the caller may send, through the client's wait seam. It
// refuses to start a wait that would pass ctx's deadline.
func (c *Client) waitLimiter(ctx context.Context) error {
	if c.lim == nil {
		return ctx.Err()
	}
	now := c.cfg.now()
	delay, cancel := c.lim.reserve(now)
	if delay <= 0 {
		return nil
	}
	cancelAt := func(t time.Time) {
		c.lim.mu.Lock()
		t = c.lim.monotonic(t)
		cancel(t)
		c.lim.mu.Unlock()
	}
	// Deadlines are wall-clock instants, so they are compared with the wall
	// clock even when the limiter runs on an injected one.
	if dl, ok := ctx.Deadline(); ok && delay > time.Until(dl) {
		cancelAt(now)
		return fmt.Errorf("%w (wait %s): %w", ErrRateLimitWait, delay.Round(time.Millisecond), context.DeadlineExceeded)
	}
	if err := c.cfg.wait(ctx, delay); err != nil {
		cancelAt(c.cfg.now())
		return err
	}
	return nil
}

// Sleep is the default WaitFunc: it waits for d, or until ctx ends and
// returns its error.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
