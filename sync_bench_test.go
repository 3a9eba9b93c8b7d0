package druvascim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/mapping"
)

// staticSource is a Source holding a fixed full read. The benchmark below
// measures the Druva side of a cycle, so the source is in memory.
type staticSource []druvascim.Object

func (s staticSource) Fetch(ctx context.Context, deltaLink string) (druvascim.Batch, error) {
	if deltaLink != "" {
		return druvascim.Batch{DeltaLink: "delta-1"}, nil
	}
	return druvascim.Batch{Objects: s, DeltaLink: "delta-1", Full: true}, nil
}

func entraUsers(n int) staticSource {
	out := make(staticSource, n)
	for i := range n {
		upn := fmt.Sprintf("user%05d@contoso.example", i)
		out[i] = druvascim.Object{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Assigned: true, Attributes: map[string]any{
			"userPrincipalName": upn, "mail": upn, "displayName": fmt.Sprintf("User %05d", i),
			"givenName": "User", "surname": fmt.Sprint(i), "mailNickname": fmt.Sprintf("user%05d", i),
			"department": "Engineering", "companyName": "Contoso",
		}}
	}
	return out
}

// BenchmarkInitialSync10k runs the initial cycle of 10,000 users into an
// empty druvatest over loopback (Syncer.Run: read, list, map, plan, apply
// with the default concurrency of 8) and, in the same iteration, before and
// after it, a bare net/http loop making the same POSTs with 8 workers into
// another empty druvatest. It reports both throughputs, their ratio (target >= 0.8), and
// the cycle's requests per user (target: requests <= creates + list pages +
// 1).
func BenchmarkInitialSync10k(b *testing.B) {
	const n = 10_000
	src := entraUsers(n)
	var syncTime, bareTime time.Duration
	var extra int
	desired := mustPrepare(b, src)
	bareRun := func() {
		bare, err := druvatest.NewServer()
		if err != nil {
			b.Fatal(err)
		}
		defer bare.Close()
		start := time.Now()
		barePOSTs(b, bare, desired, 8)
		bareTime += time.Since(start) / 2 // run twice per iteration, see below
		if bare.Len() != n {
			b.Fatalf("bare loop stored %d users", bare.Len())
		}
	}
	for b.Loop() {
		// The bare loop runs before and after the cycle, so that a load
		// that changes during the iteration weighs on both sides alike.
		bareRun()
		srv, err := druvatest.NewServer()
		if err != nil {
			b.Fatal(err)
		}
		s, err := druvascim.NewSyncer(src, srv.Client(), mapping.DruvaDefault(), druvascim.NewMemoryStore())
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := s.Run(b.Context())
		syncTime += time.Since(start)
		if err != nil || res.Plan.Counts[druvascim.ActionCreate] != n || len(res.Report.Failed()) != 0 || srv.Len() != n {
			b.Fatalf("cycle: %v %+v", err, res.Plan.Counts)
		}
		extra = srv.Stats().Requests - n // list pages and anything else
		srv.Close()
		bareRun()
	}
	total := float64(b.N * n)
	syncRate, bareRate := total/syncTime.Seconds(), total/bareTime.Seconds()
	b.ReportMetric(syncRate, "cycle-users/s")
	b.ReportMetric(bareRate, "bare-users/s")
	b.ReportMetric(syncRate/bareRate, "ratio")
	b.ReportMetric(float64(extra), "requests-beyond-creates")
}

func mustPrepare(b *testing.B, src staticSource) []druvascim.Desired {
	ds, err := druvascim.Prepare(b.Context(), mapping.DruvaDefault(), src)
	if err != nil {
		b.Fatal(err)
	}
	return ds
}

// barePOSTs is the baseline: encode each user and POST it, decode the
// answer, with plain net/http.
func barePOSTs(b *testing.B, srv *druvatest.Server, desired []druvascim.Desired, workers int) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(desired) {
					return
				}
				body, err := json.Marshal(desired[i].Resource)
				if err != nil {
					failed.Store(err)
					return
				}
				req, _ := http.NewRequestWithContext(b.Context(), http.MethodPost, srv.URL+"/Users", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+srv.Token)
				req.Header.Set("Content-Type", "application/scim+json")
				resp, err := hc.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failed.Store(fmt.Errorf("status %d: %s", resp.StatusCode, out))
					return
				}
				var m map[string]any
				if err := json.Unmarshal(out, &m); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCheckpoints10k measures what the checkpoints cost: the initial
// cycle of 10,000 users into an empty druvatest over loopback, with the
// state in a file store, once with the default checkpoints (every 100
// operations or 5 s) and once without, side by side in each iteration.
// It reports both cycle times, their ratio, and the checkpoints saved.
func BenchmarkCheckpoints10k(b *testing.B) {
	const n = 10_000
	src := entraUsers(n)
	var with, without time.Duration
	var saves int
	run := func(ckpt bool) time.Duration {
		srv, err := druvatest.NewServer()
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		fs, err := druvascim.NewFileStore(filepath.Join(b.TempDir(), "state"))
		if err != nil {
			b.Fatal(err)
		}
		opts := []druvascim.Option{}
		if !ckpt {
			opts = append(opts, druvascim.WithCheckpointsForTest(-1, 0))
		}
		s, err := druvascim.NewSyncer(src, srv.Client(), mapping.DruvaDefault(), fs, opts...)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := s.Run(b.Context())
		took := time.Since(start)
		if err != nil || srv.Len() != n || len(res.Report.Failed()) != 0 {
			b.Fatalf("cycle: %v, %d users", err, srv.Len())
		}
		st, err := fs.Load(b.Context())
		if err != nil || len(st.Links) != n {
			b.Fatalf("state: %v", err)
		}
		if ckpt {
			saves += int(st.Generation) - 1 // the final save is not a checkpoint
		}
		return took
	}
	for b.Loop() {
		with += run(true)
		without += run(false)
	}
	b.ReportMetric(float64(with.Milliseconds())/float64(b.N), "ms/cycle-checkpoints")
	b.ReportMetric(float64(without.Milliseconds())/float64(b.N), "ms/cycle-none")
	b.ReportMetric(float64(with)/float64(without), "ratio")
	b.ReportMetric(float64(saves)/float64(b.N), "checkpoints/cycle")
	b.ReportMetric(0, "ns/op")
}
