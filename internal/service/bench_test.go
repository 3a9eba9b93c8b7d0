package service

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/control"
)

// BenchmarkFiftyTenants runs 50 small tenants (200 Entra users each, each
// with its own fake Graph and fake Druva on loopback, state file, log
// store and sidecar) in one service. It reports the first round (every
// tenant's initial cycle, all running at once), an incremental round (a
// sync of every tenant with nothing changed; the timed loop), a restart
// round (every tenant reads everything again, creating nobody) and the heap
// the service holds for the 50 tenants beyond the fakes.
//
//	go test -run '^$' -bench FiftyTenants -benchtime 5x ./internal/service
func BenchmarkFiftyTenants(b *testing.B) {
	const tenants, users = 50, 200
	var specs []Tenant
	var rigs []*rig
	for i := range tenants {
		r := newRig(b, fmt.Sprintf("tenant%02d", i), users)
		rigs = append(rigs, r)
		specs = append(specs, r.spec)
	}
	heap0 := heapInUse()
	tm := newTimers()
	run := start(b, tm, specs)
	begin := time.Now()
	for range tenants {
		<-tm.waits
	}
	first := time.Since(begin)
	for _, r := range rigs {
		if r.d.Len() == 0 {
			b.Fatalf("%s: no user created", r.spec.Name)
		}
	}
	round := func() {
		for _, name := range run.svc.Tenants() {
			if err := run.svc.Do(b.Context(), name, control.OpSyncNow); err != nil {
				b.Fatal(err)
			}
		}
		for range tenants {
			<-tm.waits
		}
	}
	round()
	begin = time.Now()
	for _, name := range run.svc.Tenants() {
		if err := run.svc.Do(b.Context(), name, control.OpRestart); err != nil {
			b.Fatal(err)
		}
	}
	for range tenants {
		<-tm.waits
	}
	full := time.Since(begin)
	b.ResetTimer()
	for b.Loop() {
		round()
	}
	b.StopTimer()
	heap := heapInUse() - heap0
	b.ReportMetric(float64(first.Milliseconds()), "first-round-ms")
	b.ReportMetric(float64(full.Milliseconds()), "restart-round-ms")
	b.ReportMetric(float64(heap)/(1<<20), "service-heap-MiB")
	b.ReportMetric(float64(heap)/tenants/(1<<10), "heap-KiB/tenant")
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}
