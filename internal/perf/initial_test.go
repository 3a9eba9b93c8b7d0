package perf

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
)

// BenchmarkInitialSync runs one full cycle (Syncer.Run: read the Entra
// tenant over Graph, list Druva, map, plan, apply with the default
// concurrency) from a generated tenant of 10,000 or 100,000 users into an
// empty fake Druva, client limiters off. After the cycle, in the same
// iteration, bare net/http programs do part or all of its work again, each
// into a fresh, empty fake Druva, in two rounds of four:
//
//   - "bare" POSTs the very bodies the Syncer sent (derived from the plan;
//     TestPerfSmoke checks them against the wire) with the same
//     concurrency, decoding each answer with encoding/json, as a client
//     that uses the created user must;
//   - "bare-raw" does the same but only reads each answer and checks its
//     status, the least a client can do;
//   - "job" is the whole job: it first replays the reader's Graph
//     requests (recorded on the wire: the same URLs, headers and $batch
//     bodies, listings side by side as the reader runs them, each answer
//     decoded with encoding/json) while it lists the empty Druva once, then
//     POSTs the same bodies as "bare";
//   - "job-raw" is "job" with the POST answers only read.
//
// Each kind's time is the mean of its two runs.
//
// Metrics: users/s of the whole cycle, of its apply phase and of the bare
// loops; the ratios apply/bare, apply/bare-raw, cycle/bare, and the
// whole-job ratios job/cycle and job-raw/cycle (the bare program's time over
// the cycle's; target for all: >= 0.8); CPU per create; the collector's
// CPU time in the cycle and in the whole-job program; Graph and Druva
// requests by kind; the peak sampled HeapInuse, the HeapInuse before the
// cycle (the fakes' data: peak minus base is the cycle's own) and the bytes
// allocated by the cycle (whole process, so both fakes' work is included).
// The benchmark fails when Druva requests exceed creates + list pages + 1.

// defaultConcurrency is the Syncer's default number of operations at once
// (see druvascim.WithConcurrency), which the bare programs match.
const defaultConcurrency = 8

func BenchmarkInitialSync(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) { benchInitial(b, n) })
	}
}

// initialTotals sums the iterations of BenchmarkInitialSync.
type initialTotals struct {
	creates                       int
	syncWall, applyWall           time.Duration
	bareWall, bareFirst, bareLast time.Duration
	rawWall                       time.Duration
	jobWall, jobRead, jobRawWall  time.Duration
	applyCPU, bareCPU, rawCPU     time.Duration
	cycleCPU, jobCPU              time.Duration
	cycleGC, jobGC                time.Duration
	peak, alloc                   uint64
	last                          cycle
}

func benchInitial(b *testing.B, users int) {
	var t initialTotals
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
		rp := newReplay(b, c.calls)
		if rp.calls() != c.graphHTTP {
			b.Fatalf("the replay sends %d Graph requests, the reader sent %d", rp.calls(), c.graphHTTP)
		}
		r.druva.Close()
		t.addBare(b, rp, bodies)
		r.graph.Close()
		b.StartTimer()

		t.syncWall += c.wall
		t.applyWall += c.res.Report.Summary.Apply
		t.applyCPU += c.applyCPU
		t.cycleCPU += c.cpu
		t.cycleGC += c.gcCPU
		t.creates += n
		t.peak = max(t.peak, c.peakHeap)
		t.alloc += c.alloc
		t.last = c
	}
	t.report(b)
}

