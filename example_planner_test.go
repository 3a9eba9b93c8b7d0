package druvascim_test

import (
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// linkedUsers returns n source objects, all unassigned, each linked to an
// active Druva user: a plan disables them all.
func linkedUsers(n int) ([]druvascim.Desired, []scim.Resource, *druvascim.State) {
	st := &druvascim.State{Links: map[string]string{}}
	var desired []druvascim.Desired
	var current []scim.Resource
	for i := range n {
		upn := fmt.Sprintf("user%d@contoso.com", i)
		src, id := fmt.Sprintf("src-%d", i), fmt.Sprintf("d-%d", i)
		desired = append(desired, druvascim.Desired{SourceID: src, DisplayName: upn, SoftDeleted: true,
			Keys: []mapping.MatchKey{{Path: "userName", Value: upn}}})
		current = append(current, scim.Resource{"id": id, "userName": upn, "active": true})
		st.Links[src] = id
	}
	return desired, current, st
}

// A plan policy sees the whole plan. This one lets at most two disables
// through per cycle: the others are vetoed, and planned again next cycle.
func ExampleWithPlanPolicy() {
	const maxDisables = 2
	atMost := func(p *druvascim.Plan) error {
		n := 0
		for i, op := range p.Operations {
			if op.Action != druvascim.ActionDisable {
				continue
			}
			if n++; n > maxDisables {
				p.Veto(i, fmt.Sprintf("more than %d disables in one cycle", maxDisables))
			}
		}
		return nil
	}
	planner, err := druvascim.NewPlanner(druvascim.WithPlanPolicy(atMost))
	if err != nil {
		log.Fatal(err)
	}
	desired, current, state := linkedUsers(5)
	plan, err := planner.Plan(druvascim.PlanInput{Desired: desired, Current: current, State: state,
		Now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		log.Fatal(err)
	}
	for _, op := range plan.Operations {
		fmt.Println(op.SourceID, op.Action, op.Reason)
	}
	fmt.Printf("%d to disable, %d skipped\n", plan.Counts[druvascim.ActionDisable], plan.Counts[druvascim.ActionSkip])
	// Output:
	// src-0 Disable NotAssigned
	// src-1 Disable NotAssigned
	// src-2 Skip Vetoed
	// src-3 Skip Vetoed
	// src-4 Skip Vetoed
	// 2 to disable, 3 skipped
}

// pilotPlanner is a Planner of its own: it plans with the standard planner,
// then holds back every write for objects outside a pilot group, so that a
// new tenant is rolled out a few users at a time.
type pilotPlanner struct {
	std   druvascim.Planner
	pilot func(sourceID string) bool
}

func (p pilotPlanner) Plan(in druvascim.PlanInput) (*druvascim.Plan, error) {
	plan, err := p.std.Plan(in)
	if plan == nil {
		return nil, err
	}
	for i, op := range plan.Operations {
		if op.Action != druvascim.ActionSkip && !p.pilot(op.SourceID) {
			plan.Veto(i, "not in the pilot group yet")
		}
	}
	return plan, err
}

// A custom Planner wraps the standard one; give it to a Syncer with
// WithPlanner.
func ExamplePlanner() {
	std, err := druvascim.NewPlanner()
	if err != nil {
		log.Fatal(err)
	}
	var planner druvascim.Planner = pilotPlanner{std: std, pilot: func(id string) bool { return strings.HasSuffix(id, "-1") }}
	desired, current, state := linkedUsers(3)
	plan, err := planner.Plan(druvascim.PlanInput{Desired: desired, Current: current, State: state,
		Now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		log.Fatal(err)
	}
	for _, op := range plan.Operations {
		fmt.Println(op.SourceID, op.Action, op.Reason, op.Detail)
	}
	fmt.Printf("%d to disable, %d skipped\n", plan.Counts[druvascim.ActionDisable], plan.Counts[druvascim.ActionSkip])
	// Output:
	// src-0 Skip Vetoed not in the pilot group yet
	// src-1 Disable NotAssigned not assigned
	// src-2 Skip Vetoed not in the pilot group yet
	// 1 to disable, 2 skipped
}
