package perf

import (
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/cputime"
	"github.com/druvascim/druvascim/mapping"
)

// BenchmarkPlanInitial plans an initial sync: 10,000 source objects, all
// assigned and mapped through the Druva default set, against an empty
// target, so that every object is a create. The planner's other
// benchmarks (the root package's BenchmarkPlan100k and BenchmarkPlan1M)
// plan a steady state, where almost every object is linked.
func BenchmarkPlanInitial(b *testing.B) {
	ds, err := druvascim.Prepare(b.Context(), mapping.DruvaDefault(), sourceObjects(10_000))
	if err != nil {
		b.Fatal(err)
	}
	pl, err := druvascim.NewPlanner()
	if err != nil {
		b.Fatal(err)
	}
	in := druvascim.PlanInput{Desired: ds, State: &druvascim.State{}, Full: true, Now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	cpu0 := cputime.Used()
	var p *druvascim.Plan
	for b.Loop() {
		if p, err = pl.Plan(in); err != nil {
			b.Fatal(err)
		}
	}
	if n := p.Counts[druvascim.ActionCreate]; n != len(ds) {
		b.Fatalf("%d creates planned for %d new objects", n, len(ds))
	}
	b.ReportMetric(float64((cputime.Used()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
}
