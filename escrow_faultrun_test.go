package druvascim_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
)

// The fault run of RELIABILITY.md ("Quarantine and escrow"): half of the
// tenant refused by Druva, a cycle every hour (every 2 hours in the
// default, shorter run) for 29 days on a fake clock.
// The valid users are all created in the first cycle; the refused ones are
// retried 6 h, 12 h and 24 h after the first failure, then daily, and their
// escrows end after 28 days, reported once. DRUVASCIM_FAULTRUN_USERS sets
// the tenant's size (1,000 for the figures; 60 by default); -v prints the
// figures.
func TestEscrowScheduleFaultRun(t *testing.T) {
	n, step := 60, 2 // a cycle every 2 hours by default: the retry times are all even hours
	if v := os.Getenv("DRUVASCIM_FAULTRUN_USERS"); v != "" {
		step = 1
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			t.Fatalf("DRUVASCIM_FAULTRUN_USERS=%q: want a number of users of 2 or more", v)
		}
	}
	rt := newRefusedTenant(t, n, 2)
	start := rt.clock.Now()
	valid, refused := (n+1)/2, n/2
	res, err := rt.sync.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sum := res.Report.Summary
	if rt.druva.Len() != valid || sum.Escrowed != refused || sum.Quarantine == nil {
		t.Fatalf("first cycle: %d created of %d valid, %d escrowed, quarantine %+v", rt.druva.Len(), valid, sum.Escrowed, sum.Quarantine)
	}
	t.Logf("cycle 1 (full): %d created, %d escrowed, %d Druva requests, %d Graph requests, quarantine %s until %s",
		rt.druva.Len(), sum.Escrowed, sum.Requests, rt.graph.Stats().Requests, sum.Quarantine.Reason, sum.Quarantine.NextAttempt.Sub(start))

	var retries []time.Duration
	pruned, idle, idleGraph, idleDruva := 0, 0, 0, 0
	for h := step; h <= 29*24; h += step {
		rt.clock.Advance(time.Duration(step) * time.Hour)
		g0, d0 := rt.graph.Stats().Requests, rt.druva.Stats().Requests
		res, err := rt.sync.Run(t.Context())
		if err != nil {
			t.Fatalf("hour %d: %v", h, err)
		}
		s := res.Report.Summary
		if s.Full && !strings.HasPrefix(s.FullReason, "escrow retry") {
			t.Fatalf("hour %d: a full read for %q", h, s.FullReason)
		}
		dg, dd := rt.graph.Stats().Requests-g0, rt.druva.Stats().Requests-d0
		if tried := s.Actions[druvascim.ActionCreate]; tried > 0 {
			if tried != refused || s.Statuses[druvascim.StatusFailure] != refused {
				t.Fatalf("hour %d: %d creates tried, %d failed; want the %d refused", h, tried, s.Statuses[druvascim.StatusFailure], refused)
			}
			retries = append(retries, time.Duration(h)*time.Hour)
			t.Logf("retry %2d at %4d h (full %v, %q): %d creates refused, %d Graph requests, %d Druva requests, %d escrowed, %d escrows ended, quarantine %v (next attempt in %v)",
				len(retries), h, s.Full, s.FullReason, tried, dg, dd, s.Escrowed, s.EscrowsPruned, s.Quarantined, quarantineWait(s))
		} else {
			if s.Full {
				t.Fatalf("hour %d: a full read without retries (%q)", h, s.FullReason)
			}
			idle++
			idleGraph += dg
			idleDruva += dd
		}
		pruned += s.EscrowsPruned
	}
	var want []time.Duration
	for _, h := range []int{6, 12, 24} {
		want = append(want, time.Duration(h)*time.Hour)
	}
	for d := 2; d <= 28; d++ {
		want = append(want, time.Duration(d)*24*time.Hour)
	}
	if len(retries) != len(want) {
		t.Fatalf("%d retries at %v; want %d at %v", len(retries), retries, len(want), want)
	}
	for i := range want {
		if retries[i] != want[i] {
			t.Fatalf("retry %d at %v, want %v (all: %v)", i+1, retries[i], want[i], retries)
		}
	}
	st := must[*druvascim.State](t)(rt.store.Load(t.Context()))
	if pruned != refused || len(st.Escrows) != 0 || rt.druva.Len() != valid {
		t.Fatalf("after 29 days: %d escrows ended (want %d, once each), %d left, %d users in Druva", pruned, refused, len(st.Escrows), rt.druva.Len())
	}
	t.Logf("%d idle cycles: %.2f Graph requests and %.2f Druva requests per cycle; escrows ended: %d; quarantine after the last: %+v",
		idle, float64(idleGraph)/float64(idle), float64(idleDruva)/float64(idle), pruned, st.Quarantine)
}

func quarantineWait(s druvascim.Summary) time.Duration {
	if s.Quarantine == nil {
		return 0
	}
	return s.Quarantine.NextAttempt.Sub(s.Finished)
}
