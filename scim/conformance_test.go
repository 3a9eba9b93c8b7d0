package scim

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The conformance tables below hold one case per normative sentence of RFC
// 7644 section 3.5.2 (PATCH) and of RFC 7643 sections 2 to 7 (attribute
// types and characteristics) that a schema-less resource can be held to.
// Each case's name starts with the section it tests and quotes or
// paraphrases the sentence.

const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

type patchCase struct {
	name  string
	start string // the resource before
	ops   string // JSON array of operations
	want  string // the resource after; "" when the patch must fail
	err   string // the scimType of the failure
}

var patchConformance = []patchCase{
	// RFC 7644 section 3.5.2.
	{name: "7644 3.5.2: each operation is add, remove or replace; another op is an error",
		start: `{"title":"x"}`, ops: `[{"op":"move","path":"title","value":"y"}]`, err: ScimTypeInvalidSyntax},
	{name: "7644 3.5.2: operations are applied in order",
		start: `{}`, ops: `[{"op":"add","path":"title","value":"a"},{"op":"replace","path":"title","value":"b"}]`, want: `{"title":"b"}`},
	{name: "7644 3.5.2: if any operation fails, the resource is left unmodified (all or nothing)",
		start: `{"title":"x"}`, ops: `[{"op":"replace","path":"title","value":"y"},{"op":"remove"}]`, err: ScimTypeNoTarget},
	// RFC 7644 section 3.5.2.1, add.
	{name: "7644 3.5.2.1: with path omitted, the value is a set of attributes added to the resource",
		start: `{"title":"x"}`, ops: `[{"op":"add","value":{"nickName":"n"}}]`, want: `{"title":"x","nickName":"n"}`},
	{name: "7644 3.5.2.1: if the target location does not exist, the attribute and value are added",
		start: `{}`, ops: `[{"op":"add","path":"nickName","value":"n"}]`, want: `{"nickName":"n"}`},
	{name: "7644 3.5.2.1: a complex attribute takes a set of sub-attributes",
		start: `{"name":{"givenName":"A"}}`, ops: `[{"op":"add","path":"name","value":{"familyName":"B"}}]`,
		want: `{"name":{"givenName":"A","familyName":"B"}}`},
	{name: "7644 3.5.2.1: a complex attribute refuses a scalar value (invalidValue)",
		start: `{"name":{"givenName":"A"}}`, ops: `[{"op":"add","path":"name","value":"x"}]`, err: ScimTypeInvalidValue},
	{name: "7644 3.5.2.1: a complex attribute of the core schema refuses a scalar value even when unassigned",
		start: `{}`, ops: `[{"op":"add","path":"name","value":"x"}]`, err: ScimTypeInvalidValue},
	{name: "7644 3.5.2.1: a multi-valued attribute gets the new value added",
		start: `{"emails":[{"value":"a@x"}]}`, ops: `[{"op":"add","path":"emails","value":[{"value":"b@x"}]}]`,
		want: `{"emails":[{"value":"a@x"},{"value":"b@x"}]}`},
	{name: "7644 3.5.2.1: a multi-valued attribute given one non-array value gets it added as one value",
		start: `{"emails":[{"value":"a@x"}]}`, ops: `[{"op":"add","path":"emails","value":{"value":"b@x"}}]`,
		want: `{"emails":[{"value":"a@x"},{"value":"b@x"}]}`},
	{name: "7644 3.5.2.1: an unassigned multi-valued attribute given one non-array value becomes a one-element list",
		start: `{}`, ops: `[{"op":"add","path":"emails","value":{"value":"b@x"}}]`, want: `{"emails":[{"value":"b@x"}]}`},
	{name: "7644 3.5.2.1: a single-valued attribute has its existing value replaced",
		start: `{"title":"x"}`, ops: `[{"op":"add","path":"title","value":"y"}]`, want: `{"title":"y"}`},
	{name: "7644 3.5.2.1: a value already present is not added again",
		start: `{"emails":[{"value":"a@x","type":"work"}]}`, ops: `[{"op":"add","path":"emails","value":[{"type":"work","value":"a@x"}]}]`,
		want: `{"emails":[{"value":"a@x","type":"work"}]}`},
	{name: "7644 3.5.2.1: add needs a value",
		start: `{}`, ops: `[{"op":"add","path":"title"}]`, err: ScimTypeInvalidValue},
	// RFC 7644 section 3.5.2.2, remove.
	{name: "7644 3.5.2.2: a remove without path fails with noTarget",
		start: `{"title":"x"}`, ops: `[{"op":"remove"}]`, err: ScimTypeNoTarget},
	{name: "7644 3.5.2.2: a single-valued attribute is removed with its value",
		start: `{"title":"x","nickName":"n"}`, ops: `[{"op":"remove","path":"title"}]`, want: `{"nickName":"n"}`},
	{name: "7644 3.5.2.2: a multi-valued attribute without filter is removed with all its values",
		start: `{"emails":[{"value":"a@x"},{"value":"b@x"}],"title":"t"}`, ops: `[{"op":"remove","path":"emails"}]`, want: `{"title":"t"}`},
	{name: "7644 3.5.2.2: with a filter, the values matched are removed",
		start: `{"members":[{"value":"u1"},{"value":"u2"}]}`, ops: `[{"op":"remove","path":"members[value eq \"u2\"]"}]`,
		want: `{"members":[{"value":"u1"}]}`},
	{name: "7644 3.5.2.2: when no value remains, the multi-valued attribute is unassigned",
		start: `{"members":[{"value":"u1"}],"title":"t"}`, ops: `[{"op":"remove","path":"members[value eq \"u1\"]"}]`, want: `{"title":"t"}`},
	{name: "7644 3.5.2.2: with a filter and a sub-attribute, the sub-attribute of the matching records is removed",
		start: `{"addresses":[{"type":"work","locality":"A"},{"type":"home","locality":"B"}]}`,
		ops:   `[{"op":"remove","path":"addresses[type eq \"work\"].locality"}]`,
		want:  `{"addresses":[{"type":"work"},{"type":"home","locality":"B"}]}`},
	{name: "7644 3.5.2.2: removing an unassigned attribute changes nothing",
		start: `{"title":"t"}`, ops: `[{"op":"remove","path":"nickName"}]`, want: `{"title":"t"}`},
	// RFC 7644 section 3.5.2.3, replace.
	{name: "7644 3.5.2.3: with path omitted, the value lists the attributes to replace",
		start: `{"title":"x","nickName":"n"}`, ops: `[{"op":"replace","value":{"title":"y"}}]`, want: `{"title":"y","nickName":"n"}`},
	{name: "7644 3.5.2.3: a single-valued attribute has its value replaced",
		start: `{"title":"x"}`, ops: `[{"op":"replace","path":"title","value":"y"}]`, want: `{"title":"y"}`},
	{name: "7644 3.5.2.3: a multi-valued attribute without filter has all its values replaced",
		start: `{"emails":[{"value":"a@x"},{"value":"b@x"}]}`, ops: `[{"op":"replace","path":"emails","value":[{"value":"c@x"}]}]`,
		want: `{"emails":[{"value":"c@x"}]}`},
	{name: "7644 3.5.2.3 with 7643 2.4: a multi-valued attribute given one non-array value stays a list, of that one value",
		start: `{"emails":[{"value":"a@x"},{"value":"b@x"}]}`, ops: `[{"op":"replace","path":"emails","value":{"value":"c@x"}}]`,
		want: `{"emails":[{"value":"c@x"}]}`},
	{name: "7644 3.5.2.3 with 7643 2.4: an extension's multi-valued attribute given one non-array value stays a list",
		start: `{"tags":["a","b"]}`, ops: `[{"op":"replace","path":"tags","value":"c"}]`, want: `{"tags":["c"]}`},
	{name: "7644 3.5.2.3 with 7643 2.4: an unassigned multi-valued attribute of the core schema replaced with one value becomes a list",
		start: `{}`, ops: `[{"op":"replace","path":"phoneNumbers","value":{"value":"555","type":"work"}}]`,
		want: `{"phoneNumbers":[{"value":"555","type":"work"}]}`},
	{name: "7644 3.5.2.3: an attribute that does not exist is treated as an add",
		start: `{}`, ops: `[{"op":"replace","path":"nickName","value":"n"}]`, want: `{"nickName":"n"}`},
	{name: "7644 3.5.2.3: a complex attribute takes sub-attributes; those not given are left unchanged",
		start: `{"name":{"givenName":"A","familyName":"B"}}`, ops: `[{"op":"replace","path":"name","value":{"givenName":"Z"}}]`,
		want: `{"name":{"givenName":"Z","familyName":"B"}}`},
	{name: "7644 3.5.2.3: a complex attribute refuses a scalar value (invalidValue)",
		start: `{"name":{"givenName":"A"}}`, ops: `[{"op":"replace","path":"name","value":"x"}]`, err: ScimTypeInvalidValue},
	{name: "7644 3.5.2.3: with a filter and a sub-attribute, the sub-attribute of all matching records is replaced",
		start: `{"addresses":[{"type":"work","locality":"A"},{"type":"work","locality":"B"},{"type":"home","locality":"C"}]}`,
		ops:   `[{"op":"replace","path":"addresses[type eq \"work\"].locality","value":"Z"}]`,
		want:  `{"addresses":[{"type":"work","locality":"Z"},{"type":"work","locality":"Z"},{"type":"home","locality":"C"}]}`},
	{name: "7644 3.5.2.3: a filter matching no record fails with noTarget (when no element can be made from it)",
		start: `{"emails":[{"value":"a@x","type":"work"}]}`, ops: `[{"op":"replace","path":"emails[value co \"zzz\"].display","value":"d"}]`,
		err: ScimTypeNoTarget},
	// RFC 7643 sections 2 and 3.
	{name: "7643 2.1: attribute names are case insensitive",
		start: `{"displayName":"a"}`, ops: `[{"op":"replace","path":"DISPLAYNAME","value":"b"}]`, want: `{"displayName":"b"}`},
	{name: "7643 2.4: a multi-valued attribute has at most one primary value",
		start: `{"emails":[{"value":"a@x","primary":true}]}`, ops: `[{"op":"add","path":"emails","value":[{"value":"b@x","primary":true}]}]`,
		want: `{"emails":[{"value":"a@x","primary":false},{"value":"b@x","primary":true}]}`},
	{name: "7643 2.5: a null value is unassigned and stores nothing",
		start: `{"title":"t"}`, ops: `[{"op":"add","value":{"nickName":null,"title":"u"}}]`, want: `{"title":"u"}`},
	{name: "7643 3.3: an extension attribute is addressed by its schema URN",
		start: `{}`, ops: `[{"op":"add","path":"` + ent + `:department","value":"D"}]`, want: `{"` + ent + `":{"department":"D"}}`},
	// The remove-with-values form (Entra's member removal).
	{name: "ApplyPatch doc: remove with a value list removes only the listed elements",
		start: `{"members":[{"value":"u1"},{"value":"u2"}]}`, ops: `[{"op":"remove","path":"members","value":[{"value":"u2"}]}]`,
		want: `{"members":[{"value":"u1"}]}`},
	{name: "ApplyPatch doc: remove with a value list on a complex attribute's multi-valued sub-attribute removes only the listed values",
		start: `{"team":{"lead":"L","tags":["a","b","c"]}}`, ops: `[{"op":"remove","path":"team.tags","value":["b"]}]`,
		want: `{"team":{"lead":"L","tags":["a","c"]}}`},
	{name: "ApplyPatch doc: remove with a value list matching nothing in a sub-attribute removes nothing",
		start: `{"team":{"tags":["a"]}}`, ops: `[{"op":"remove","path":"team.tags","value":["z"]}]`, want: `{"team":{"tags":["a"]}}`},
	{name: "ApplyPatch doc: remove with a value list in an extension's complex attribute",
		start: `{"` + ent + `":{"team":{"tags":["a","b"]}}}`, ops: `[{"op":"remove","path":"` + ent + `:team.tags","value":["a"]}]`,
		want: `{"` + ent + `":{"team":{"tags":["b"]}}}`},
}

