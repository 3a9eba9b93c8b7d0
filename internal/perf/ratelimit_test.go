package perf

import (
	"fmt"
	"github.com/druvascim/druvascim"
	"testing"
	"time"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
)

// BenchmarkRateLimited runs the initial cycle of a tenant of
// PERF_RATE_USERS users (default 2,000) into a fake Druva that limits
// itself to R requests/s (R = 25 and 100; a token bucket of
// PERF_RATE_SERVER_BURST, default 10, answering 429 with Retry-After when
// exceeded), through a druva client limited to the same R (burst
// PERF_RATE_CLIENT_BURST, default druva.DefaultBurst). It runs in real time:
// at R = 25 a default run takes about a minute.
//
// Metrics: sustained writes/s over the apply phase and its share of R
// (target >= 0.9), the share of Druva requests answered 429 (target
// < 0.01), the client's retries and its rate at the end (lower than R after
// an adaptive slow-down).
func BenchmarkRateLimited(b *testing.B) {
	users := envInt(b, "PERF_RATE_USERS", 2_000)
	serverBurst := envInt(b, "PERF_RATE_SERVER_BURST", 10)
	clientBurst := envInt(b, "PERF_RATE_CLIENT_BURST", druva.DefaultBurst)
	for _, rate := range []int{25, 100} {
		b.Run(fmt.Sprintf("R=%d/users=%d", rate, users), func(b *testing.B) {
			var apply time.Duration
			var creates, requests, throttled, retries int
			var last cycle
			var endRate float64
			for range b.N {
				b.StopTimer()
				r := newRig(b, rigConfig{users: users,
					druvaOpts:  []druvatest.Option{druvatest.WithRateLimit(float64(rate), serverBurst)},
					clientOpts: []druva.Option{druva.WithRateLimit(float64(rate), clientBurst)}})
				b.StartTimer()
				c := r.run(b, r.sync)
				b.StopTimer()
				n := c.res.Plan.Counts[druvascim.ActionCreate]
				if n == 0 || r.druva.Len() != n {
					b.Fatalf("%d creates planned, fake Druva holds %d", n, r.druva.Len())
				}
				apply += c.res.Report.Summary.Apply
				creates += n
				requests += c.druva
				throttled += c.throttle
				retries += int(r.client.Stats().Retries)
				endRate = r.client.RateLimit()
				last = c
				b.StartTimer()
			}
			wps := float64(creates) / apply.Seconds()
			b.ReportMetric(float64(last.res.Plan.Counts[druvascim.ActionCreate]), "creates")
			b.ReportMetric(wps, "writes/s")
			b.ReportMetric(wps/float64(rate), "share-of-R")
			b.ReportMetric(float64(throttled)/float64(requests), "share-429")
			b.ReportMetric(float64(throttled)/float64(b.N), "429s")
			b.ReportMetric(float64(retries)/float64(b.N), "client-retries")
			b.ReportMetric(endRate, "client-rate-at-end")
			b.ReportMetric(last.wall.Seconds(), "cycle-s")
			b.ReportMetric(float64(serverBurst), "server-burst")
			b.ReportMetric(float64(clientBurst), "client-burst")
		})
	}
}
