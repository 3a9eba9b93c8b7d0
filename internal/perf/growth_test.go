package perf

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/cputime"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// BenchmarkGrowth maps (druvascim.Prepare: scoping and the Druva default
// mapping set, in parallel) and plans (the default planner, a steady state
// in which every user is linked and 1 % changed their display name) tenants
// of 10,000, 100,000 and, with max=1000000, 1,000,000 users, all in one
// run, so that the growth ratio per 10× step is measured under the same
// conditions. Inputs are built outside the timings; each size is measured
// three times and the best time is kept (the first run at a new size also
// pays for fresh heap pages; later runs reuse them, as a long-running
// process does).
//
// Metrics per size n: map-n-ms and plan-n-ms, the bytes each allocates
// (map-n-MiB, plan-n-MiB, whole process), the process CPU time of the same
// runs (map-n-cpu-ms, plan-n-cpu-ms: less disturbed by other load on a
// shared machine), the heap in use with every input and the plan live
// (live-n-MiB), and the ratios map-x10-n and plan-x10-n (time at n over
// time at n/10; linear growth is 10, the target at most 11), also from CPU
// time (map-x10-cpu-n, plan-x10-cpu-n).
func BenchmarkGrowth(b *testing.B) {
	for _, top := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("max=%d", top), func(b *testing.B) {
			for range b.N {
				growth(b, top)
			}
		})
	}
}

func growth(b *testing.B, top int) {
	set := mapping.DruvaDefault()
	pl, err := druvascim.NewPlanner(druvascim.WithPolicy(druvascim.Policy{DeletionThreshold: -1, MaxSourceShrink: -1}))
	if err != nil {
		b.Fatal(err)
	}
	var prevMap, prevPlan, prevMapCPU, prevPlanCPU time.Duration
	for n := 10_000; n <= top; n *= 10 {
		objs := sourceObjects(n)
		const reps = 3
		var ds []druvascim.Desired
		mapTime, mapCPU, mapAlloc := best(reps, func() {
			ds, err = druvascim.Prepare(b.Context(), set, objs)
			if err != nil {
				b.Fatal(err)
			}
		})
		in := steadyState(ds)
		var p *druvascim.Plan
		planTime, planCPU, planAlloc := best(reps, func() {
			p, err = pl.Plan(in)
			if err != nil {
				b.Fatal(err)
			}
		})
		if c := p.Counts; c[druvascim.ActionUpdate] != n/100 || c[druvascim.ActionCreate]+c[druvascim.ActionDisable]+c[druvascim.ActionDelete] != 0 || unchangedOf(p) != n-n/100 {
			b.Fatalf("%d users: plan counts %+v", n, c)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		label := sizeLabel(n)
		b.ReportMetric(float64(mapTime.Microseconds())/1e3, "map-"+label+"-ms")
		b.ReportMetric(float64(planTime.Microseconds())/1e3, "plan-"+label+"-ms")
		b.ReportMetric(float64(mapCPU.Microseconds())/1e3, "map-"+label+"-cpu-ms")
		b.ReportMetric(float64(planCPU.Microseconds())/1e3, "plan-"+label+"-cpu-ms")
		b.ReportMetric(float64(mapAlloc)/(1<<20), "map-"+label+"-MiB")
		b.ReportMetric(float64(planAlloc)/(1<<20), "plan-"+label+"-MiB")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "live-"+label+"-MiB")
		if prevMap > 0 {
			b.ReportMetric(float64(mapTime)/float64(prevMap), "map-x10-"+label)
			b.ReportMetric(float64(planTime)/float64(prevPlan), "plan-x10-"+label)
			if prevMapCPU > 0 && prevPlanCPU > 0 {
				b.ReportMetric(float64(mapCPU)/float64(prevMapCPU), "map-x10-cpu-"+label)
				b.ReportMetric(float64(planCPU)/float64(prevPlanCPU), "plan-x10-cpu-"+label)
			}
		}
		prevMap, prevPlan, prevMapCPU, prevPlanCPU = mapTime, planTime, mapCPU, planCPU
		runtime.KeepAlive(p)
	}
}

// best runs f reps times after a GC each and returns the shortest wall
// time, and the process CPU time and bytes allocated of that run.
func best(reps int, f func()) (wall, cpu time.Duration, alloc uint64) {
	for i := range reps {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		c := cputime.Used()
		t := time.Now()
		f()
		d := time.Since(t)
		c = cputime.Used() - c
		runtime.ReadMemStats(&m1)
		if i == 0 || d < wall {
			wall, cpu, alloc = d, c, m1.TotalAlloc-m0.TotalAlloc
		}
	}
	return wall, cpu, alloc
}

func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1_000 && n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return fmt.Sprint(n)
}

// sourceObjects returns n source objects shaped as entra.Reader returns
// them, every one assigned and in scope.
func sourceObjects(n int) []druvascim.Object {
	out := make([]druvascim.Object, n)
	roles := []string{"User"}
	for i := range n {
		upn := fmt.Sprintf("user%07d@contoso.example", i)
		out[i] = druvascim.Object{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), Assigned: true, Attributes: map[string]any{
			"userPrincipalName": upn, "mail": upn, "displayName": fmt.Sprintf("Zoë O'Brien %07d", i),
			"givenName": "Zoë", "surname": fmt.Sprintf("O'Brien %d", i), "mailNickname": fmt.Sprintf("user%07d", i),
			"department": "Engineering", "companyName": "Contoso", "accountEnabled": true, "appRoleAssignments": roles,
		}}
	}
	return out
}

// steadyState is the planner's input after the objects were provisioned:
// every desired object linked to a Druva user holding its create form, 1 %
// of them with a display name that has since changed in the source.
func steadyState(ds []druvascim.Desired) druvascim.PlanInput {
	st := &druvascim.State{Links: map[string]string{}}
	cur := make([]scim.Resource, 0, len(ds))
	for i := range ds {
		d := &ds[i]
		id := fmt.Sprintf("druva-%09d", i)
		u := d.Resource.Clone()
		u["id"] = id
		if i%100 == 7 {
			u["displayName"] = "Old name " + id
		}
		cur = append(cur, u)
		st.Links[d.SourceID] = id
	}
	return druvascim.PlanInput{Desired: ds, Current: cur, State: st, Full: true,
		Now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
}

// unchangedOf counts the skips of a plan whose target already holds the
// desired values.
func unchangedOf(p *druvascim.Plan) int {
	n := 0
	for _, op := range p.Operations {
		if op.Action == druvascim.ActionSkip && op.Reason == druvascim.ReasonUnchanged {
			n++
		}
	}
	return n
}
