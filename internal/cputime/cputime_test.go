package cputime_test

import (
	"runtime"
	"testing"

	"github.com/druvascim/druvascim/internal/cputime"
)

// TestProcessGrows: busy work shows as CPU time where the system reports it.
func TestProcessGrows(t *testing.T) {
	before, ok := cputime.Process()
	if !ok {
		if runtime.GOOS != "windows" && runtime.GOOS != "plan9" && runtime.GOOS != "js" && runtime.GOOS != "wasip1" {
			t.Fatalf("no CPU time on %s", runtime.GOOS)
		}
		t.Skip("no CPU time on this system")
	}
	x := 0
	for i := range 50_000_000 { // tens of milliseconds of CPU
		x ^= i
	}
	if after := cputime.Used(); after <= before {
		t.Errorf("CPU time went from %v to %v after busy work (%d)", before, after, x)
	}
}
