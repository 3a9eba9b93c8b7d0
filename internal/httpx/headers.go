package httpx

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseRateHeaders reads what a response says about the server's rate
// limit:
//
//   - RateLimit-Policy and RateLimit, the fields of
//     https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
//     (a policy `"name";q=100;w=10` allows q requests per w seconds; the
//     current state `"name";r=0;t=5` says r remain, restored in t seconds).
//     Earlier revisions' `100;w=10` policies and `RateLimit-Limit`,
//     `RateLimit-Remaining`, `RateLimit-Reset` fields are read too;
//   - the common X-RateLimit-Limit, X-RateLimit-Remaining and
//     X-RateLimit-Reset (delta seconds, or a Unix time).
//
// announced is the rate the policy allows in requests per second (0: no
// policy); exhausted, when the quota is spent, how long until another
// request may go. ok reports whether any such field was present.
func parseRateHeaders(h http.Header, now time.Time) (announced float64, exhausted time.Duration, ok bool) {
	if p := h.Get("RateLimit-Policy"); p != "" {
		announced, ok = policyRate(h.Values("RateLimit-Policy")), true
	}
	remaining, reset, found := currentQuota(h, now)
	ok = ok || found
	if found && remaining == 0 && reset > 0 {
		exhausted = reset
		if announced > 0 {
			// The quota refills continuously: one more request is allowed
			// after 1/announced seconds, usually well before t whole seconds.
			exhausted = min(exhausted, time.Duration(float64(time.Second)/announced))
		}
	}
	return announced, exhausted, ok
}

// policyRate returns the smallest rate among the policies (the binding
// one), in requests per second; 0 when none parses.
func policyRate(fields []string) float64 {
	best := 0.0
	for _, f := range fields {
		for item := range strings.SplitSeq(f, ",") {
			parts := strings.Split(strings.TrimSpace(item), ";")
			var q, w float64
			if n, err := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64); err == nil {
				q = n // an earlier revision's "100;w=10"
			}
			for _, p := range parts[1:] {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				n, err := strconv.ParseFloat(strings.Trim(v, `"`), 64)
				if err != nil {
					continue
				}
				switch strings.ToLower(k) {
				case "q":
					q = n
				case "w":
					w = n
				}
			}
			if q > 0 && w > 0 && !math.IsInf(q/w, 0) {
				if r := q / w; best == 0 || r < best {
					best = r
				}
			}
		}
	}
	return best
}

// currentQuota returns the remaining requests and the time until the quota
// is restored, from RateLimit (r, t parameters), the earlier revisions'
// RateLimit-Remaining/-Reset, or X-RateLimit-Remaining/-Reset.
func currentQuota(h http.Header, now time.Time) (remaining int64, reset time.Duration, ok bool) {
	if v := h.Get("RateLimit"); v != "" {
		remaining, reset = -1, 0
		for item := range strings.SplitSeq(v, ",") {
			for p := range strings.SplitSeq(item, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err != nil {
					continue
				}
				switch strings.ToLower(k) {
				case "r", "remaining":
					if remaining < 0 || n < remaining {
						remaining = n
					}
				case "t", "reset":
					reset = max(reset, time.Duration(n)*time.Second)
				}
			}
		}
		if remaining >= 0 {
			return remaining, reset, true
		}
	}
	for _, prefix := range []string{"RateLimit-", "X-RateLimit-"} {
		rem := h.Get(prefix + "Remaining")
		if rem == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(rem), 10, 64)
		if err != nil || n < 0 {
			continue
		}
		return n, resetIn(h.Get(prefix+"Reset"), now), true
	}
	return 0, 0, false
}

// resetIn reads a reset field: delta seconds, or a Unix time when the
// number is too large to be a delta.
func resetIn(v string, now time.Time) time.Duration {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) {
		return 0
	}
	if n > 1e9 {
		return max(0, time.Unix(int64(n), 0).Sub(now))
	}
	return time.Duration(n * float64(time.Second))
}
