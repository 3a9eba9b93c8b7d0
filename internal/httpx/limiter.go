package httpx

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Tuning of the adaptive limiter. The names follow TCP CUBIC (RFC 9438),
// whose congestion window is this limiter's rate.
const (
	// beta is the multiplicative decrease: after a 429 the rate drops to
	// beta times the limit seen.
	beta = 0.9
	// slowStartGrowth is how much the rate grows per second before the
	// first 429 (or server signal) has shown where the limit lies.
	slowStartGrowth = 2
	// minEpoch and maxEpoch bound K, the time the rate takes to climb back
	// to the last limit seen. K is epochRequests requests' worth of time,
	// so a slow target is probed rarely (a 429 costs it more) and a fast
	// one follows changes quickly.
	minEpoch      = 5 * time.Second
	maxEpoch      = 30 * time.Second
	epochRequests = 200
	// margin places the plateau a little under the rate that drew the 429,
	// where the limit must lie: this many requests per second under it, at
	// most a twentieth of it. A slow target, where one 429 weighs more
	// against the requests it takes, gets the larger share.
	margin = 0.3
	// window is how far back the accepted-request count reaches when a 429
	// estimates the server's rate.
	window      = 4 * time.Second
	slots       = 16
	slotLen     = window / slots
	minEstimate = 500 * time.Millisecond
	// enoughAnswers is how many accepted answers make an estimate: a fast
	// server is measured over its last moments, a slow one over the window.
	enoughAnswers = 40
	// probeGrowth is how much above the plateau the probe is K after it.
	probeGrowth = 0.3
	// probeAbove bounds the probe beyond the last limit seen to this much
	// more than the server has been seen to accept.
	probeAbove = 1.5
	// nearPlateau and settle: a probe refused below nearPlateau times the
	// plateau moves the plateau to settle times its old level.
	nearPlateau = 1.1
	settle      = 0.98
	// cascade is the decrease when 429s follow each other too fast to
	// measure what the server accepts.
	cascade = 0.5
	// maxLearnedRate bounds a learning limiter with no ceiling.
	maxLearnedRate = 10_000
	// hintBackoff lowers the share of an announced rate used after a 429.
	hintBackoff = 0.97
	// hintFresh is how long a rate announced in response headers holds.
	hintFresh = 30 * time.Second
)

// limiter is the adaptive client-side rate limiter shared by every caller of
// one Client. It learns the server's limit as TCP CUBIC (RFC 9438) learns a
// path's capacity:
//
//   - before any 429 it grows by half every second (slow start), from the
//     start rate up to the ceiling;
//   - a 429 sets the "last limit seen" (wmax) to the smaller of the rate in
//     force and the rate the server actually accepted over the last two
//     seconds, and lowers the rate to beta times it (multiplicative
//     decrease). Only 429s to requests sent after the previous decrease
//     count, so one overload lowers the rate once;
//   - then the rate follows the cubic curve wmax + C·(t−K)³: it climbs
//     quickly at first, slowly near wmax (the plateau, where it spends most
//     of its time), and faster again beyond it, so a limit that rose is
//     found within seconds (additive increase that probes more slowly the
//     closer it is to the last limit seen);
//   - rate-limit response headers (RateLimit-Policy/RateLimit from
//     draft-ietf-httpapi-ratelimit-headers, X-RateLimit-*) replace guessing:
//     an announced rate is used as is, and an exhausted quota holds new
//     requests until it resets.
//
// A ceiling (a user-set rate) is never exceeded. Only the throttled request
// itself waits for its Retry-After: the other callers slow down, they do not
// stop.
type limiter struct {
	mu        sync.Mutex
	lim       *rate.Limiter
	cur       float64 // rate in force
	ceiling   float64 // never exceeded
	floor     float64
	wmax      float64   // last limit seen; 0 before the first 429
	epoch     time.Time // start of the current climb (slow start or cubic)
	from      float64   // rate at epoch start (slow start)
	k         float64   // seconds from epoch to wmax on the cubic curve
	decrease  time.Time // last decrease: 429s to earlier requests are not counted again
	exiting   bool      // the 429s since slow start ended have come too fast to measure
	last      time.Time // latest instant seen: the limiter's time never goes back
	hint      float64   // rate announced by the server's headers (0: none)
	hintScale float64   // share of the announced rate used; lowered by 429s
	hintAt    time.Time
	hold      time.Time // quota exhausted: nothing is sent before this instant
	ok        [slots]int
	okSlot    int64 // index (in slotLen units since zero time) of ok's newest slot
	started   time.Time
}

func newLimiter(cfg *config, now time.Time) *limiter {
	if cfg.rate <= 0 && !cfg.adaptive {
		return nil
	}
	// A user-set rate is a ceiling and, unless a start rate says otherwise,
	// where the limiter starts.
	ceiling, start := cfg.rate, cmp.Or(cfg.start, cfg.rate, DefaultStartRate)
	if ceiling <= 0 {
		ceiling = maxLearnedRate
	}
	start = min(start, ceiling)
	l := &limiter{
		lim:       rate.NewLimiter(rate.Limit(start), cfg.burst),
		cur:       start,
		ceiling:   ceiling,
		floor:     min(start, ceiling) / 100,
		epoch:     now,
		from:      start,
		last:      now,
		started:   now,
		hintScale: 1,
	}
	if cfg.start > 0 {
		// A rate learned earlier: start on the plateau at it rather than
		// probing from scratch.
		l.setPlateau(now, start)
	}
	return l
}

