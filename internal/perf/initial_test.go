package perf

import (
	"fmt"
	"github.com/druvascim/druvascim"
	"net/http"
	"testing"
	"time"
)

// BenchmarkInitialSync runs one full cycle (Syncer.Run: read the Entra
// tenant over Graph, list Druva, map, plan, apply with the default
// concurrency) from a generated tenant of 10,000 or 100,000 users into an
// empty fake Druva, client limiters off. Beside it, in the same iteration,
// a bare net/http loop POSTs the very bodies the Syncer sent (derived from
// the plan; TestPerfSmoke checks them against the wire) with the same
// concurrency into another empty fake Druva, after the cycle (the bodies come
// from its plan). It runs four times, alternating two kinds: "bare" decodes
// each answer with encoding/json, as a client that uses the created user
// must; "bare-raw" only reads the answer and checks its status, the least a
// client can do. Each kind's throughput is the mean of its two runs.
//
// Metrics: users/s of the whole cycle, of its apply phase and of both bare
// loops; the ratios apply/bare, apply/bare-raw and cycle/bare (target:
// >= 0.8); Graph and
// Druva requests by kind; the peak sampled HeapInuse, the HeapInuse before
// the cycle (the fakes' data: peak minus base is the cycle's own) and the
// bytes allocated by the cycle (whole process, so both fakes' work is
// included). The
// benchmark fails when Druva requests exceed creates + list pages + 1.

// defaultConcurrency is the Syncer's default number of operations at once
// (see druvascim.WithConcurrency), which the bare programs match.
const defaultConcurrency = 8

func BenchmarkInitialSync(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) { benchInitial(b, n) })
	}
}

func benchInitial(b *testing.B, users int) {
	var syncWall, applyWall, bareWall time.Duration
	var creates int
	var last cycle
	var peak uint64
	var alloc uint64
	var bareFirst, bareLast, rawWall time.Duration
	var applyCPU, bareCPU, rawCPU, cycleCPU time.Duration
	for range b.N {
		b.StopTimer()
		r := newRig(b, rigConfig{users: users})
		b.StartTimer()
		c := r.run(b, r.sync)
		b.StopTimer()
		checkBudget(b, c, 0)
		n := c.res.Plan.Counts[druvascim.ActionCreate]
		if n == 0 || r.druva.Len() != n {
			b.Fatalf("%d creates planned, fake Druva holds %d", n, r.druva.Len())
		}
		bodies := postBodies(b, c.res.Plan)
		if len(bodies) != n {
			b.Fatalf("derived %d POST bodies for %d creates", len(bodies), n)
		}
		r.graph.Close()
		r.druva.Close()
		bare1, cpu1 := bare(b, bodies, defaultConcurrency, true)
		raw1, rcpu1 := bare(b, bodies, defaultConcurrency, false)
		bare2, cpu2 := bare(b, bodies, defaultConcurrency, true)
		raw2, rcpu2 := bare(b, bodies, defaultConcurrency, false)
		bareCPU += (cpu1 + cpu2) / 2
		rawCPU += (rcpu1 + rcpu2) / 2
		rawWall += (raw1 + raw2) / 2
		applyCPU += c.applyCPU
		cycleCPU += c.cpu
		b.StartTimer()

		syncWall += c.wall
		applyWall += c.res.Report.Summary.Apply
		bareWall += (bare1 + bare2) / 2
		bareFirst += bare1
		bareLast += bare2
		creates += n
		peak = max(peak, c.peakHeap)
		alloc += c.alloc
		last = c
	}
	cycleRate := float64(creates) / syncWall.Seconds()
	applyRate := float64(creates) / applyWall.Seconds()
	bareRate := float64(creates) / bareWall.Seconds()
	b.ReportMetric(cycleRate, "cycle-users/s")
	b.ReportMetric(applyRate, "apply-users/s")
	b.ReportMetric(bareRate, "bare-users/s")
	b.ReportMetric(float64(creates)/bareFirst.Seconds(), "bare1-users/s")
	b.ReportMetric(float64(creates)/bareLast.Seconds(), "bare2-users/s")
	rawRate := float64(creates) / rawWall.Seconds()
	b.ReportMetric(rawRate, "bare-raw-users/s")
	b.ReportMetric(applyRate/bareRate, "apply/bare")
	b.ReportMetric(applyRate/rawRate, "apply/bare-raw")
	b.ReportMetric(cycleRate/bareRate, "cycle/bare")
	if applyCPU > 0 && bareCPU > 0 {
		perUser := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(creates) }
		b.ReportMetric(perUser(cycleCPU), "cycle-cpu-µs/user")
		b.ReportMetric(perUser(applyCPU), "apply-cpu-µs/user")
		b.ReportMetric(perUser(bareCPU), "bare-cpu-µs/user")
		// CPU-bound on loopback, throughput goes as the inverse of the CPU
		// per user; this ratio suffers less from other load on the machine.
		b.ReportMetric(perUser(rawCPU), "bare-raw-cpu-µs/user")
		b.ReportMetric(float64(bareCPU)/float64(applyCPU), "bare-cpu/apply-cpu")
		b.ReportMetric(float64(rawCPU)/float64(applyCPU), "bare-raw-cpu/apply-cpu")
	}
	b.ReportMetric(float64(last.res.Plan.Counts[druvascim.ActionCreate]), "creates")
	b.ReportMetric(float64(last.graph), "graph-req")
	b.ReportMetric(float64(last.graphHTTP), "graph-http")
	b.ReportMetric(float64(last.byMethod[http.MethodGet]), "druva-GET")
	b.ReportMetric(float64(last.byMethod[http.MethodPost]), "druva-POST")
	b.ReportMetric(float64(last.druva-last.res.Plan.Counts[druvascim.ActionCreate]), "druva-req-beyond-creates")
	s := last.res.Report.Summary
	b.ReportMetric(s.ReadSource.Seconds(), "read-source-s")
	b.ReportMetric(s.ReadTarget.Seconds(), "read-target-s")
	b.ReportMetric(s.Map.Seconds(), "map-s")
	b.ReportMetric(s.Plan.Seconds(), "plan-s")
	b.ReportMetric(s.Apply.Seconds(), "apply-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(last.baseHeap)/(1<<20), "base-heap-MiB")
	b.ReportMetric(float64(alloc)/float64(b.N)/(1<<20), "alloc-MiB/cycle")
}
