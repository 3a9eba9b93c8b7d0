package main

import (
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
)

// The summary table names the kind of cycle, counts actions and statuses,
// and shows target calls, requests and a hold.
func TestWriteSummary(t *testing.T) {
	rep := &druvascim.Report{Summary: druvascim.Summary{CycleID: "c1", Full: true, SourceObjects: 9, TargetUsers: 2,
		Actions:     map[druvascim.Action]int{druvascim.ActionCreate: 6},
		Statuses:    map[druvascim.Status]int{druvascim.StatusSuccess: 6},
		TargetCalls: 8, Requests: 9, Held: &druvascim.Hold{Message: "too many disables", Disables: 3},
		Escrowed: 4, FullReason: "restart", Quarantined: true, QuarantineReason: "EncounteredEscrowProportionThreshold: 4 of 6 failed",
		Quarantine: &druvascim.Quarantine{Reason: "EncounteredEscrowProportionThreshold", Since: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), NextAttempt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}}}
	var b strings.Builder
	if err := writeSummary(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cycle c1 (full: restart): 9 source objects, 2 target users", "Create", "Success", "target calls: 8", "HTTP requests: 9",
		"held: 3 disables waiting for approval (druvasync sync --approve-deletes)", "escrowed: 4 objects", "QUARANTINED: EncounteredEscrowProportionThreshold",
		"next attempt after 2026-11-02T09:00:00Z"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
