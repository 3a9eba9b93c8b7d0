package main

import (
	"strings"
	"testing"

	"github.com/druvascim/druvascim"
)

// The summary table names the kind of cycle, counts actions and statuses,
// and shows target calls, requests and a hold.
func TestWriteSummary(t *testing.T) {
	rep := &druvascim.Report{Summary: druvascim.Summary{CycleID: "c1", Full: true, SourceObjects: 9, TargetUsers: 2,
		Actions:     map[druvascim.Action]int{druvascim.ActionCreate: 6},
		Statuses:    map[druvascim.Status]int{druvascim.StatusSuccess: 6},
		TargetCalls: 8, Requests: 9, Held: &druvascim.Hold{Message: "too many disables"}}}
	var b strings.Builder
	if err := writeSummary(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cycle c1 (full): 9 source objects, 2 target users", "Create", "Success", "target calls: 8", "HTTP requests: 9", "HELD: too many disables"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
