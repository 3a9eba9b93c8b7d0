package faulttest

import (
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra/entratest"
)

// TestLostDeprovisionResponses: disables and deletes whose response is lost
// after Druva applied them are retried and end as successes (a retried
// DELETE of a user Druva already preserved must not fail the object), and
// the links of deleted users are dropped.
func TestLostDeprovisionResponses(t *testing.T) {
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(200), entratest.WithGroups(4), entratest.WithSeed(21)))
	defer g.Close()
	d := must[*druvatest.Server](t)(druvatest.NewServer(druvatest.WithSleep(noWait)))
	defer d.Close()
	store := newFileStore(t)
	c := must[*druva.Client](t)(d.NewClient(druva.WithWait(noWait)))
	// One operation at a time, so the seeded faults hit the same requests
	// on every run.
	s := newSyncer(t, graphReader(t, g), c, store, druvascim.WithPolicy(druvascim.Policy{Deletes: true}),
		druvascim.WithConcurrency(1))
	if _, err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := desiredState(t, g)
	purged, unassigned := 0, 0
	for _, a := range g.Assignments() {
		if a.PrincipalType != "User" {
			continue
		}
		u, err := g.User(a.PrincipalID)
		if err != nil {
			continue // purged above (a user with two assignments)
		}
		upn, _ := u["userPrincipalName"].(string)
		if _, ok := before[lower(upn)]; !ok {
			continue
		}
		switch {
		case purged < 6:
			check(t, g.PurgeUser(a.PrincipalID))
			purged++
		case unassigned < 6:
			check(t, g.RemoveAssignment(a.ID))
			unassigned++
		}
	}
	after := desiredState(t, g)
	for name, w := range before {
		if _, ok := after[name]; !ok {
			w.active = false
			after[name] = w
		}
	}
	check(t, d.SetFaults(druvatest.Faults{Seed: 5, ResponseLost: 0.3}))
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	check(t, d.SetFaults(druvatest.Faults{}))
	if c := res.Plan.Counts; c[druvascim.ActionDelete] < 1 || c[druvascim.ActionDisable] < 1 {
		t.Fatalf("plan %+v: the test needs deletes and disables", c)
	}
	lostDeletes, lostPatches := 0, 0
	for _, r := range d.Requests() {
		if r.Status == 0 && r.Method == "DELETE" {
			lostDeletes++
		}
		if r.Status == 0 && r.Method == "PATCH" {
			lostPatches++
		}
	}
	if lostDeletes == 0 || lostPatches == 0 {
		t.Fatalf("lost DELETE responses %d, PATCH %d: the test needs both", lostDeletes, lostPatches)
	}
	for _, e := range res.Report.Failed() {
		t.Errorf("%s %s failed after a lost response: %s %s", e.Action, e.DisplayName, e.ErrorCode, e.Detail)
	}
	checkConverged(t, d, after, nil)
	st := must[*druvascim.State](t)(store.Load(t.Context()))
	if len(st.Escrows) != 0 {
		t.Errorf("escrows left: %v", st.Escrows)
	}
	t.Logf("plan %+v, lost responses %d", res.Plan.Counts, d.Stats().Lost)
}
