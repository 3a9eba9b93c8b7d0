package httpx

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is the adaptive client-side rate limiter shared by every caller of
// one Client. A 429 halves the rate (down to a floor of a tenth of the
// configured rate), holds every caller until the server's Retry-After has
// passed, and keeps the lowered rate for a cooldown; after each quiet
// cooldown the rate doubles until it is back at the configured rate.
type limiter struct {
	mu         sync.Mutex
	lim        *rate.Limiter
	base       rate.Limit
	cur        rate.Limit
	floor      rate.Limit
	cooldown   time.Duration
	slowUntil  time.Time // no recovery step before this instant
	pauseUntil time.Time // no request at all before this instant
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

// reserve takes one token at now and says how long the caller must wait.
// cancel gives the token back when the caller does not go ahead.
func (l *limiter) reserve(now time.Time) (delay time.Duration, cancel func(time.Time)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur < l.base && !now.Before(l.slowUntil) {
		l.cur = min(l.base, l.cur*2)
		l.lim.SetLimitAt(now, l.cur)
		l.slowUntil = now.Add(l.cooldown)
	}
	r := l.lim.ReserveN(now, 1)
	delay = r.DelayFrom(now)
	if p := l.pauseUntil.Sub(now); p > delay {
		delay = p
	}
	return delay, r.CancelAt
}

// throttled records a 429 seen at now with the server's (capped) Retry-After.
func (l *limiter) throttled(now time.Time, retryAfter time.Duration) rate.Limit {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Several callers may see 429s from one burst: halve at most once per
	// cooldown window so one storm does not floor the rate.
	if now.Before(l.slowUntil) && l.cur < l.base {
		if p := now.Add(retryAfter); p.After(l.pauseUntil) {
			l.pauseUntil = p
		}
		return l.cur
	}
	l.cur = max(l.floor, l.cur/2)
	l.lim.SetLimitAt(now, l.cur)
	l.slowUntil = now.Add(max(l.cooldown, retryAfter))
	if p := now.Add(retryAfter); p.After(l.pauseUntil) {
		l.pauseUntil = p
	}
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
	// Deadlines are wall-clock instants, so they are compared with the wall
	// clock even when the limiter runs on an injected one.
	if dl, ok := ctx.Deadline(); ok && delay > time.Until(dl) {
		cancel(now)
		return fmt.Errorf("%w (wait %s): %w", ErrRateLimitWait, delay.Round(time.Millisecond), context.DeadlineExceeded)
	}
	if err := c.cfg.wait(ctx, delay); err != nil {
		cancel(c.cfg.now())
		return err
	}
	return nil
}

// sleep is the default WaitFunc.
func sleep(ctx context.Context, d time.Duration) error {
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
