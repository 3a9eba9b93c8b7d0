package httpx

import (
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// simRun drives a limiter against a simulated token-bucket server (rate
// R(t), burst b, 429 with Retry-After: 1 s) with workers that always have a
// request to send and a fixed latency, on simulated time: no sleeping.
type simResult struct {
	ok, throttled int
	perSecond     []simSecond
}

type simSecond struct {
	ok, throttled int
	rate, wmax    float64
}

// simJitter delays each request by up to this much (seeded, uniform)
// between the limiter and the server, as scheduling and the network do.
const simJitter = 30 * time.Millisecond

func simulate(cfg config, r func(time.Duration) float64, burst int, workers int, latency, dur time.Duration, headers bool) simResult {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(&cfg, t0)
	srv := rate.NewLimiter(rate.Limit(r(0)), burst)
	type worker struct {
		state  int // 0 free, 1 waiting to send, 2 waiting for the answer
		at     time.Time
		queued time.Time
		ok     bool
	}
	ws := make([]worker, workers)
	for i := range ws {
		ws[i].at = t0
	}
	jit := rand.New(rand.NewPCG(1, 2))
	res := simResult{perSecond: make([]simSecond, int(dur/time.Second)+1)}
	const dt = 2 * time.Millisecond
	for now := t0; now.Sub(t0) < dur; now = now.Add(dt) {
		if lim := rate.Limit(r(now.Sub(t0))); lim != srv.Limit() {
			srv.SetLimitAt(now, lim)
		}
		sec := int(now.Sub(t0) / time.Second)
		res.perSecond[sec].rate, res.perSecond[sec].wmax = l.current(), l.wmax
		for i := range ws {
			w := &ws[i]
			if w.at.After(now) {
				continue
			}
			switch w.state {
			case 0:
				d, _ := l.reserve(now)
				w.state, w.at, w.queued = 1, now.Add(d), now
			case 1:
				if l.decreasedSince(w.queued) {
					d, _ := l.reserve(now)
					w.at, w.queued = now.Add(d), now
					if d > 0 {
						continue
					}
				}
				// Scheduling and network delay between leaving the limiter
				// and reaching the server.
				w.state, w.at = 3, now.Add(time.Duration(jit.Int64N(int64(simJitter))))
			case 3:
				w.ok = srv.AllowN(now, 1)
				if headers {
					exh := time.Duration(0)
					if srv.TokensAt(now) < 1 {
						exh = time.Duration(float64(time.Second) * (1 - srv.TokensAt(now)) / float64(srv.Limit()))
					}
					l.signal(now.Add(latency), float64(srv.Limit()), exh)
				}
				if w.ok {
					res.ok++
					res.perSecond[sec].ok++
				} else {
					res.throttled++
					res.perSecond[sec].throttled++
				}
				w.state, w.at = 2, now.Add(latency)
			case 2:
				if w.ok {
					l.accepted(now)
					w.state, w.at = 0, now
				} else {
					l.throttled(now, w.queued, time.Second)
					w.state, w.at = 0, now.Add(time.Second)
				}
			}
		}
	}
	return res
}

// TestLimiterLearnsTheLimit runs the limiter against simulated token-bucket
// servers (R unknown to it, burst below R, 429 with Retry-After: 1 s), on
// simulated time, and checks the goal: at least 0.9 R with under 2 % of
// requests refused over two minutes (the first seconds of learning
// included), the rate following R when it halves and doubles, and, with
// rate-limit headers, at least 0.98 R without a 429 once the first answer
// has told the rate.
func TestLimiterLearnsTheLimit(t *testing.T) {
	t.Parallel()
	const dur = 120 * time.Second
	for _, R := range []float64{5, 25, 100} {
		res := simulate(config{adaptive: true, burst: 1}, func(time.Duration) float64 { return R }, max(2, min(10, int(R/2))), 8, 2*time.Millisecond, dur, false)
		share, refused := float64(res.ok)/dur.Seconds()/R, float64(res.throttled)/float64(res.ok+res.throttled)
		t.Logf("R=%v: %.3f of R, %.2f %% refused", R, share, 100*refused)
		if share < 0.9 || refused > 0.02 {
			t.Errorf("R=%v: %.3f of R, %.2f %% refused; want >= 0.9 and < 2 %%", R, share, 100*refused)
		}
	}

	// R = 20, halved to 10 for a minute, then back: the last 15 s of each
	// phase run near its R.
	phase := func(d time.Duration) float64 {
		if d >= 60*time.Second && d < 120*time.Second {
			return 10
		}
		return 20
	}
	res := simulate(config{adaptive: true, burst: 1}, phase, 5, 8, 2*time.Millisecond, 180*time.Second, false)
	for _, end := range []int{60, 120, 180} {
		ok := 0
		for _, s := range res.perSecond[end-15 : end] {
			ok += s.ok
		}
		if R := phase(time.Duration(end-1) * time.Second); float64(ok)/15 < 0.85*R {
			t.Errorf("changing R: %.1f requests/s in the 15 s before %d s, R = %v", float64(ok)/15, end, R)
		}
	}
	if refused := float64(res.throttled) / float64(res.ok+res.throttled); refused > 0.02 {
		t.Errorf("changing R: %.2f %% refused", 100*refused)
	}

	res = simulate(config{adaptive: true, burst: 1}, func(time.Duration) float64 { return 50 }, 10, 8, 2*time.Millisecond, dur, true)
	if share := float64(res.ok) / dur.Seconds() / 50; share < 0.98 || res.throttled > 1 {
		t.Errorf("with headers: %.3f of R, %d refused", share, res.throttled)
	}
}

// An idle limiter (a client made long before its first request, or
// waiting for its callers) does not climb to a rate it never tried.
func TestLimiterIdleDoesNotGrow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(&config{adaptive: true, burst: 1}, t0)
	l.reserve(t0.Add(30 * time.Second))
	if l.current() != DefaultStartRate {
		t.Errorf("rate after 30 idle seconds = %v, want the start rate %v", l.current(), DefaultStartRate)
	}
}
