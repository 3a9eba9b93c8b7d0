package druva_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/scim"
)

const (
	benchUsers   = 2000 // users per side and iteration
	benchRounds  = 20   // rounds per iteration, alternating which side goes first
	benchWorkers = 8
)

// BenchmarkCreateUsers creates benchUsers users with benchWorkers workers
// into a fresh druvatest over loopback, through druva.Client (limiter off)
// and through a bare net/http loop making the same POSTs to a second fresh
// druvatest, and reports both throughputs and their ratio. The two sides run
// in alternating rounds of benchUsers/benchRounds users so that both see the
// same background load on a shared machine.
func BenchmarkCreateUsers(b *testing.B) {
	var clientTime, bareTime time.Duration
	for b.Loop() {
		bareSrv, clientSrv := newBenchServer(b), newBenchServer(b)
		bare, client := bareCreate(b, bareSrv), clientCreate(b, clientSrv)
		per := benchUsers / benchRounds
		for r := range benchRounds {
			lo, hi := r*per, (r+1)*per
			if r%2 == 0 {
				bareTime += timeCreates(b, bare, lo, hi)
				clientTime += timeCreates(b, client, lo, hi)
			} else {
				clientTime += timeCreates(b, client, lo, hi)
				bareTime += timeCreates(b, bare, lo, hi)
			}
		}
		for _, srv := range []*druvatest.Server{bareSrv, clientSrv} {
			if srv.Len() != benchRounds*per {
				b.Fatalf("%d users stored, want %d", srv.Len(), benchRounds*per)
			}
			if n := srv.RequestCount(""); n != srv.Len() {
				b.Fatalf("%d requests for %d users", n, srv.Len())
			}
			srv.Close()
		}
	}
	n := float64(b.N * benchUsers)
	clientRate := n / clientTime.Seconds()
	bareRate := n / bareTime.Seconds()
	b.ReportMetric(clientRate, "client-users/s")
	b.ReportMetric(bareRate, "bare-users/s")
	b.ReportMetric(clientRate/bareRate, "ratio")
}

func newBenchServer(b *testing.B) *druvatest.Server {
	srv, err := druvatest.NewServer()
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// timeCreates runs create(i) for i in [lo, hi) on benchWorkers workers.
func timeCreates(b *testing.B, create func(int) error, lo, hi int) time.Duration {
	var next atomic.Int64
	next.Store(int64(lo))
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range benchWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= hi {
					return
				}
				if err := create(i); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return el
}

func benchUser(i int) scim.Resource {
	mail := fmt.Sprintf("bench%d@example.com", i)
	return scim.Resource{
		"schemas":     []any{scim.UserSchema},
		"userName":    mail,
		"displayName": fmt.Sprintf("Bench User %d", i),
		"externalId":  fmt.Sprintf("ext-%d", i),
		"name":        map[string]any{"givenName": "Bench", "familyName": fmt.Sprint(i)},
		"emails":      []any{map[string]any{"value": mail, "type": "work", "primary": true}},
		"active":      true,
	}
}

func clientCreate(b *testing.B, srv *druvatest.Server) func(int) error {
	c := srv.Client()
	return func(i int) error {
		_, err := c.CreateUser(b.Context(), benchUser(i))
		return err
	}
}

func bareCreate(b *testing.B, srv *druvatest.Server) func(int) error {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: t}
	auth := "Bearer " + srv.Token
	return func(i int) error {
		body, err := json.Marshal(benchUser(i))
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, srv.URL+"/Users", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("status %d: %s", resp.StatusCode, out)
		}
		var m map[string]any
		return json.Unmarshal(out, &m)
	}
}

// BenchmarkRateLimitedTarget creates 5·R users into a druvatest limited to
// R requests/s (burst 10) through a client limited to the same rate (burst
// 5), 8 workers, in real time. It reports the sustained share of R and the
// share of requests answered 429 (targets: >= 0.9 and < 0.01).
func BenchmarkRateLimitedTarget(b *testing.B) {
	for _, rateR := range []int{25, 100} {
		b.Run(fmt.Sprintf("R=%d", rateR), func(b *testing.B) {
			users := 5 * rateR
			var elapsed time.Duration
			var requests, throttled int
			for b.Loop() {
				srv, err := druvatest.NewServer(druvatest.WithRateLimit(float64(rateR), 10))
				if err != nil {
					b.Fatal(err)
				}
				c, err := srv.NewClient(druva.WithRateLimit(float64(rateR), 5))
				if err != nil {
					b.Fatal(err)
				}
				elapsed += timeCreates(b, func(i int) error {
					_, err := c.CreateUser(b.Context(), benchUser(i))
					return err
				}, 0, users)
				st := srv.Stats()
				requests += st.Requests
				throttled += st.Throttled
				if srv.Len() != users {
					b.Fatalf("%d users stored", srv.Len())
				}
				srv.Close()
			}
			achieved := float64(b.N*users) / elapsed.Seconds()
			b.ReportMetric(achieved, "users/s")
			b.ReportMetric(achieved/float64(rateR), "share-of-R")
			b.ReportMetric(float64(throttled)/float64(requests), "share-429")
		})
	}
}
