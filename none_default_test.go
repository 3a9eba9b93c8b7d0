package druvascim_test

import (
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
	"github.com/google/go-cmp/cmp"
)

// A None mapping's default fills the target attribute whenever the linked
// Druva user has no value there, also on update (Microsoft Learn,
// customize-application-attributes); it never overwrites a value.
func TestNoneDefaultFillsEmptyTargetOnUpdate(t *testing.T) {
	set, err := mapping.DruvaDefault().With(mapping.Mapping{Target: "preferredLanguage", Type: mapping.TypeNone, Default: "en-US"})
	if err != nil {
		t.Fatal(err)
	}
	src := druvascim.Object{ID: "s1", Assigned: true, Attributes: map[string]any{"userPrincipalName": "a@x.example",
		"mail": "a@x.example", "displayName": "A", "givenName": "A", "surname": "B", "mailNickname": "a"}}
	ds, err := druvascim.Prepare(t.Context(), set, []druvascim.Object{src})
	if err != nil {
		t.Fatal(err)
	}
	user := func(lang any) scim.Resource {
		u := scim.Resource{"id": "d1", "userName": "a@x.example", "displayName": "A", "active": true, "externalId": "a",
			"name":   map[string]any{"givenName": "A", "familyName": "B"},
			"emails": []any{map[string]any{"type": "work", "value": "a@x.example"}}}
		if lang != nil {
			u["preferredLanguage"] = lang
		}
		return u
	}
	planner, err := druvascim.NewPlanner()
	if err != nil {
		t.Fatal(err)
	}
	state := &druvascim.State{Links: map[string]string{"s1": "d1"}}
	for _, tc := range []struct {
		lang  any
		patch []scim.PatchOperation
	}{
		{nil, []scim.PatchOperation{{Op: "add", Path: "preferredLanguage", Value: "en-US"}}},
		{"de-AT", nil},
	} {
		p, err := planner.Plan(druvascim.PlanInput{Desired: ds, Current: []scim.Resource{user(tc.lang)}, State: state, Full: true, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.patch, p.Operations[0].Patch); diff != "" {
			t.Errorf("target preferredLanguage %v: patch (-want +got):\n%s", tc.lang, diff)
		}
	}
}
