package perf

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
)

// BenchmarkIncremental measures the cycles after the initial one of a
// tenant of PERF_INCR_USERS users (default 100,000): 1 % of the tenant's
// users are renamed in Entra and an incremental cycle (the stored delta
// link) runs; then another 1 % are renamed and a full re-read
// (druvascim.WithFullRead) runs, in the same iteration, so both cycles see
// the same amount of change; then an idle incremental cycle runs. The
// initial cycle is set-up and not timed.
//
// Metrics: wall time and Graph requests of each cycle, their ratios, and
// Druva requests by kind. The benchmark fails unless each changed cycle
// writes exactly once per changed user (a PATCH), the idle cycle writes
// nothing, and each cycle's Druva reads stay within one list pass.
func BenchmarkIncremental(b *testing.B) {
	users := envInt(b, "PERF_INCR_USERS", 100_000)
	b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchIncremental(b, users) })
}

func benchIncremental(b *testing.B, users int) {
	var incr, full, idle cycle
	var incrWall, fullWall time.Duration
	changed := max(1, users/100)
	for range b.N {
		b.StopTimer()
		r := newRig(b, rigConfig{users: users})
		first := r.run(b, r.sync)
		created := createdIDs(first.res)
		listed := r.druva.Len()

		changeUsers(b, r.graph, created, 0, changed, "incr")
		b.StartTimer()
		incr = r.run(b, r.sync)
		b.StopTimer()
		checkCycle(b, "incremental", incr, false, changed, listed)

		changeUsers(b, r.graph, created, changed, changed, "full")
		b.StartTimer()
		full = r.run(b, r.newSyncer(b, druvascim.WithFullRead()))
		b.StopTimer()
		checkCycle(b, "full re-read", full, true, changed, listed)

		idle = r.run(b, r.sync)
		checkCycle(b, "idle incremental", idle, false, 0, listed)
		b.StartTimer()
		incrWall += incr.wall
		fullWall += full.wall
	}
	n := float64(b.N)
	b.ReportMetric(float64(changed), "changed-users")
	b.ReportMetric(incrWall.Seconds()/n, "incr-s")
	b.ReportMetric(fullWall.Seconds()/n, "full-s")
	b.ReportMetric(fullWall.Seconds()/incrWall.Seconds(), "full/incr-time")
	b.ReportMetric(float64(incr.graph), "incr-graph-req")
	b.ReportMetric(float64(full.graph), "full-graph-req")
	b.ReportMetric(float64(full.graph)/float64(incr.graph), "full/incr-graph-req")
	b.ReportMetric(float64(incr.graphHTTP), "incr-graph-http")
	b.ReportMetric(float64(full.graphHTTP), "full-graph-http")
	b.ReportMetric(float64(idle.graphHTTP), "idle-graph-http")
	b.ReportMetric(float64(incr.res.Report.Summary.SourceObjects), "incr-source-objects")
	b.ReportMetric(float64(incr.byMethod[http.MethodGet]), "incr-druva-GET")
	b.ReportMetric(float64(incr.writes()), "incr-druva-writes")
	b.ReportMetric(float64(full.byMethod[http.MethodGet]), "full-druva-GET")
	b.ReportMetric(float64(full.writes()), "full-druva-writes")
	b.ReportMetric(idle.wall.Seconds(), "idle-s")
	b.ReportMetric(float64(idle.graph), "idle-graph-req")
	b.ReportMetric(float64(idle.writes()), "idle-druva-writes")
	b.ReportMetric(float64(idle.druva), "idle-druva-req")
	s := incr.res.Report.Summary
	b.ReportMetric(s.ReadSource.Seconds(), "incr-read-source-s")
	b.ReportMetric(s.ReadTarget.Seconds(), "incr-read-target-s")
	b.ReportMetric(float64(incr.peakHeap)/(1<<20), "incr-peak-heap-MiB")
}

// checkCycle fails unless the cycle read as expected, wrote exactly one
// PATCH per changed user and nothing else, and read Druva in at most one
// list pass of listed users.
func checkCycle(tb testing.TB, name string, c cycle, wantFull bool, changed, listed int) {
	tb.Helper()
	s := c.res.Report.Summary
	if s.Full != wantFull {
		tb.Errorf("%s: full read = %v, want %v", name, s.Full, wantFull)
	}
	if w := c.writes(); w != changed || c.byMethod[http.MethodPatch] != changed {
		tb.Errorf("%s: %d Druva writes (by method %v) for %d changed users", name, w, c.byMethod, changed)
	}
	if got := c.res.Plan.Counts; got[druvascim.ActionUpdate] != changed || got[druvascim.ActionCreate]+got[druvascim.ActionDisable]+got[druvascim.ActionDelete] != 0 {
		tb.Errorf("%s: plan counts %+v for %d changed users", name, got, changed)
	}
	if g := c.byMethod[http.MethodGet]; g > listPages(listed) || c.druva != g+changed {
		tb.Errorf("%s: Druva read side %d GETs (%d requests) for a list pass of %d pages", name, g, c.druva, listPages(listed))
	}
}
