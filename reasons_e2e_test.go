package druvascim_test

import (
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/google/go-cmp/cmp"
)

// Reasons are precise, as in Entra's provisioning logs: a user disabled
// because accountEnabled went false is logged AccountDisabled, an
// unassigned one NotAssigned, one the scoping filter rejects ScopingFilter;
// objects never provisioned are skipped with the same reasons. Over HTTP
// with the fake Graph and the fake Druva.
func TestDeprovisionReasonsArePrecise(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	res, err := f.sync.Run(ctx)
	if err != nil {
		t.Fatalf("cycle 1: %v", err)
	}
	reasons := func(r *druvascim.Report) map[string]string {
		out := map[string]string{}
		for nick, id := range f.ids {
			for _, e := range r.Entries {
				if e.SourceID == id && e.Action != druvascim.ActionCreate && e.Action != druvascim.ActionUpdate {
					out[nick] = string(e.Action) + "/" + string(e.Reason)
				}
			}
		}
		return out
	}
	// ivan is assigned but disabled in Entra, never provisioned.
	if got := reasons(res.Report)["ivan"]; got != "Skip/AccountDisabled" {
		t.Errorf("cycle 1: ivan %q, want Skip/AccountDisabled", got)
	}

	g := f.graph
	check(t, g.Disable(f.ids["dave"]))
	check(t, g.Unassign(f.ids["bob"]))
	check(t, g.UpdateUser(f.ids["gina"], map[string]any{"department": "Contractors"}))
	res, err = f.sync.Run(ctx)
	if err != nil {
		t.Fatalf("cycle 2: %v", err)
	}
	want := map[string]string{
		"dave": "Disable/AccountDisabled",
		"bob":  "Disable/NotAssigned",
		"gina": "Disable/ScopingFilter",
	}
	got := reasons(res.Report)
	for nick := range got {
		if _, ok := want[nick]; !ok {
			delete(got, nick)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("cycle 2 reasons (-want +got):\n%s", d)
	}
	for _, e := range res.Report.Entries {
		if e.SourceID == f.ids["dave"] && (len(e.Steps) < 2 || e.Steps[1].Detail != "AccountDisabled" || e.ErrorCode != "") {
			t.Errorf("dave's entry: steps %+v, error code %q", e.Steps, e.ErrorCode)
		}
	}
}