// setPlateau makes w the last limit seen, with the curve at its plateau now.
func (l *limiter) setPlateau(now time.Time, w float64) {
	l.wmax = w
	l.k = l.epochFor(w).Seconds()
	l.epoch = now.Add(-time.Duration(l.k * float64(time.Second)))
}

// below returns the plateau for a 429 drawn at rate r.
func below(r float64) float64 { return r - max(min(margin, r/10), r*0.03) }

// epochFor returns K for a last limit w.
func (l *limiter) epochFor(w float64) time.Duration {
	return min(maxEpoch, max(minEpoch, time.Duration(epochRequests/w*float64(time.Second))))
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

// target returns the rate the curve gives at now.
func (l *limiter) target(now time.Time) float64 {
	if l.hint > 0 && now.Sub(l.hintAt) < hintFresh {
		return min(l.ceiling, l.hint*l.hintScale)
	}
	t := now.Sub(l.epoch).Seconds()
	if t < 0 {
		return l.cur
	}
	// The rate grows only as far as the answers show it used (as TCP's
	// window does, RFC 7661): an idle client, or one paced by its callers,
	// does not climb to a rate it never tried.
	used, ok := l.acceptedRate(now)
	if l.wmax <= 0 { // slow start
		r := l.from * math.Pow(slowStartGrowth, t)
		if ok {
			r = min(r, max(l.from, slowStartGrowth*used))
		} else {
			r = l.from
		}
		return min(l.ceiling, r)
	}
	// The cubic W(t) = wmax + C·(t−K)³: below the plateau C makes W(0) =
	// beta·wmax; beyond it C is steeper, so that a limit that doubled is
	// reached about 1.4 K after the plateau.
	d := t - l.k
	c := l.wmax * (1 - beta) / (l.k * l.k * l.k)
	if d > 0 {
		c = l.wmax * probeGrowth / (l.k * l.k * l.k)
	}
	r := l.wmax + c*d*d*d
	if r > l.wmax {
		if ok {
			r = min(r, max(l.wmax, probeAbove*used))
		} else {
			r = l.wmax
		}
	}
	return min(l.ceiling, max(l.floor, r))
}

// reserve takes one token at now and says how long the caller must wait.
// cancel gives the token back when the caller does not go ahead.
func (l *limiter) reserve(now time.Time) (delay time.Duration, cancel func(time.Time)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.monotonic(now)
	if r := l.target(now); r != l.cur {
		l.cur = r
		l.lim.SetLimitAt(now, rate.Limit(r))
	}
	r := l.lim.ReserveN(now, 1)
	delay = r.DelayFrom(now)
	if h := l.hold.Sub(now); h > delay {
		delay = h
	}
	return delay, r.CancelAt
}

// accepted records a response that was not a 429, at now.
func (l *limiter) accepted(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.monotonic(now)
	l.roll(now)
	l.ok[l.okSlot%slots]++
}

// roll advances the ring of per-slot counts to now's slot.
func (l *limiter) roll(now time.Time) {
	s := now.UnixNano() / int64(slotLen)
	if s-l.okSlot >= slots {
		l.ok = [slots]int{}
	} else {
		for i := l.okSlot + 1; i <= s; i++ {
			l.ok[i%slots] = 0
		}
	}
	l.okSlot = max(l.okSlot, s)
}

// acceptedRate is the rate of accepted responses over the most recent
// part of the window (since the last decrease) that holds enough of them.
// ok is false when that part is too short or too sparse to say.
func (l *limiter) acceptedRate(now time.Time) (float64, bool) {
	l.roll(now)
	// Answers from before the last decrease were paced differently.
	since := l.started
	if l.decrease.After(since) {
		since = l.decrease
	}
	n := l.ok[l.okSlot%slots]
	span := time.Duration(now.UnixNano() % int64(slotLen))
	for i := int64(1); i < slots && n < enoughAnswers && now.Add(-span-slotLen).After(since); i++ {
		n += l.ok[(l.okSlot-i)%slots]
		span += slotLen
	}
	span = min(span, now.Sub(since))
	if span < slotLen || n < 3 {
		return 0, false
	}
	return float64(n) / span.Seconds(), true
}

// throttled records a 429 seen at now for a request sent at sent, with the
// server's (capped) Retry-After, and returns the rate in force.
func (l *limiter) throttled(now, sent time.Time, retryAfter time.Duration) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.monotonic(now)
	if sent.Before(l.decrease) {
		return l.cur // this overload already lowered the rate
	}
	if l.hint > 0 && now.Sub(l.hintAt) < hintFresh {
		// The server announced its rate and still refused: it counts a
		// little differently (clock, window edges). Stay a little lower.
		l.hintScale = max(0.5, l.hintScale*hintBackoff)
		l.cur = l.target(now)
		l.lim.SetLimitAt(now, rate.Limit(l.cur))
		l.decrease = now
		return l.cur
	}
	// The limit lies just under the rate that drew the 429, unless the
	// server accepted clearly less than that (the limit fell, or slow start
	// overshot): then it lies near what the server accepted.
	w := below(l.cur)
	est, ok := l.acceptedRate(now)
	exiting := false
	switch {
	case ok && est < beta*l.cur:
		w = below(est)
		if l.wmax == 0 {
			// Slow start's overshoot: what the server accepted includes
			// the burst it had saved up, a large share of so short a span.
			w *= beta
		}
	case l.wmax > 0 && l.cur > l.wmax && l.cur < l.wmax*nearPlateau:
		// A probe that failed just above the plateau: the limit lies
		// between them, and the 429 came only once the server's burst
		// had drained, well after the rate passed it. Settle a little
		// under the plateau that held.
		w = min(w, l.wmax*settle)
	case !ok && (l.wmax == 0 || l.exiting && now.Sub(l.decrease) < window):
		// Slow start overshot before enough answers came to measure what
		// the server accepts: halve, as TCP leaves slow start, until the
		// 429s stop coming.
		w, exiting = l.cur*cascade, true
	}
	l.wmax = max(w, l.floor)
	l.k = l.epochFor(l.wmax).Seconds()
	if now.Sub(l.started) < window {
		// An estimate from less than a window of answers is rough: climb
		// back to it, and past it, quickly.
		l.k = min(l.k, 2*minEpoch.Seconds())
	}
	// The climb starts once the server's Retry-After has passed.
	l.epoch = now.Add(min(retryAfter, l.epochFor(l.wmax)))
	l.cur = max(l.floor, beta*l.wmax)
	// A fresh, empty bucket: the requests queued at the old rate queue
	// again (waitLimiter), so their places are not owed at the new rate,
	// and the next request goes 1/rate from now.
	l.lim = rate.NewLimiter(rate.Limit(l.cur), l.lim.Burst())
	l.lim.ReserveN(now, l.lim.Burst())
	l.exiting = exiting
	l.decrease = now
	return l.cur
}

