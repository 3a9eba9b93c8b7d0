//go:build !unix

package perf

import "time"

// cpuTime is not measured on this system: CPU metrics read 0.
func cpuTime() time.Duration { return 0 }
