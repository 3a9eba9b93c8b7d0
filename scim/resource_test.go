package scim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decode is a test helper turning JSON text into a Resource.
func decode(t testing.TB, s string) Resource {
	t.Helper()
	var r Resource
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return r
}

const bjensen = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223",
  "externalId": "bjensen",
  "UserName": "bjensen@example.com",
  "displayName": "Babs Jensen",
  "active": true,
  "name": {"givenName": "Barbara", "familyName": "Jensen"},
  "emails": [
    {"value": "babs@home.example", "type": "home"},
    {"value": "bjensen@example.com", "type": "work", "primary": true}
  ],
  "phoneNumbers": [{"value": "555-1", "type": "mobile"}],
  "nickNames": ["babs", "b"],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "department": "Finance",
    "manager": {"value": "26118915", "displayName": "John Smith"}
  },
  "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34.5Z", "version": "W/\"a330bc54f0671c9\"", "location": "https://example.com/v2/Users/2819c223"}
}`

func TestGet(t *testing.T) {
	r := decode(t, bjensen)
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"userName", "bjensen@example.com", true}, // stored as "UserName"
		{"USERNAME", "bjensen@example.com", true},
		{"name.givenName", "Barbara", true},
		{"NAME.GIVENNAME", "Barbara", true},
		{"name.middleName", nil, false},
		{"title", nil, false},
		{"active", true, true},
		{`emails[type eq "work"].value`, "bjensen@example.com", true},
		{`emails[TYPE eq "WORK"].value`, "bjensen@example.com", true},
		{`emails[type eq "other"].value`, nil, false},
		{`emails[primary eq true].type`, "work", true},
		{`emails[type eq "home"]`, map[string]any{"value": "babs@home.example", "type": "home"}, true},
		{"emails.value", []any{"babs@home.example", "bjensen@example.com"}, true},
		{`phoneNumbers[type eq "mobile"].value`, "555-1", true},
		{`nickNames[value eq "B"]`, "b", true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Finance", true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT", "Finance", true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "26118915", true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter", nil, false},
		{"urn:ietf:params:scim:schemas:core:2.0:User:displayName", "Babs Jensen", true},
		{"urn:ietf:params:scim:schemas:extension:other:2.0:User:x", nil, false},
		{"displayName.x", nil, false}, // sub-attribute of a string
		{"", nil, false},
		{"a..b", nil, false},
		{`emails[type eq`, nil, false},
	}
	for _, tc := range tests {
		got, ok := r.Get(tc.path)
		if ok != tc.ok || !cmp.Equal(got, tc.want) {
			t.Errorf("Get(%q) = %v, %v; want %v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	ext, ok := r.Get(EnterpriseUserSchema)
	if m, isMap := ext.(map[string]any); !ok || !isMap || m["department"] != "Finance" {
		t.Errorf("Get(enterprise URN) = %v, %v", ext, ok)
	}
	flat := Resource{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Flat",
		"URN:IETF:params:scim:schemas:extension:enterprise:2.0:User:manager": map[string]any{"value": "m"}}
	for path, want := range map[string]any{
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":    "Flat",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "m",
	} {
		if got, ok := flat.Get(path); !ok || got != want {
			t.Errorf("flat extension Get(%q) = %v, %v", path, got, ok)
		}
	}
	if f, _ := ParseFilter(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "flat"`); !f.Matches(flat) {
		t.Error("filter on a flat extension attribute does not match")
	}
	var nilRes Resource
	if _, ok := nilRes.Get("userName"); ok {
		t.Error("Get on a nil Resource found something")
	}
	if _, ok := (Resource{"x": nil}).Get("x"); ok {
		t.Error("a JSON null counts as present")
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name  string
		start string
		path  string
		value any
		want  string
	}{
		{"simple", `{}`, "userName", "a", `{"userName":"a"}`},
		{"keeps existing spelling", `{"UserName":"x"}`, "username", "a", `{"UserName":"a"}`},
		{"creates intermediate", `{}`, "name.givenName", "Ann", `{"name":{"givenName":"Ann"}}`},
		{"merges into existing", `{"name":{"familyName":"Lee"}}`, "name.givenName", "Ann", `{"name":{"familyName":"Lee","givenName":"Ann"}}`},
		{"creates work email", `{}`, `emails[type eq "work"].value`, "a@x", `{"emails":[{"type":"work","value":"a@x"}]}`},
		{"appends work email", `{"emails":[{"type":"home","value":"h@x"}]}`, `emails[type eq "work"].value`, "a@x",
			`{"emails":[{"type":"home","value":"h@x"},{"type":"work","value":"a@x"}]}`},
		{"updates work email", `{"emails":[{"type":"Work","value":"old@x","primary":true}]}`, `emails[type eq "work"].value`, "a@x",
			`{"emails":[{"type":"Work","value":"a@x","primary":true}]}`},
		{"creates from and-filter", `{}`, `emails[type eq "work" and primary eq true].value`, "a@x",
			`{"emails":[{"type":"work","primary":true,"value":"a@x"}]}`},
		{"replaces matching element", `{"emails":[{"type":"work","value":"old","display":"d"}]}`, `emails[type eq "work"]`, map[string]any{"value": "new"},
			`{"emails":[{"type":"work","value":"new"}]}`},
		{"extension attribute", `{}`, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Sales",
			`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`},
		{"extension sub-attribute", `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "42",
			`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales","manager":{"value":"42"}}}`},
		{"core URN prefix", `{}`, "urn:ietf:params:scim:schemas:core:2.0:User:userName", "u", `{"userName":"u"}`},
		{"whole extension", `{}`, EnterpriseUserSchema, map[string]any{"department": "X"},
			`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"X"}}`},
		{"sub of every element", `{"emails":[{"value":"a"},{"value":"b"}]}`, "emails.type", "work",
			`{"emails":[{"value":"a","type":"work"},{"value":"b","type":"work"}]}`},
		{"nil removes", `{"title":"x","userName":"u"}`, "title", nil, `{"userName":"u"}`},
		{"bool", `{}`, "active", false, `{"active":false}`},
		{"list", `{}`, "roles", []any{"a", "b"}, `{"roles":["a","b"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := decode(t, tc.start)
			if err := r.Set(tc.path, tc.value); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if diff := cmp.Diff(decode(t, tc.want), roundTrip(t, r)); diff != "" {
				t.Errorf("resource (-want +got):\n%s", diff)
			}
		})
	}
}

func roundTrip(t testing.TB, r Resource) Resource {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, string(data))
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		start, path string
		value       any
	}{
		{`{}`, "a..b", "x"},
		{`{}`, "", "x"},
		{`{"displayName":"x"}`, "displayName.sub", "x"},
		{`{"name":{"givenName":"x"}}`, `name[type eq "work"].value`, "x"},
		{`{}`, `emails[type eq "work" or type eq "home"].value`, "x"},
		{`{}`, `emails[value co "x"].display`, "x"},
		{`{}`, `emails[type eq "work"]`, "not an object"},
		{`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"oops"}`, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "x"},
		{`{"emails":["a"]}`, "emails.value", "x"},
		{`{"emails":[{"value":"a"},"b"]}`, "emails.type", "x"},
		{`{"emails":[{"value":"a"},"b"]}`, `emails[value pr or value eq "b"].type`, "x"},
		{`{}`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:x[a co "b"].c`, "x"},
	}
	for _, tc := range tests {
		r := decode(t, tc.start)
		before := roundTrip(t, r)
		if err := r.Set(tc.path, tc.value); err == nil {
			t.Errorf("Set(%q) on %s succeeded, want an error", tc.path, tc.start)
		} else if tc.path != "" && tc.path != "a..b" {
			if diff := cmp.Diff(before, roundTrip(t, r)); diff != "" {
				t.Errorf("failed Set(%q) changed the resource:\n%s", tc.path, diff)
			}
		}
	}
	var nilRes Resource
	if err := nilRes.Set("userName", "x"); err == nil {
		t.Error("Set on a nil Resource succeeded")
	}
}

