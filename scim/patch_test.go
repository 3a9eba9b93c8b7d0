package scim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const entraUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "48af03ac28ad4fb88478",
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "displayName": "Test User",
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": []
}`

const entraGroup = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "id": "40734ae655284ad3abcc",
  "displayName": "Group1",
  "members": [{"value": "u1", "display": "One"}, {"value": "u2"}, {"value": "u3"}]
}`

// TestApplyPatchEntra replays the request shapes Entra sends
// (documented at https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups), both the legacy and the compliant
// (aadOptscim062020) dialect.
func TestApplyPatchEntra(t *testing.T) {
	tests := []struct {
		name  string
		start string
		body  string
		want  map[string]any // path → expected value (nil: absent)
	}{
		{
			name:  "update multi-valued and single-valued, capitalised ops",
			start: entraUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
				{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`,
			want: map[string]any{
				`emails[type eq "work"].value`:   "updatedEmail@microsoft.com",
				`emails[type eq "work"].primary`: true,
				"name.familyName":                "updatedFamilyName",
				"name.givenName":                 "givenName",
			},
		},
		{
			name:  "replace userName",
			start: entraUser,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]}`,
			want:  map[string]any{"userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"},
		},
		{
			name:  "disable, compliant dialect (boolean)",
			start: entraUser,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`,
			want:  map[string]any{"active": false},
		},
		{
			name:  "disable, legacy dialect (\"False\" string)",
			start: entraUser,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			want:  map[string]any{"active": false},
		},
		{
			name:  "enable, legacy dialect (\"True\" string)",
			start: `{"active":false}`,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}`,
			want:  map[string]any{"active": true},
		},
		{
			name:  "path-less multi-attribute replace with dotted keys",
			start: entraUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{
				"displayName":"New Name","name.givenName":"New","name.familyName":"Name",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"E123","active":"False"}}]}`,
			want: map[string]any{
				"displayName":     "New Name",
				"name.givenName":  "New",
				"name.familyName": "Name",
				"name.formatted":  "givenName familyName",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "E123",
				"active": false,
			},
		},
		{
			name:  "rename group",
			start: entraGroup,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}`,
			want:  map[string]any{"displayName": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"},
		},
		{
			name:  "add members",
			start: entraGroup,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"},{"$ref":null,"value":"u1"}]}]}`,
			want: map[string]any{
				"members.value":          []any{"u1", "u2", "u3", "u4"},
				`members[value eq "u4"]`: map[string]any{"value": "u4"}, // no "$ref": null stored
			},
		},
		{
			name:  "add members to a group without members",
			start: `{"displayName":"G"}`,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u9"}]}]}`,
			want:  map[string]any{"members.value": []any{"u9"}},
		},
		{
			name:  "remove members by value list (legacy)",
			start: entraGroup,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"},{"$ref":null,"value":"u3"}]}]}`,
			want:  map[string]any{"members.value": []any{"u2"}},
		},
		{
			name:  "remove member by value filter (compliant)",
			start: entraGroup,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"u2\"]"}]}`,
			want:  map[string]any{"members.value": []any{"u1", "u3"}},
		},
		{
			name:  "remove every member by value list",
			start: entraGroup,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1"},{"value":"u2"},{"value":"u3"}]}]}`,
			want:  map[string]any{"members": nil, "displayName": "Group1"},
		},
		{
			name:  "single app role",
			start: entraUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"Add","path":"roles[primary eq \"True\"].value","value":"Admin"},
				{"op":"Add","path":"roles[primary eq \"True\"].display","value":"Administrator"}]}`,
			want: map[string]any{
				"roles": []any{map[string]any{"primary": true, "value": "Admin", "display": "Administrator"}},
			},
		},
		{
			name:  "manager sent as a bare id",
			start: entraUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"2819c223"},
				{"op":"Replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Sales"}}]}`,
			want: map[string]any{
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "2819c223",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":    "Sales",
			},
		},
		{
			name:  "replace work email on a user without one",
			start: `{"userName":"u"}`,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"a@x"}]}`,
			want:  map[string]any{"emails": []any{map[string]any{"type": "work", "value": "a@x"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := ParsePatchRequest([]byte(tc.body))
			if err != nil {
				t.Fatalf("ParsePatchRequest: %v", err)
			}
			start := decode(t, tc.start)
			before := roundTrip(t, start)
			got, err := ApplyPatch(start, req.Operations...)
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			if diff := cmp.Diff(before, roundTrip(t, start)); diff != "" {
				t.Errorf("ApplyPatch modified its input:\n%s", diff)
			}
			for path, want := range tc.want {
				v, ok := got.Get(path)
				if want == nil {
					if ok {
						t.Errorf("%s = %v, want absent", path, v)
					}
					continue
				}
				if !ok || !cmp.Equal(v, want) {
					t.Errorf("%s = %#v, want %#v", path, v, want)
				}
			}
		})
	}
}

// TestApplyPatchRFC covers RFC 7644 §3.5.2 operation by operation, with
// the whole resulting resource compared.
func TestApplyPatchRFC(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	tests := []struct {
		name  string
		start string
		ops   string // JSON array of operations
		want  string
	}{
		// add
		{"add new attribute", `{"a":1}`, `[{"op":"add","path":"title","value":"Boss"}]`, `{"a":1,"title":"Boss"}`},
		{"add replaces single-valued", `{"title":"x"}`, `[{"op":"add","path":"title","value":"y"}]`, `{"title":"y"}`},
		{"add sub-attribute creates complex", `{}`, `[{"op":"add","path":"name.givenName","value":"A"}]`, `{"name":{"givenName":"A"}}`},
		{"add complex merges", `{"name":{"givenName":"A","familyName":"B"}}`, `[{"op":"add","path":"name","value":{"familyName":"C","middleName":"M"}}]`,
			`{"name":{"givenName":"A","familyName":"C","middleName":"M"}}`},
		{"add appends to multi-valued", `{"emails":[{"value":"a","type":"work"}]}`, `[{"op":"add","path":"emails","value":[{"value":"b","type":"home"}]}]`,
			`{"emails":[{"value":"a","type":"work"},{"value":"b","type":"home"}]}`},
		{"add single value to multi-valued", `{"nick":["a"]}`, `[{"op":"add","path":"nick","value":"b"}]`, `{"nick":["a","b"]}`},
		{"add skips duplicates", `{"emails":[{"value":"a","type":"work"}]}`, `[{"op":"add","path":"emails","value":[{"type":"work","value":"a"}]}]`,
			`{"emails":[{"value":"a","type":"work"}]}`},
		{"add primary clears other primary", `{"emails":[{"value":"a","primary":true}]}`, `[{"op":"add","path":"emails","value":{"value":"b","primary":"True"}}]`,
			`{"emails":[{"value":"a","primary":false},{"value":"b","primary":true}]}`},
		{"add with filter updates match", `{"emails":[{"value":"a","type":"work"},{"value":"b","type":"home"}]}`,
			`[{"op":"add","path":"emails[type eq \"home\"].display","value":"Home"}]`,
			`{"emails":[{"value":"a","type":"work"},{"value":"b","type":"home","display":"Home"}]}`},
		{"add with filter and object merges", `{"emails":[{"value":"a","type":"work"}]}`,
			`[{"op":"add","path":"emails[type eq \"work\"]","value":{"display":"W"}}]`,
			`{"emails":[{"value":"a","type":"work","display":"W"}]}`},
		{"add with filter creates element", `{}`, `[{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555"}]`,
			`{"phoneNumbers":[{"type":"mobile","value":"555"}]}`},
		{"add extension attribute", `{}`, `[{"op":"add","path":"` + ent + `:department","value":"R&D"}]`, `{"` + ent + `":{"department":"R&D"}}`},
		{"add whole extension merges", `{"` + ent + `":{"department":"A"}}`, `[{"op":"add","path":"` + ent + `","value":{"costCenter":"42"}}]`,
			`{"` + ent + `":{"department":"A","costCenter":"42"}}`},
		{"add without path", `{"title":"x","emails":[{"value":"a"}]}`,
			`[{"op":"add","value":{"title":"y","nickName":"n","emails":[{"value":"b"}],"` + ent + `":{"department":"D"}}}]`,
			`{"title":"y","nickName":"n","emails":[{"value":"a"},{"value":"b"}],"` + ent + `":{"department":"D"}}`},
		{"add without path, parent before dotted child", `{}`, `[{"op":"add","value":{"name.givenName":"G","name":{"familyName":"F"}}}]`,
			`{"name":{"givenName":"G","familyName":"F"}}`},
		{"add to sub-attribute keeps case of stored names", `{"Name":{"GivenName":"a"}}`, `[{"op":"ADD","path":"name.givenname","value":"b"}]`,
			`{"Name":{"GivenName":"b"}}`},
		// replace
		{"replace single-valued", `{"title":"x"}`, `[{"op":"replace","path":"title","value":"y"}]`, `{"title":"y"}`},
		{"replace absent attribute adds it", `{}`, `[{"op":"replace","path":"title","value":"y"}]`, `{"title":"y"}`},
		{"replace multi-valued replaces all", `{"emails":[{"value":"a"},{"value":"b"}]}`, `[{"op":"replace","path":"emails","value":[{"value":"c"}]}]`,
			`{"emails":[{"value":"c"}]}`},
		{"replace complex merges sub-attributes", `{"name":{"givenName":"A","familyName":"B"}}`, `[{"op":"replace","path":"name","value":{"givenName":"Z"}}]`,
			`{"name":{"givenName":"Z","familyName":"B"}}`},
		{"replace with filter replaces element", `{"emails":[{"value":"a","type":"work","display":"d"},{"value":"b","type":"home"}]}`,
			`[{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"c"}}]`,
			`{"emails":[{"value":"c","type":"work"},{"value":"b","type":"home"}]}`},
		{"replace with filter sub-attribute", `{"addresses":[{"type":"work","street":"1"},{"type":"home","street":"2"}]}`,
			`[{"op":"replace","path":"addresses[type eq \"work\"].street","value":"9"}]`,
			`{"addresses":[{"type":"work","street":"9"},{"type":"home","street":"2"}]}`},
		{"replace with filter on every match", `{"members":[{"value":"1","type":"User"},{"value":"2","type":"User"}]}`,
			`[{"op":"replace","path":"members[type eq \"user\"].display","value":"x"}]`,
			`{"members":[{"value":"1","type":"User","display":"x"},{"value":"2","type":"User","display":"x"}]}`},
		{"replace sub-attribute of every element", `{"emails":[{"value":"a"},{"value":"b"}]}`, `[{"op":"replace","path":"emails.type","value":"work"}]`,
			`{"emails":[{"value":"a","type":"work"},{"value":"b","type":"work"}]}`},
		{"replace without path", `{"userName":"a","name":{"givenName":"G","familyName":"F"},"emails":[{"value":"x"}]}`,
			`[{"op":"replace","value":{"userName":"b","name":{"givenName":"H"},"emails":[{"value":"y"}]}}]`,
			`{"userName":"b","name":{"givenName":"H","familyName":"F"},"emails":[{"value":"y"}]}`},
		{"replace whole extension merges", `{"` + ent + `":{"department":"A","costCenter":"1"}}`, `[{"op":"replace","path":"` + ent + `","value":{"department":"B"}}]`,
			`{"` + ent + `":{"department":"B","costCenter":"1"}}`},
		{"replace primary string on element", `{"emails":[{"value":"a","primary":true}]}`, `[{"op":"replace","path":"emails[value eq \"a\"].primary","value":"False"}]`,
			`{"emails":[{"value":"a","primary":false}]}`},
		{"replace null value key is ignored", `{"title":"x"}`, `[{"op":"replace","value":{"title":null,"nickName":"n"}}]`, `{"title":"x","nickName":"n"}`},
		// remove
		{"remove attribute", `{"title":"x","a":1}`, `[{"op":"remove","path":"title"}]`, `{"a":1}`},
		{"remove absent attribute", `{"a":1}`, `[{"op":"remove","path":"title"}]`, `{"a":1}`},
		{"remove multi-valued", `{"emails":[{"value":"a"}],"a":1}`, `[{"op":"remove","path":"emails"}]`, `{"a":1}`},
		{"remove sub-attribute", `{"name":{"givenName":"A","familyName":"B"}}`, `[{"op":"remove","path":"name.givenName"}]`, `{"name":{"familyName":"B"}}`},
		{"remove with filter", `{"emails":[{"value":"a","type":"work"},{"value":"b","type":"home"}]}`, `[{"op":"remove","path":"emails[type eq \"work\"]"}]`,
			`{"emails":[{"value":"b","type":"home"}]}`},
		{"remove with complex filter", `{"emails":[{"value":"a","type":"work"},{"value":"b","type":"home"},{"value":"c","type":"other"}]}`,
			`[{"op":"remove","path":"emails[type eq \"work\" or value ew \"c\"]"}]`,
			`{"emails":[{"value":"b","type":"home"}]}`},
		{"remove with filter sub-attribute", `{"emails":[{"value":"a","type":"work","display":"d"}]}`, `[{"op":"remove","path":"emails[type eq \"work\"].display"}]`,
			`{"emails":[{"value":"a","type":"work"}]}`},
		{"remove with filter matching nothing", `{"emails":[{"value":"a"}]}`, `[{"op":"remove","path":"emails[value eq \"zz\"]"}]`, `{"emails":[{"value":"a"}]}`},
		{"remove primitive values listed", `{"nick":["a","b","c"]}`, `[{"op":"remove","path":"nick","value":["a","c"]}]`, `{"nick":["b"]}`},
		{"remove listed by attributes", `{"emails":[{"value":"a","type":"work"},{"value":"b","type":"home"}]}`,
			`[{"op":"remove","path":"emails","value":{"type":"home"}}]`, `{"emails":[{"value":"a","type":"work"}]}`},
		{"remove single-valued with value", `{"title":"x"}`, `[{"op":"remove","path":"title","value":"x"}]`, `{}`},
		{"remove extension attribute", `{"` + ent + `":{"department":"A","costCenter":"1"}}`, `[{"op":"remove","path":"` + ent + `:department"}]`,
			`{"` + ent + `":{"costCenter":"1"}}`},
		{"remove whole extension", `{"` + ent + `":{"department":"A"},"a":1}`, `[{"op":"remove","path":"` + ent + `"}]`, `{"a":1}`},
		// sequences
		{"operations apply in order", `{}`,
			`[{"op":"add","path":"emails[type eq \"work\"].value","value":"a"},{"op":"replace","path":"emails[type eq \"work\"].value","value":"b"},{"op":"add","path":"title","value":"t"},{"op":"remove","path":"title"}]`,
			`{"emails":[{"type":"work","value":"b"}]}`},
		{"no operations", `{"a":1}`, `[]`, `{"a":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ops []PatchOperation
			if err := json.Unmarshal([]byte(tc.ops), &ops); err != nil {
				t.Fatal(err)
			}
			start := decode(t, tc.start)
			got, err := ApplyPatch(start, ops...)
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			if diff := cmp.Diff(decode(t, tc.want), roundTrip(t, got)); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(decode(t, tc.start), roundTrip(t, start)); diff != "" {
				t.Errorf("ApplyPatch modified its input:\n%s", diff)
			}
		})
	}
}

func TestApplyPatchErrors(t *testing.T) {
	tests := []struct {
		name     string
		start    string
		ops      []PatchOperation
		scimType string
		detail   string
	}{
		{"unknown op", `{}`, []PatchOperation{{Op: "move", Path: "a", Value: 1}}, ScimTypeInvalidSyntax, `operation 0 (move "a"): unknown op "move"`},
		{"empty op", `{}`, []PatchOperation{{Path: "a", Value: 1}}, ScimTypeInvalidSyntax, "unknown op"},
		{"remove without path", `{}`, []PatchOperation{{Op: "remove"}}, ScimTypeNoTarget, "operation 0 (remove): remove needs a path"},
		{"bad path", `{}`, []PatchOperation{{Op: "add", Path: "a", Value: 1}, {Op: "add", Path: "emails[type eq", Value: 1}}, ScimTypeInvalidPath, "operation 1 (add"},
		{"add without value", `{}`, []PatchOperation{{Op: "add", Path: "a"}}, ScimTypeInvalidValue, "add needs a value"},
		{"path-less non-object", `{}`, []PatchOperation{{Op: "replace", Value: "x"}}, ScimTypeInvalidValue, "needs an object value, not a string"},
		{"path-less bad key", `{}`, []PatchOperation{{Op: "replace", Value: map[string]any{"a b": 1}}}, ScimTypeInvalidPath, "value key"},
		{"sub-attribute of a string", `{"title":"x"}`, []PatchOperation{{Op: "add", Path: "title.sub", Value: 1}}, ScimTypeInvalidValue, "not an object"},
		{"filter on single-valued", `{"name":{"a":1}}`, []PatchOperation{{Op: "replace", Path: `name[a eq 1].b`, Value: 1}}, ScimTypeInvalidValue, "not multi-valued"},
		{"filter cannot create", `{"emails":[]}`, []PatchOperation{{Op: "replace", Path: `emails[value co "x"].type`, Value: "w"}}, ScimTypeNoTarget, "no element of emails matches"},
		{"filter element needs object", `{}`, []PatchOperation{{Op: "add", Path: `emails[type eq "work"]`, Value: "x"}}, ScimTypeInvalidValue, "must be an object"},
		{"unencodable value", `{}`, []PatchOperation{{Op: "add", Path: "a", Value: make(chan int)}}, ScimTypeInvalidValue, "cannot be represented as JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApplyPatch(decode(t, tc.start), tc.ops...)
			if err == nil {
				t.Fatalf("ApplyPatch succeeded: %v", got)
			}
			if got != nil {
				t.Errorf("ApplyPatch returned a resource with its error: %v", got)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *Error: %v", err, err)
			}
			if se.Status != 400 || se.ScimType != tc.scimType || !strings.Contains(se.Detail, tc.detail) {
				t.Errorf("got %d %q %q, want 400 %q containing %q", se.Status, se.ScimType, se.Detail, tc.scimType, tc.detail)
			}
		})
	}
}

func TestApplyPatchTypedValues(t *testing.T) {
	type member struct {
		Value string `json:"value"`
	}
	got, err := ApplyPatch(nil,
		PatchOperation{Op: "add", Path: "members", Value: []member{{"a"}, {"b"}}},
		PatchOperation{Op: "add", Path: "tags", Value: []string{"x", "y"}},
		PatchOperation{Op: "add", Path: "labels", Value: map[string]string{"k": "v"}},
		PatchOperation{Op: "add", Path: "count", Value: 3},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := Resource{
		"members": []any{map[string]any{"value": "a"}, map[string]any{"value": "b"}},
		"tags":    []any{"x", "y"},
		"labels":  map[string]any{"k": "v"},
		"count":   3,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The result does not alias the operation's value.
	v := map[string]any{"givenName": "A"}
	r, err := ApplyPatch(Resource{}, PatchOperation{Op: "add", Path: "name", Value: v})
	if err != nil {
		t.Fatal(err)
	}
	v["givenName"] = "changed"
	if g, _ := r.Get("name.givenName"); g != "A" {
		t.Errorf("result aliases the op value: %v", g)
	}
}

func TestParsePatchRequest(t *testing.T) {
	req, err := ParsePatchRequest([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"operations":[{"op":"Add","path":"a","value":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Operations) != 1 || req.Operations[0].Op != "Add" {
		t.Errorf("got %+v", req)
	}
	data, _ := json.Marshal(NewPatchRequest(PatchOperation{Op: "replace", Path: "active", Value: false}, PatchOperation{Op: "remove", Path: "title"}))
	want := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false},{"op":"remove","path":"title"}]}`
	if string(data) != want {
		t.Errorf("Marshal = %s\nwant      %s", data, want)
	}
	if _, err := ParsePatchRequest(data); err != nil {
		t.Errorf("our own request does not parse: %v", err)
	}

	tests := []struct {
		body, want string
		offset     int // -1: not a syntax error
	}{
		{`{"schemas":[`, "unexpected end of JSON input", 12},
		{`{"schemas":["x"],"Operations":[{"op":1}]}`, "cannot unmarshal number", 38},
		{`{"Operations":[{"op":"add","path":"a","value":1}]}`, "schemas must list", -1},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, "no Operations", -1},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"a","value":1},{"op":"delete","path":"a"}]}`, `operation 1 (delete "a"): unknown op`, -1},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"a["}]}`, "operation 0", -1},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`, "remove needs a path", -1},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"a"}]}`, "replace needs a value", -1},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":[1]}]}`, "needs an object value", -1},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"a..b":1}}]}`, "value key", -1},
	}
	for _, tc := range tests {
		_, err := ParsePatchRequest([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePatchRequest(%s) = %v, want an error containing %q", tc.body, err, tc.want)
			continue
		}
		var se *SyntaxError
		if tc.offset >= 0 {
			if !errors.As(err, &se) || se.Offset != tc.offset {
				t.Errorf("ParsePatchRequest(%s): %v, want a SyntaxError at %d", tc.body, err, tc.offset)
			}
		}
		var scimErr *Error
		if !errors.As(err, &scimErr) || scimErr.Status != 400 {
			t.Errorf("ParsePatchRequest(%s): no 400 *Error in %v", tc.body, err)
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{nil, nil, true},
		{nil, "", false},
		{"a", "a", true},
		{"a", "A", false},
		{true, "True", true},
		{"false", false, true},
		{true, "yes", false},
		{1, 1.0, true},
		{json.Number("2"), int64(2), true},
		{1, "1", false},
		{map[string]any{"a": 1, "b": nil}, map[string]any{"A": 1.0}, true},
		{map[string]any{"a": 1}, map[string]any{"a": 1, "b": 2}, false},
		{[]any{"a", "b"}, []string{"b", "a"}, true},
		{[]any{"a", "a"}, []any{"a", "b"}, false},
		{[]any{"a"}, "a", false},
		{Resource{"x": []any{map[string]any{"v": 1}}}, map[string]any{"x": []any{map[string]any{"v": 1}}}, true},
	}
	for _, tc := range tests {
		if got := Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("Equal(%#v, %#v) = %v", tc.a, tc.b, got)
		}
		if got := Equal(tc.b, tc.a); got != tc.want {
			t.Errorf("Equal(%#v, %#v) = %v (reversed)", tc.b, tc.a, got)
		}
	}
}
