// Package cputime reads the CPU time the process has used, for benchmarks:
// they report it beside wall time because the machines they run on are
// shared, and CPU time suffers less from other load.
//
//	cpu0 := cputime.Used()
//	// ... work ...
//	b.ReportMetric(float64(cputime.Used()-cpu0)/float64(b.N), "cpu-ns/op")
//
// It is internal: only this module's benchmarks use it.
package cputime

import "time"

// Used is the duration of [Process], 0 where the system cannot say.
func Used() time.Duration {
	d, _ := Process()
	return d
}
