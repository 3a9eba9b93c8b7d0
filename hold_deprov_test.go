package druvascim_test

import (
	"errors"
	"testing"

	"github.com/druvascim/druvascim"
)

// A cycle whose disables exceed the threshold holds only the disables: the
// new hire of the same cycle is created, and approving applies the held
// disables.
func TestHeldDeprovisionsDoNotBlockOnboarding(t *testing.T) {
	f := newFixture(t, druvascim.WithPolicy(druvascim.Policy{Deletes: true, DeletionThreshold: 2}))
	if _, err := f.sync.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"alice", "bob", "dave"} {
		check(t, f.graph.RemoveAssignment(f.asg[n]))
	}
	hire := must[string](t)(f.graph.CreateUser(map[string]any{"userPrincipalName": "nora@contoso.example",
		"displayName": "Nora", "mail": "nora@contoso.example", "mailNickname": "nora", "department": "Engineering"}))
	must[string](t)(f.graph.AddAssignment(hire, f.role))
	res, err := f.sync.Run(t.Context())
	if !errors.Is(err, druvascim.ErrHeld) {
		t.Fatalf("err = %v, want the hold", err)
	}
	if _, ok := druvaState(t, f.druva)["nora@contoso.example"]; !ok {
		t.Fatalf("the new hire waits for the held disables: Druva has %v", druvaState(t, f.druva))
	}
	if !druvaState(t, f.druva)["alice@contoso.example"].Active {
		t.Fatal("a held disable was applied")
	}
	staged := 0
	for _, e := range res.Report.Entries {
		if e.Action == druvascim.ActionStagedDelete {
			staged++
		}
	}
	if staged != 3 || res.Report.Summary.Actions[druvascim.ActionCreate] != 1 {
		t.Fatalf("staged %d, actions %v", staged, res.Report.Summary.Actions)
	}
}
