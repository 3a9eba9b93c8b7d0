package perf

import (
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
)

// BenchmarkLearnRate runs an initial cycle into a fake Druva that limits
// itself to R requests/s (a token bucket with a burst below R, answering 429
// with Retry-After: 1 s), through a Druva client made as a user makes it:
// no rate option, so the client does not know R and must learn it. Each run
// lasts at least PERF_LEARN_SECONDS (default 65) seconds of writes, in real
// time.
//
//   - R=5 ... R=100: a fixed limit;
//   - changing: R = 50, halved to 25 after a third of the writes, back to 50
//     after two thirds;
//   - headers: R = 50 with RateLimit-Policy/RateLimit and X-RateLimit-*
//     fields on every answer.
//
// Metrics: throughput over the apply phase as a share of R (R averaged over
// the phases for the changing run; goal >= 0.9, with headers >= 0.98) and
// the share of Druva requests answered 429 (goal < 0.01; with headers 0).
// With PERF_LEARN_OUT=DIR each run also writes DIR/<name>.csv, one line per
// second: seconds since the first write, R, requests, 429s and creates in
// that second, and the client's rate. cmd/rateplot draws them.
func BenchmarkLearnRate(b *testing.B) {
	secs := envInt(b, "PERF_LEARN_SECONDS", 65)
	for _, sc := range learnScenarios(secs) {
		b.Run(sc.name, func(b *testing.B) {
			var share, refused float64
			for range b.N {
				share, refused = runLearn(b, sc, secs)
			}
			b.ReportMetric(share, "share-of-R")
			b.ReportMetric(refused, "share-429")
		})
	}
}

type learnScenario struct {
	name    string
	r       float64
	rate    func(since time.Duration) float64 // R at a time since the first write
	headers bool
	seconds int
}

func learnScenarios(secs int) []learnScenario {
	var out []learnScenario
	for _, r := range []float64{5, 10, 25, 50, 100} {
		out = append(out, learnScenario{name: fmt.Sprintf("R=%g", r), r: r, rate: func(time.Duration) float64 { return r }, seconds: secs})
	}
	third := time.Duration(secs) * time.Second
	out = append(out, learnScenario{name: "changing=50-25-50", r: 50, seconds: 3 * secs, rate: func(d time.Duration) float64 {
		if d >= third && d < 2*third {
			return 25
		}
		return 50
	}})
	out = append(out, learnScenario{name: "headers/R=50", r: 50, headers: true, seconds: secs, rate: func(time.Duration) float64 { return 50 }})
	return out
}

// runLearn runs one scenario and returns throughput / R and the 429 share.
func runLearn(b *testing.B, sc learnScenario, secs int) (share, refused float64) {
	b.StopTimer()
	// Writes needed: the integral of R over the run; about 65.8 % of a
	// generated tenant are created.
	writes := 0.0
	for s := range sc.seconds {
		writes += sc.rate(time.Duration(s) * time.Second)
	}
	users := int(math.Ceil(writes*1.03/0.658)) + 50
	burst := max(2, min(10, int(sc.r/2)))
	opts := []druvatest.Option{druvatest.WithRateLimit(sc.rate(0), burst)}
	if sc.headers {
		opts = append(opts, druvatest.WithRateLimitHeaders())
	}
	r := newRig(b, rigConfig{users: users, druvaOpts: opts, defaultClient: true})
	samples, stop := sampleLearn(r, sc)
	b.StartTimer()
	c := r.run(b, r.sync)
	b.StopTimer()
	series := stop()
	n := c.res.Plan.Counts[druvascim.ActionCreate]
	if n == 0 || r.druva.Len() != n {
		b.Fatalf("%d creates planned, fake Druva holds %d", n, r.druva.Len())
	}
	apply := c.res.Report.Summary.Apply
	// R averaged over the apply phase, second by second.
	var rSum float64
	for _, s := range series {
		rSum += s.r
	}
	meanR := sc.r
	if len(series) > 0 {
		meanR = rSum / float64(len(series))
	}
	share = float64(n) / apply.Seconds() / meanR
	refused = float64(c.throttle) / float64(c.druva)
	b.Logf("%s: %d creates in %.1f s (%d users): %.3f of R (mean R %.1f), %d of %d requests answered 429 (%.2f %%), client rate at the end %.1f/s, learned %.1f/s",
		sc.name, n, apply.Seconds(), users, share, meanR, c.throttle, c.druva, 100*refused, r.client.RateLimit(), r.client.LearnedRate())
	if dir := os.Getenv("PERF_LEARN_OUT"); dir != "" {
		writeSeries(b, filepath.Join(dir, samples+".csv"), series)
	}
	b.StartTimer()
	return share, refused
}

type learnSample struct {
	t                          int
	r                          float64
	requests, throttled, posts int
	clientRate                 float64
}

// sampleLearn samples the fake's counters once a second from the first
// write on, and moves the fake's R along sc.rate. stop returns the samples.
func sampleLearn(r *rig, sc learnScenario) (name string, stop func() []learnSample) {
	name = fmt.Sprintf("%s-%d", filepathSafe(sc.name), time.Now().Unix())
	done := make(chan struct{})
	var wg sync.WaitGroup
	var out []learnSample
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var start time.Time
		var last druvatest.Stats
		next := time.Second
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				st := r.druva.Stats()
				if start.IsZero() {
					if st.ByMethod[http.MethodPost] == 0 {
						last = st
						continue
					}
					start = now
				}
				since := now.Sub(start)
				if want := sc.rate(since); want != sc.rate(since-100*time.Millisecond) {
					_ = r.druva.SetRateLimit(want)
				}
				if since < next {
					continue
				}
				out = append(out, learnSample{t: int(next / time.Second), r: sc.rate(since - time.Second/2),
					requests: st.Requests - last.Requests, throttled: st.Throttled - last.Throttled,
					posts: st.ByMethod[http.MethodPost] - last.ByMethod[http.MethodPost], clientRate: r.client.RateLimit()})
				last = st
				next += time.Second
			}
		}
	})
	return name, func() []learnSample {
		close(done)
		wg.Wait()
		return out
	}
}

func filepathSafe(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == '/' || c == '=' {
			out[i] = '_'
		}
	}
	return string(out)
}

func writeSeries(tb testing.TB, path string, series []learnSample) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"second", "R", "requests", "throttled", "creates", "client_rate"})
	for _, s := range series {
		_ = w.Write([]string{strconv.Itoa(s.t), strconv.FormatFloat(s.r, 'f', 1, 64), strconv.Itoa(s.requests),
			strconv.Itoa(s.throttled), strconv.Itoa(s.posts), strconv.FormatFloat(s.clientRate, 'f', 2, 64)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}