// addBare runs the bare programs of one iteration, two rounds of the four
// kinds, and adds the mean of each kind.
func (t *initialTotals) addBare(b *testing.B, rp *graphReplay, bodies [][]byte) {
	var runs [2]struct {
		bare, raw, bareCPU, rawCPU time.Duration
		job, jobRaw                jobRun
	}
	for i := range runs {
		x := &runs[i]
		x.bare, x.bareCPU = bare(b, bodies, defaultConcurrency, true)
		x.raw, x.rawCPU = bare(b, bodies, defaultConcurrency, false)
		x.job = bareJob(b, rp, bodies, defaultConcurrency, true)
		x.jobRaw = bareJob(b, rp, bodies, defaultConcurrency, false)
	}
	mean := func(f func(int) time.Duration) time.Duration { return (f(0) + f(1)) / 2 }
	t.bareWall += mean(func(i int) time.Duration { return runs[i].bare })
	t.bareFirst += runs[0].bare
	t.bareLast += runs[1].bare
	t.rawWall += mean(func(i int) time.Duration { return runs[i].raw })
	t.bareCPU += mean(func(i int) time.Duration { return runs[i].bareCPU })
	t.rawCPU += mean(func(i int) time.Duration { return runs[i].rawCPU })
	t.jobWall += mean(func(i int) time.Duration { return runs[i].job.wall })
	t.jobRead += mean(func(i int) time.Duration { return runs[i].job.read })
	t.jobCPU += mean(func(i int) time.Duration { return runs[i].job.cpu })
	t.jobGC += mean(func(i int) time.Duration { return runs[i].job.gc.cpu })
	t.jobRawWall += mean(func(i int) time.Duration { return runs[i].jobRaw.wall })
}

func (t *initialTotals) report(b *testing.B) {
	creates := float64(t.creates)
	cycleRate := creates / t.syncWall.Seconds()
	applyRate := creates / t.applyWall.Seconds()
	bareRate := creates / t.bareWall.Seconds()
	rawRate := creates / t.rawWall.Seconds()
	b.ReportMetric(cycleRate, "cycle-users/s")
	b.ReportMetric(applyRate, "apply-users/s")
	b.ReportMetric(bareRate, "bare-users/s")
	b.ReportMetric(creates/t.bareFirst.Seconds(), "bare1-users/s")
	b.ReportMetric(creates/t.bareLast.Seconds(), "bare2-users/s")
	b.ReportMetric(rawRate, "bare-raw-users/s")
	b.ReportMetric(applyRate/bareRate, "apply/bare")
	b.ReportMetric(applyRate/rawRate, "apply/bare-raw")
	b.ReportMetric(cycleRate/bareRate, "cycle/bare")
	// The whole job: the bare program's time over the cycle's.
	b.ReportMetric(t.jobWall.Seconds()/t.syncWall.Seconds(), "job/cycle")
	b.ReportMetric(t.jobRawWall.Seconds()/t.syncWall.Seconds(), "job-raw/cycle")
	n := float64(b.N)
	b.ReportMetric(t.syncWall.Seconds()/n, "cycle-s")
	b.ReportMetric(t.jobWall.Seconds()/n, "job-s")
	b.ReportMetric(t.jobRawWall.Seconds()/n, "job-raw-s")
	b.ReportMetric(t.jobRead.Seconds()/n, "job-read-s")
	// The collector's share (the runtime's estimate): each collection marks
	// the fakes' heap too, so allocations cost more here than in a CLI.
	b.ReportMetric(t.cycleGC.Seconds()/n, "cycle-gc-cpu-s")
	b.ReportMetric(t.jobGC.Seconds()/n, "job-gc-cpu-s")
	if t.applyCPU > 0 && t.bareCPU > 0 {
		perUser := func(d time.Duration) float64 { return float64(d.Microseconds()) / creates }
		b.ReportMetric(perUser(t.cycleCPU), "cycle-cpu-µs/user")
		b.ReportMetric(perUser(t.jobCPU), "job-cpu-µs/user")
		b.ReportMetric(perUser(t.applyCPU), "apply-cpu-µs/user")
		b.ReportMetric(perUser(t.bareCPU), "bare-cpu-µs/user")
		// CPU-bound on loopback, throughput goes as the inverse of the CPU
		// per user; this ratio suffers less from other load on the machine.
		b.ReportMetric(perUser(t.rawCPU), "bare-raw-cpu-µs/user")
		b.ReportMetric(float64(t.bareCPU)/float64(t.applyCPU), "bare-cpu/apply-cpu")
		b.ReportMetric(float64(t.rawCPU)/float64(t.applyCPU), "bare-raw-cpu/apply-cpu")
		b.ReportMetric(float64(t.jobCPU)/float64(t.cycleCPU), "job-cpu/cycle-cpu")
	}
	last := t.last
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
	b.ReportMetric(float64(t.peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(last.baseHeap)/(1<<20), "base-heap-MiB")
	b.ReportMetric(float64(t.alloc)/n/(1<<20), "alloc-MiB/cycle")
}
