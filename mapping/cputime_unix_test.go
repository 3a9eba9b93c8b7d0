//go:build unix

package mapping

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the test process has used
// so far, on every thread, garbage collection included. Benchmarks report
// it next to wall time because the machines they run on are shared.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