// signal records what the server's rate-limit headers said at now: an
// announced rate (0: none) and, when the quota is spent, how long until it
// resets.
func (l *limiter) signal(now time.Time, announced float64, exhaustedFor time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.monotonic(now)
	if announced > 0 {
		l.hint, l.hintAt = announced, now
		if l.wmax > 0 && l.wmax < announced && now.Sub(l.decrease) > hintFresh {
			l.wmax = 0 // an old guess below what the server now announces
		}
	}
	if exhaustedFor > 0 {
		l.hold = now.Add(exhaustedFor)
	}
}

// current returns the rate in force, in requests per second.
func (l *limiter) current() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// learned returns the rate a later client should start from: the rate the
// server announced, else the last limit seen (the plateau, just under the
// rate that drew a 429), else the rate in force.
func (l *limiter) learned() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.hint > 0:
		return min(l.ceiling, l.hint*l.hintScale)
	case l.wmax > 0:
		return min(l.ceiling, l.wmax)
	}
	return l.cur
}

// waitLimiter blocks until the caller may send, through the client's wait
// seam, and returns the instant it took its place in the queue: a 429 to a
// request queued before the last decrease says nothing about the lowered
// rate. A caller whose wait a decrease overtook queues again at the lowered
// rate, so a 429 slows the requests already waiting too. It refuses to
// start a wait that would pass ctx's deadline.
func (c *Client) waitLimiter(ctx context.Context) (time.Time, error) {
	now := c.cfg.now()
	if c.lim == nil {
		return now, ctx.Err()
	}
	for range 3 { // more decreases in a row than this are one overload
		delay, cancel := c.lim.reserve(now)
		if delay <= 0 {
			return now, nil
		}
		// Deadlines are wall-clock instants, so they are compared with the
		// wall clock even when the limiter runs on an injected one.
		if dl, ok := ctx.Deadline(); ok && delay > time.Until(dl) {
			c.lim.cancel(cancel, now)
			return now, fmt.Errorf("%w (wait %s): %w", ErrRateLimitWait, delay.Round(time.Millisecond), context.DeadlineExceeded)
		}
		if err := c.wait(ctx, delay); err != nil {
			c.lim.cancel(cancel, c.cfg.now())
			return now, err
		}
		if !c.lim.decreasedSince(now) {
			return now, nil
		}
		now = c.cfg.now()
	}
	return now, nil
}

// wait waits for d through the injected WaitFunc, or [Sleep].
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.cfg.wait != nil {
		return c.cfg.wait(ctx, d)
	}
	return Sleep(ctx, d)
}

// cancel gives back a reservation's token at t.
func (l *limiter) cancel(f func(time.Time), t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.monotonic(t))
}

// decreasedSince reports whether the rate was lowered after t.
func (l *limiter) decreasedSince(t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.decrease.After(t)
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