func TestRemove(t *testing.T) {
	tests := []struct {
		name, start, path, want string
	}{
		{"attribute", `{"a":1,"b":2}`, "A", `{"b":2}`},
		{"absent", `{"a":1}`, "zzz", `{"a":1}`},
		{"sub-attribute", `{"name":{"givenName":"x","familyName":"y"}}`, "name.givenName", `{"name":{"familyName":"y"}}`},
		{"last sub-attribute drops complex", `{"name":{"givenName":"x"}}`, "name.givenName", `{}`},
		{"filtered element", `{"members":[{"value":"1"},{"value":"2"}]}`, `members[value eq "1"]`, `{"members":[{"value":"2"}]}`},
		{"last element drops attribute", `{"members":[{"value":"1"}]}`, `members[value eq "1"]`, `{}`},
		{"filtered sub-attribute", `{"emails":[{"type":"work","value":"a","display":"d"}]}`, `emails[type eq "work"].display`, `{"emails":[{"type":"work","value":"a"}]}`},
		{"extension attribute drops empty extension", `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"}}`,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", `{}`},
		{"whole extension", `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"},"a":1}`, EnterpriseUserSchema, `{"a":1}`},
		{"sub of every element", `{"emails":[{"value":"a","type":"t"},{"value":"b"}]}`, "emails.type", `{"emails":[{"value":"a"},{"value":"b"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := decode(t, tc.start)
			if err := r.Remove(tc.path); err != nil {
				t.Fatalf("Remove: %v", err)
			}
			if diff := cmp.Diff(decode(t, tc.want), roundTrip(t, r)); diff != "" {
				t.Errorf("resource (-want +got):\n%s", diff)
			}
		})
	}
	if err := (Resource{}).Remove("a[b"); err == nil {
		t.Error("Remove with an invalid path succeeded")
	}
}

func TestPathReuse(t *testing.T) {
	p, err := ParsePath(`emails[type eq "work"].value`)
	if err != nil {
		t.Fatal(err)
	}
	a, b := Resource{}, Resource{}
	if err := a.SetPath(p, "a@x"); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPath(p, "b@x"); err != nil {
		t.Fatal(err)
	}
	for r, want := range map[*Resource]string{&a: "a@x", &b: "b@x"} {
		if got, _ := r.GetPath(p); got != want {
			t.Errorf("GetPath = %v, want %v", got, want)
		}
	}
	if _, ok := a.GetPath(Path{}); ok {
		t.Error("the zero Path found a value")
	}
	if err := a.SetPath(Path{}, "x"); err == nil {
		t.Error("SetPath with the zero Path succeeded")
	}
}

func TestClone(t *testing.T) {
	r := decode(t, bjensen)
	r["tags"] = []string{"x"}
	c := r.Clone()
	if diff := cmp.Diff(r, c); diff != "" {
		t.Fatalf("clone differs:\n%s", diff)
	}
	if err := c.Set("name.givenName", "Changed"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(`emails[type eq "work"].value`, "changed@x"); err != nil {
		t.Fatal(err)
	}
	c["tags"].([]string)[0] = "changed"
	if err := c.Set("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Changed"); err != nil {
		t.Fatal(err)
	}
	want := decode(t, bjensen)
	want["tags"] = []any{"x"}
	if diff := cmp.Diff(want, roundTrip(t, r)); diff != "" {
		t.Errorf("changing the clone changed the original:\n%s", diff)
	}
	if r["tags"].([]string)[0] != "x" {
		t.Error("typed slice was shared")
	}
	if Resource(nil).Clone() != nil {
		t.Error("Clone of nil is not nil")
	}
}

func TestAccessors(t *testing.T) {
	r := decode(t, bjensen)
	if r.ID() != "2819c223" || r.UserName() != "bjensen@example.com" || r.DisplayName() != "Babs Jensen" || r.ExternalID() != "bjensen" {
		t.Errorf("got %q %q %q %q", r.ID(), r.UserName(), r.DisplayName(), r.ExternalID())
	}
	if a, ok := r.Active(); !a || !ok {
		t.Errorf("Active() = %v, %v", a, ok)
	}
	if got := r.Email(); got != "bjensen@example.com" {
		t.Errorf("Email() = %q", got)
	}
	if diff := cmp.Diff([]string{UserSchema, EnterpriseUserSchema}, r.Schemas()); diff != "" {
		t.Errorf("Schemas: %s", diff)
	}
	m := r.Meta()
	if m.ResourceType != "User" || m.Version != `W/"a330bc54f0671c9"` || m.Location == "" ||
		!m.Created.Equal(time.Date(2010, 1, 23, 4, 56, 22, 0, time.UTC)) ||
		!m.LastModified.Equal(time.Date(2011, 5, 13, 4, 42, 34, 500000000, time.UTC)) {
		t.Errorf("Meta() = %+v", m)
	}

	activeTests := []struct {
		in            string
		active, known bool
	}{
		{`{"active":false}`, false, true},
		{`{"active":"True"}`, true, true},
		{`{"Active":"false"}`, false, true},
		{`{"active":"yes"}`, false, false},
		{`{}`, false, false},
	}
	for _, tc := range activeTests {
		if a, ok := decode(t, tc.in).Active(); a != tc.active || ok != tc.known {
			t.Errorf("%s: Active() = %v, %v", tc.in, a, ok)
		}
	}

	emailTests := []struct{ in, want string }{
		{`{"emails":[{"value":"a","type":"home"},{"value":"b","type":"WORK"}]}`, "b"},
		{`{"emails":[{"value":"a","type":"work"},{"value":"b","primary":"True"}]}`, "b"},
		{`{"emails":[{"value":"","primary":true},{"value":"c","type":"other"}]}`, "c"},
		{`{"emails":"x"}`, ""},
		{`{}`, ""},
	}
	for _, tc := range emailTests {
		if got := decode(t, tc.in).Email(); got != tc.want {
			t.Errorf("%s: Email() = %q, want %q", tc.in, got, tc.want)
		}
	}
	empty := Resource{}
	if empty.ID() != "" || empty.Meta() != (Meta{}) || empty.Schemas() != nil {
		t.Error("accessors on an empty resource returned values")
	}
	if (Resource{"id": 5}).ID() != "" {
		t.Error("a non-string id was returned")
	}
}

// TestGoTypedValues checks resources built in Go rather than decoded from
// JSON: nested Resource values, typed slices and integer kinds.
func TestGoTypedValues(t *testing.T) {
	r := Resource{
		"name":     Resource{"givenName": "A"},
		"emails":   []map[string]any{{"type": "work", "value": "w@x"}},
		"groups":   []Resource{{"value": "g1"}},
		"tags":     []string{"x", "y"},
		"count":    int64(3),
		"ratio":    float32(0.5),
		"small":    uint8(7),
		"Ünïcode":  "u",
		"nullable": nil,
	}
	checks := []struct {
		path string
		want any
	}{
		{"name.givenName", "A"},
		{`emails[type eq "work"].value`, "w@x"},
		{`groups[value eq "g1"].value`, "g1"},
		{`tags[value eq "Y"]`, "y"},
	}
	for _, c := range checks {
		if got, ok := r.Get(c.path); !ok || got != c.want {
			t.Errorf("Get(%q) = %v, %v; want %v", c.path, got, ok, c.want)
		}
	}
	if _, ok := r.Get("üNÏCODE"); ok {
		t.Error("a non-ASCII attribute name was accepted as a path")
	}
	// Keys of merged objects match ignoring case, also beyond ASCII.
	merged, err := ApplyPatch(Resource{"x": map[string]any{"Ünïcode": "u"}}, PatchOperation{Op: "add", Path: "x", Value: map[string]any{"üNÏCODE": "v"}})
	if err != nil || !cmp.Equal(merged["x"], map[string]any{"Ünïcode": "v"}) {
		t.Errorf("non-ASCII merge = %v, %v", merged, err)
	}
	for _, f := range []string{`count eq 3`, `ratio lt 1`, `small ge 7`, `tags co "x"`, `groups[value sw "g"]`, `nullable eq null`, `name pr`, `tags pr`, `emails pr`} {
		pf, err := ParseFilter(f)
		if err != nil {
			t.Fatal(err)
		}
		if !pf.Matches(r) {
			t.Errorf("%s does not match", f)
		}
	}
	c := r.Clone()
	if err := c.Set(`emails[type eq "work"].value`, "new@x"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("tags", []string{"z"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(`groups[value eq "g2"].display`, "G2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Get(`emails[type eq "work"].value`); got != "w@x" {
		t.Errorf("clone shares []map[string]any elements: %v", got)
	}
	if got, _ := c.Get(`groups[value eq "g2"].display`); got != "G2" {
		t.Errorf("Set on a []Resource attribute: %v", got)
	}
	if got := r["groups"].([]Resource); len(got) != 1 {
		t.Errorf("original []Resource changed: %v", got)
	}
	if err := c.Remove(`groups[value eq "g1"]`); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get("groups.value"); !cmp.Equal(got, []any{"g2"}) {
		t.Errorf("groups after remove = %v", got)
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`\uD83D\uDE00`, "😀"},
		{`\uD83D`, "\uFFFD"},
		{`\uD83Dx`, "\uFFFDx"},
		{`\u00E9\/\b\f\n\r\t\"\\`, "é/\b\f\n\r\t\"\\"},
	}
	for _, tc := range tests {
		f, err := ParseFilter(`a eq "` + tc.in + `"`)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := f.root.(*cmpNode).value; got != tc.want {
			t.Errorf("unescape(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{`\`, `\x`, `\u12`, `\uZZZZ`} {
		if _, err := unescape(bad); err == nil {
			t.Errorf("unescape(%q) succeeded", bad)
		}
	}
}

// TestConcurrentReaders shares one Path and one Filter between goroutines;
// run under -race it shows they are safe for concurrent use.
func TestConcurrentReaders(t *testing.T) {
	p, err := ParsePath(`emails[type eq "work" and primary eq true].value`)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFilter(`emails[type eq "work"] and userName pr`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			r := Resource{"userName": fmt.Sprint(g)}
			if err := r.SetPath(p, fmt.Sprint(g, "@x")); err != nil {
				done <- err
				return
			}
			for range 100 {
				if v, ok := r.GetPath(p); !ok || v != fmt.Sprint(g, "@x") || !f.Matches(r) {
					done <- fmt.Errorf("goroutine %d read %v, %v", g, v, ok)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestJSONKind: kinds carry their article, so messages read "is an array",
// not "is a array".
func TestJSONKind(t *testing.T) {
	for v, want := range map[any]string{"x": "a string", true: "a boolean", 1.5: "a number", 3: "a number", json.Number("2"): "a number"} {
		if got := JSONKind(v); got != want {
			t.Errorf("JSONKind(%#v) = %q, want %q", v, got, want)
		}
	}
	for _, c := range []struct {
		v    any
		want string
	}{{nil, "null"}, {map[string]any{}, "an object"}, {[]any{}, "an array"}, {[]string{"a"}, "an array"}, {struct{}{}, "a struct {}"}} {
		if got := JSONKind(c.v); got != c.want {
			t.Errorf("JSONKind(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
	_, err := ApplyPatch(Resource{"userName": "a"}, PatchOperation{Op: "replace", Value: []any{"x"}})
	if err == nil || !strings.Contains(err.Error(), "needs an object value, not an array") {
		t.Errorf("path-less replace with an array: %v", err)
	}
}
