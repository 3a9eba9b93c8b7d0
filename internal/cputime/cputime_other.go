//go:build !unix

package cputime

import "time"

// Process returns the CPU time the process has used; this system cannot
// say, so it returns false.
func Process() (time.Duration, bool) { return 0, false }
