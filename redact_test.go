package druvascim_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// TestRedactedValuesMasked shows that values of Redact mappings, sent to the
// target as they are, never appear in a plan's text or JSON, nor in the
// report of a dry run, whether the mapping applies on create only or always.
func TestRedactedValuesMasked(t *testing.T) {
	const onCreate, always = "s3cret-on-create", "s3cret-always"
	set := must[*mapping.Set](t)(mapping.DruvaDefault().With(
		mapping.Mapping{Target: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
			Type: mapping.TypeExpression, Source: "Redact([employeeId])", Apply: mapping.ApplyOnCreate},
		mapping.Mapping{Target: "title", Type: mapping.TypeExpression, Source: "Redact([jobTitle])"},
	))
	obj := func(id, upn, title string) druvascim.Object {
		return druvascim.Object{ID: id, Assigned: true, Attributes: map[string]any{"userPrincipalName": upn, "mail": upn,
			"displayName": "User " + id, "mailNickname": id, "employeeId": onCreate, "jobTitle": title}}
	}
	desired, err := druvascim.Prepare(t.Context(), set, []druvascim.Object{
		obj("new", "new@contoso.example", always),
		obj("old", "old@contoso.example", always),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := must[*druvatest.Server](t)(druvatest.NewServer())
	defer srv.Close()
	current, err := srv.SeedUsers(scim.Resource{"userName": "old@contoso.example", "displayName": "User old", "active": true,
		"title": "public title", "externalId": "old",
		"emails": []any{map[string]any{"type": "work", "value": "old@contoso.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	planner, err := druvascim.NewPlanner()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planner.Plan(druvascim.PlanInput{Desired: desired, Current: current, State: &druvascim.State{}, Full: true,
		Now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if c := plan.Counts; c[druvascim.ActionCreate] != 1 || c[druvascim.ActionUpdate] != 1 {
		t.Fatalf("plan counts %+v, want one create and one update:\n%s", c, plan.Format())
	}
	// The values still go to the target.
	for _, op := range plan.Operations {
		if op.Action == druvascim.ActionCreate {
			if v, _ := op.Resource.Get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"); v != onCreate {
				t.Errorf("the create sends %v, want the real value", v)
			}
		}
	}
	js, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	// Apply it to a fake Druva: the provisioning log of the real run.
	state := &druvascim.State{Links: map[string]string{}}
	rep, err := druvascim.Apply(t.Context(), srv.Client(), plan, state)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Failed()); n != 0 || rep.Summary.Statuses[druvascim.StatusSuccess] != 2 {
		t.Fatalf("apply: %d failures, summary %+v", n, rep.Summary)
	}
	for _, e := range rep.Entries {
		if e.Action == druvascim.ActionCreate && len(e.Modified) == 0 {
			t.Fatalf("the create's log entry lists no properties: %+v", e)
		}
	}
	created, err := srv.UserByName("new@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := created.Get("title"); v != always {
		t.Errorf("Druva holds title %v, want the real value", v)
	}
	entries, err := json.Marshal(rep.Entries)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"Format": plan.Format(), "JSON": string(js), "report JSON": string(entries)} {
		for _, secret := range []string{onCreate, always} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows a redacted value %q:\n%s", name, secret, out)
			}
		}
	}
	if strings.Contains(plan.Format(), "schemas = ") {
		t.Errorf("Format lists the schemas attribute as a property of the create:\n%s", plan.Format())
	}
	if !strings.Contains(plan.Format(), "employeeNumber = [REDACTED]") {
		t.Errorf("Format does not show the masked create value:\n%s", plan.Format())
	}
}
