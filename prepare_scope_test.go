package druvascim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/mapping"
)

// A REGEX MATCH scoping clause that times out on one user's value fails
// that user only: the others are prepared, and that one is kept in scope
// with the failure, so the planner skips it with a reason and never
// disables it.
func TestPrepareRegexTimeoutFailsOneUser(t *testing.T) {
	set, err := mapping.DruvaDefault().WithOptions(
		mapping.WithScope(mapping.ScopingFilter{{mapping.RegexMatch("department", `^(a+)+$`)}}),
		mapping.WithRegexTimeout(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	user := func(id, dept string) druvascim.Object {
		return druvascim.Object{ID: id, Assigned: true, Attributes: map[string]any{"userPrincipalName": id + "@x.example",
			"mail": id + "@x.example", "displayName": id, "department": dept}}
	}
	ds, err := druvascim.Prepare(t.Context(), set, []druvascim.Object{
		user("ok", "aaa"), user("evil", strings.Repeat("a", 40)+"!"), user("out", "b"),
	})
	if err != nil {
		t.Fatalf("Prepare: %v (one user's value must not stop the tenant)", err)
	}
	if ds[0].OutOfScope || ds[0].MapError != "" || !ds[2].OutOfScope {
		t.Errorf("ordinary users: %+v %+v", ds[0], ds[2])
	}
	if ds[1].OutOfScope || !strings.Contains(ds[1].MapError, "timed out") {
		t.Errorf("the regex user: out of scope %v, MapError %q", ds[1].OutOfScope, ds[1].MapError)
	}
}

// Required attributes have one home, the mapping set: a user whose create
// form lacks one (here the email Druva needs) is skipped by the planner
// with MandatoryFieldsMissing, naming the attribute.
func TestRequiredAttributeFromSetSkipsCreate(t *testing.T) {
	set := mapping.DruvaDefault()
	objs := []druvascim.Object{{ID: "s-nomail", Assigned: true, Attributes: map[string]any{
		"userPrincipalName": "nomail@x.example", "displayName": "No Mail"}}}
	ds, err := druvascim.Prepare(t.Context(), set, objs)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := druvascim.NewPlanner()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pl.Plan(druvascim.PlanInput{Desired: ds, Full: true, Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	op := p.Operations[0]
	if op.Action != druvascim.ActionSkip || op.Reason != druvascim.ReasonMandatoryFieldsMissing || !strings.Contains(op.Detail, "email") {
		t.Errorf("got %s/%s %q; want Skip/MandatoryFieldsMissing naming the email", op.Action, op.Reason, op.Detail)
	}
}
