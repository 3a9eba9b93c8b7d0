package druvascim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/druvascim/druvascim/mapping"
	"github.com/google/go-cmp/cmp"
)

// TestCreateChanges pins the provisioning-log change list of a create: one
// entry per leaf, sorted by attribute, sub-attributes dotted, extension
// attributes after a colon, typed list elements by their type, other lists
// whole, schemas left out, values rendered as JSON, secrets masked.
func TestCreateChanges(t *testing.T) {
	const ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	op := &Operation{Action: ActionCreate, Resource: map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:User", ext},
		"userName":    "ada@contoso.example",
		"displayName": "Ada \"the\" Countess",
		"active":      true,
		"name":        map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"emails":      []any{map[string]any{"type": "work", "value": "ada@contoso.example", "primary": true}},
		"phoneNumbers": []any{map[string]any{"type": "mobile", "value": "1"},
			map[string]any{"type": "mobile", "value": "2"}},
		"roles":     []any{"a", "b"},
		"nickName":  nil,
		"age":       json.Number("36"),
		"ratio":     0.5,
		"addresses": []any{map[string]any{"type": "work", "locality": map[string]any{"b": 1, "a": []string{"x"}}}},
		ext:         map[string]any{"department": "R&D", "employeeNumber": "s3cret"},
	}, Redacted: []string{ext + ":employeeNumber"}}
	type rendered struct {
		Path, Old, New string
		Redacted       bool
	}
	var got []rendered
	for _, c := range createChanges(op) {
		if c.Old != nil {
			t.Errorf("%s: old value %v on create, want none", c.Path, c.Old)
		}
		got = append(got, rendered{c.Path, changeValue(c.Old, c.Redacted), changeValue(c.New, c.Redacted), c.Redacted})
	}
	none := "(none)"
	want := []rendered{
		{Path: "active", Old: none, New: "true"},
		{Path: `addresses[type eq "work"].locality`, Old: none, New: `{"a":["x"],"b":1}`},
		{Path: "age", Old: none, New: "36"},
		{Path: "displayName", Old: none, New: `"Ada \"the\" Countess"`},
		{Path: `emails[type eq "work"].primary`, Old: none, New: "true"},
		{Path: `emails[type eq "work"].value`, Old: none, New: `"ada@contoso.example"`},
		{Path: "name.familyName", Old: none, New: `"Lovelace"`},
		{Path: "name.givenName", Old: none, New: `"Ada"`},
		{Path: "nickName", Old: none, New: none},
		{Path: "phoneNumbers", Old: none, New: `[{"type":"mobile","value":"1"},{"type":"mobile","value":"2"}]`},
		{Path: "ratio", Old: none, New: "0.5"},
		{Path: "roles", Old: none, New: `["a","b"]`},
		{Path: ext + ":department", Old: none, New: `"R&D"`},
		{Path: ext + ":employeeNumber", Old: none, New: redactedValue, Redacted: true},
		{Path: "userName", Old: none, New: `"ada@contoso.example"`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("create changes (-want +got):\n%s", d)
	}
}

// A create's detail reads as it always has: one sentence per matching
// value, quoted as Go quotes strings, whatever the value holds.
func TestCreateDetail(t *testing.T) {
	long := strings.Repeat("ü", 100) + "@contoso.example"
	keys := []mapping.MatchKey{{Path: "userName", Value: "zoë\t\"o'brien\"@contoso.example"}, {Path: "externalId", Value: long}}
	for _, before := range []string{"", "the linked user d1 no longer exists in the target; link dropped. "} {
		want := before
		for _, k := range keys {
			want += fmt.Sprintf("no target user has %s = %q. ", k.Path, k.Value)
		}
		want = strings.TrimSpace(want)
		if got := createDetail(before, keys); got != want {
			t.Errorf("createDetail:\n got %s\nwant %s", got, want)
		}
	}
	if got := createDetail(" x ", nil); got != "x" {
		t.Errorf("no keys: %q", got)
	}
}