func TestPatchConformance(t *testing.T) {
	for _, c := range patchConformance {
		t.Run(c.name, func(t *testing.T) {
			start := decode(t, c.start)
			before := start.Clone()
			var ops []PatchOperation
			if err := json.Unmarshal([]byte(c.ops), &ops); err != nil {
				t.Fatal(err)
			}
			got, err := ApplyPatch(start, ops...)
			if d := cmp.Diff(before, start); d != "" {
				t.Errorf("ApplyPatch modified its input (-before +after):\n%s", d)
			}
			if c.want == "" {
				var se *Error
				if !errors.As(err, &se) || se.ScimType != c.err || se.Status != 400 {
					t.Fatalf("ApplyPatch = %v, %v; want a 400 %s error", got, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(decode(t, c.want), got, cmp.Comparer(func(a, b json.Number) bool { return a == b })); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// filterConformance holds, for RFC 7644 section 3.4.2.2 and the
// characteristics of RFC 7643 sections 2 to 7, a filter and whether it
// matches filterUser.
var filterConformance = []struct {
	name, filter string
	match        bool
}{
	{"7643 2.1: attribute names in a filter are case insensitive", `USERNAME eq "bjensen"`, true},
	{"7643 2.3.1 with 7644 3.4.2.2: a caseExact=false string compares without regard to case", `userName eq "BJENSEN"`, true},
	{"7643 3.1: id is caseExact; eq compares it case-sensitively", `id eq "2819C223-7F76-453A-919D-413861904646"`, false},
	{"7643 3.1: id equal in case matches", `id eq "2819c223-7f76-453a-919d-413861904646"`, true},
	{"7643 3.1: externalId is caseExact; eq compares it case-sensitively", `externalId eq "ABC-Ext"`, false},
	{"7643 3.1: externalId equal in case matches", `externalId eq "abc-Ext"`, true},
	{"7643 3.1: externalId is caseExact; sw compares case-sensitively", `externalId sw "ABC"`, false},
	{"7643 3.1: externalId is caseExact; co compares case-sensitively", `externalId co "ext"`, false},
	{"7643 3.1: meta.version is caseExact", `meta.version eq "w/\"A330BC54F0671C9\""`, false},
	{"7643 2.3.7: a reference is case exact", `groups.$ref eq "HTTPS://EXAMPLE.COM/v2/Groups/g1"`, false},
	{"7643 2.3.7: a reference equal in case matches", `groups.$ref eq "https://example.com/v2/Groups/g1"`, true},
	{"7643 2.3.7: a reference inside a value filter is case exact", `groups[$ref eq "HTTPS://EXAMPLE.COM/v2/Groups/g1"]`, false},
	{"7643 2.4 with 7644 3.4.2.2: a multi-valued attribute matches when any value does", `emails.value eq "B@EXAMPLE.COM"`, true},
	{"7643 2.3.5 with 7644 3.4.2.2: dateTime compares chronologically", `meta.lastModified gt "2011-05-13T04:42:34+01:00"`, true},
	{"7643 2.3.2 with 7644 3.4.2.2: booleans support eq", `active eq true`, true},
	{"7643 2.5 with 7644 3.4.2.2: pr is false for an unassigned attribute", `nickName pr`, false},
	{"7643 2.5: an empty array is unassigned, so pr is false", `roles pr`, false},
	{"7643 4.3 with 7644 3.4.2.2: an extension attribute, by URN, compares without regard to case", ent + `:department eq "tour operations"`, true},
}

const filterUser = `{
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "abc-Ext",
  "userName": "bjensen",
  "active": true,
  "emails": [{"value": "a@example.com"}, {"value": "b@example.com"}],
  "groups": [{"value": "g1", "$ref": "https://example.com/v2/Groups/g1"}],
  "roles": [],
  "meta": {"lastModified": "2011-05-13T04:42:34Z", "version": "W/\"a330bc54f0671c9\""},
  "` + ent + `": {"department": "Tour Operations"}
}`

func TestFilterConformance(t *testing.T) {
	r := decode(t, filterUser)
	for _, c := range filterConformance {
		f, err := ParseFilter(c.filter)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := f.Matches(r); got != c.match {
			t.Errorf("%s: %s matches = %v, want %v", c.name, c.filter, got, c.match)
		}
	}
}
