package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/druvascim/druvascim/scim"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// realisticUser is an Entra user as the reader delivers it: Graph property
// names, diacritics, an object id, the reserved keys.
func realisticUser() Attributes {
	return Attributes{
		"objectId":          "8f2d7c1e-4b5a-4e0b-9d3c-2a1f6e7b8c9d",
		"userPrincipalName": "zoe.lefevre-muller@contoso.onmicrosoft.com",
		"displayName":       "Zoë Lefèvre-Müller",
		"givenName":         "Zoë",
		"surname":           "Lefèvre-Müller",
		"mail":              "Zoe.Lefevre-Muller@contoso.com",
		"mailNickname":      "zoe.lefevre-muller",
		"department":        "Finance & Controlling",
		"companyName":       "Contoso Österreich GmbH",
		"jobTitle":          "Controller \"Senior\"",
		"accountEnabled":    true,
		"IsSoftDeleted":     false,
		"scopeReason":       "",
		"proxyAddresses":    []any{"SMTP:Zoe.Lefevre-Muller@contoso.com", "smtp:zoe@contoso.onmicrosoft.com"},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// marshal encodes v as the Druva client sends JSON: indented here for
// review, no HTML escaping.
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDruvaDefaultGolden(t *testing.T) {
	set := DruvaDefault()
	m, err := set.Map(context.Background(), realisticUser())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "druva_default_create.json", marshal(t, m.Resource))
	golden(t, "druva_default_update.json", marshal(t, struct {
		Update []Assignment
		Keys   []MatchKey
	}{m.Update, m.Keys}))
	if len(m.Missing) != 0 {
		t.Errorf("Missing = %v", m.Missing)
	}
	// The create form is what the scim package reads back.
	if got := m.Resource.Email(); got != "Zoe.Lefevre-Muller@contoso.com" {
		t.Errorf("Email() = %q", got)
	}
	if a, ok := m.Resource.Active(); !ok || !a {
		t.Errorf("Active() = %v %v", a, ok)
	}
}

func TestDruvaDefaultSoftDeletedAndMissingEmail(t *testing.T) {
	u := realisticUser()
	u["IsSoftDeleted"] = true
	delete(u, "mail")
	delete(u, "department")
	m, err := DruvaDefault().Map(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`emails[type eq "work"].value`}, m.Missing); diff != "" {
		t.Errorf("Missing: %s", diff)
	}
	if _, ok := m.Resource["emails"]; ok {
		t.Error("NULL mail was sent")
	}
	if v := m.Resource[scim.EnterpriseUserSchema].(map[string]any); v["department"] != nil {
		t.Error("NULL department was sent")
	}
	if m.Resource["active"] != false {
		t.Errorf("active = %#v, want false (a JSON bool)", m.Resource["active"])
	}
	for _, a := range m.Update {
		if a.Path == `emails[type eq "work"].value` || strings.HasSuffix(a.Path, ":department") {
			t.Errorf("NULL value in Update: %+v", a)
		}
	}
}

func TestMapSemantics(t *testing.T) {
	set := mustSet(t, spec{
		Name: "test",
		Mappings: []Mapping{
			{Target: "externalId", Type: TypeDirect, Source: "employeeId", Match: 2},
			{Target: "userName", Type: TypeDirect, Source: "userPrincipalName", Match: 1},
			{Target: "title", Type: TypeDirect, Source: "jobTitle", Default: "Employee"},
			{Target: "nickName", Type: TypeNone, Default: "nick"},
			{Target: "userType", Type: TypeConstant, Source: "Member", Apply: ApplyOnCreate},
			{Target: "displayName", Type: TypeExpression, Source: `Redact(Join(" ", [givenName], [surname]))`},
			{Target: "name.givenName", Type: TypeExpression, Source: `NormalizeDiacritics([givenName])`},
			{Target: `emails[type eq "work"].value`, Type: TypeDirect, Source: "mail"},
			{Target: `emails[type eq "work"].primary`, Type: TypeConstant, Source: "True"},
			{Target: `emails[type eq "other"].value`, Type: TypeExpression, Source: `Item([proxyAddresses], 2)`},
			{Target: `roles[primary eq "True"].value`, Type: TypeExpression, Source: `SingleAppRoleAssignment([appRoleAssignments])`},
			{Target: "urn:ietf:params:scim:schemas:extension:Druva:2.0:User:profile", Type: TypeDirect, Source: "profile"},
			{Target: "active", Type: TypeDirect, Source: "enabled"},
		},
		Required: []string{"userName"},
	})
	attrs := Attributes{
		"employeeId":         "E42",
		"givenName":          "Łukasz",
		"surname":            "Żółw",
		"mail":               "l@x.com",
		"proxyAddresses":     []string{"a", "b"},
		"appRoleAssignments": []string{"Admin"},
		"profile":            "Default",
		"enabled":            "False",
	}
	m, err := set.Map(context.Background(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	want := scim.Resource{
		"schemas":     []any{scim.UserSchema},
		"externalId":  "E42",
		"title":       "Employee",
		"nickName":    "nick",
		"userType":    "Member",
		"displayName": "Łukasz Żółw",
		"name":        map[string]any{"givenName": "Lukasz"},
		"emails": []any{
			map[string]any{"type": "work", "value": "l@x.com", "primary": true},
			map[string]any{"type": "other", "value": "b"},
		},
		"roles":  []any{map[string]any{"primary": true, "value": "Admin"}},
		"active": false,
		"urn:ietf:params:scim:schemas:extension:Druva:2.0:User": map[string]any{"profile": "Default"},
	}
	if diff := cmp.Diff(want, m.Resource); diff != "" {
		t.Errorf("Resource (-want +got):\n%s", diff)
	}
	// Defaults and OnCreate mappings never reach Update; NULL never does.
	var paths []string
	for _, a := range m.Update {
		paths = append(paths, a.Path)
		if a.Path == "displayName" && !a.Redacted {
			t.Error("Redact lost in Update")
		}
	}
	if diff := cmp.Diff([]string{"displayName"}, m.Redacted); diff != "" {
		t.Errorf("Redacted paths of the create form (-want +got):\n%s", diff)
	}
	wantPaths := []string{"externalId", "displayName", "name.givenName", `emails[type eq "work"].value`, `emails[type eq "work"].primary`,
		`emails[type eq "other"].value`, `roles[primary eq "True"].value`, "urn:ietf:params:scim:schemas:extension:Druva:2.0:User:profile", "active"}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("Update paths (-want +got):\n%s", diff)
	}
	// Precedence order, only keys with values: userName is NULL here.
	if diff := cmp.Diff([]MatchKey{{Path: "externalId", Value: "E42"}}, m.Keys); diff != "" {
		t.Errorf("Keys: %s", diff)
	}
	if diff := cmp.Diff([]string{"userName"}, m.Missing); diff != "" {
		t.Errorf("Missing: %s", diff)
	}
	attrs["userPrincipalName"] = "u@x.com"
	m, err = set.Map(context.Background(), attrs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]MatchKey{{Path: "userName", Value: "u@x.com"}, {Path: "externalId", Value: "E42"}}, m.Keys); diff != "" {
		t.Errorf("Keys: %s", diff)
	}
	paths = set.matchPaths()
	if diff := cmp.Diff([]string{"userName", "externalId"}, paths); diff != "" {
		t.Error(diff)
	}
	src := set.SourceAttributes()
	if diff := cmp.Diff([]string{"employeeId", "userPrincipalName", "jobTitle", "givenName", "surname", "mail", "proxyAddresses", "appRoleAssignments", "profile", "enabled"}, src); diff != "" {
		t.Error(diff)
	}
}

func TestMapGroup(t *testing.T) {
	set := mustSet(t, spec{Object: "Group", Mappings: []Mapping{
		{Target: "displayName", Type: TypeDirect, Source: "displayName", Match: 1},
		{Target: "externalId", Type: TypeDirect, Source: "objectId"},
	}})
	m, err := set.Map(context.Background(), Attributes{"displayName": "Finance", "objectId": "g-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := scim.Resource{"schemas": []any{scim.GroupSchema}, "displayName": "Finance", "externalId": "g-1"}
	if diff := cmp.Diff(want, m.Resource); diff != "" {
		t.Error(diff)
	}
}

func TestMapErrors(t *testing.T) {
	set := mustSet(t, spec{Mappings: []Mapping{
		{Target: "userName", Type: TypeDirect, Source: "upn", Match: 1},
		{Target: "title", Type: TypeExpression, Source: `CDate([d])`},
	}})
	_, err := set.Map(context.Background(), Attributes{"upn": "a", "d": "garbage"})
	var me *MappingError
	if !errors.As(err, &me) || me.Target != "title" || !errors.Is(err, ErrBadArgument) {
		t.Errorf("error %v", err)
	}
	_, err = set.Map(context.Background(), Attributes{"upn": struct{}{}})
	if !errors.Is(err, ErrBadAttribute) {
		t.Errorf("error %v", err)
	}
	var nilSet *Set
	if _, err := nilSet.Map(context.Background(), nil); err == nil {
		t.Error("nil set mapped")
	}
	if _, err := nilSet.InScope(nil); err == nil || nilSet.Validate() == nil {
		t.Error("nil set in scope or valid")
	}
	if _, err := (spec{Mappings: []Mapping{{Target: "userName", Type: "Bogus"}}}).build(); !errors.Is(err, ErrInvalidSet) {
		t.Errorf("invalid set built: %v", err)
	}
	var zero Set
	if _, err := zero.Map(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "not built") {
		t.Errorf("zero set mapped: %v", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	v := "x"
	_, err := spec{
		Mappings: []Mapping{
			{Target: "userName", Type: TypeExpression, Source: `Joim(",", [a])`},
			{Target: "name.nickname", Type: TypeDirect, Source: "a"},
			{Target: "emails[type eq", Type: TypeDirect, Source: "a"},
			{Target: "displayName", Type: TypeDirect, Source: "a"},
			{Target: "DisplayName", Type: TypeDirect, Source: "b"},
			{Target: "title", Type: TypeDirect, Source: "c", Match: 1},
			{Target: "id", Type: TypeDirect, Source: "d"},
			{Target: "foo", Type: TypeDirect, Source: "d"},
			{Target: "nickName", Type: TypeDirect, Source: "[d]"},
			{Target: "locale", Type: TypeNone, Source: "x"},
			{Target: "timezone", Type: TypeConstant, Source: "UTC", Apply: "Sometimes"},
			{Target: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize", Type: TypeDirect, Source: "e"},
		},
		Scope:    ScopingFilter{{{Attribute: "dept", Operator: "EQUAL", Value: &v}, {Attribute: "n", Operator: opGreaterThan, Value: &v}}},
		Required: []string{"externalId"},
	}.build()
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidSet) {
		t.Fatalf("error %v", err)
	}
	wantFragments := []string{
		`mapping 1 (userName) source: line 1, column 1: unknown function "Joim"`,
		`mapping 2 (name.nickname) target: name has no sub-attribute "nickname"`,
		`mapping 3 (emails[type eq) target:`,
		`mapping 5 (DisplayName) target: mapping 4 already maps this target`,
		`mapping 6 (title) match: title cannot be a matching attribute`,
		`mapping 7 (id) target: id is set by the service`,
		`mapping 8 (foo) target: the User schema has no attribute "foo"`,
		`mapping 9 (nickName) source: "[d]" is not an attribute name`,
		`mapping 10 (locale) source: a None mapping has no source`,
		`mapping 11 (timezone) apply: unknown value "Sometimes"`,
		`mapping 12 (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize) target: the enterprise extension has no attribute "shoeSize"`,
		`set required: "externalId" is required but no mapping writes it`,
		`set scope[0][0]: unknown operator "EQUAL" (did you mean "EQUALS"?)`,
		`set scope[0][1]: operator Greater_Than compares integers; "x" is not one`,
	}
	msg := err.Error()
	for _, f := range wantFragments {
		if !strings.Contains(msg, f) {
			t.Errorf("missing problem %q in:\n%s", f, msg)
		}
	}
	if len(ve.Problems) != len(wantFragments) {
		t.Errorf("%d problems, want %d:\n%s", len(ve.Problems), len(wantFragments), msg)
	}
	_, err = spec{Mappings: []Mapping{{Target: "userName", Type: TypeDirect, Source: "upn"}}}.build()
	if err == nil || !strings.Contains(err.Error(), "no matching attribute") {
		t.Errorf("no matching attribute: %v", err)
	}
	_, err = spec{Mappings: []Mapping{
		{Target: "userName", Type: TypeExpression, Source: `SelectUniqueValue([a], [b])`, Match: 1},
	}}.build()
	if err == nil || !strings.Contains(err.Error(), "cannot be a matching attribute") || !strings.Contains(err.Error(), "must apply OnCreate") {
		t.Errorf("SelectUniqueValue rules: %v", err)
	}
	_, err = spec{Mappings: []Mapping{
		{Target: "userName", Type: TypeDirect, Source: "upn", Match: 1},
		{Target: "externalId", Type: TypeDirect, Source: "x", Match: 1},
	}}.build()
	if err == nil || !strings.Contains(err.Error(), "precedence 1 is also used") {
		t.Errorf("duplicate precedence: %v", err)
	}
	if err := DruvaDefault().Validate(); err != nil {
		t.Errorf("DruvaDefault invalid: %v", err)
	}
}

func TestInScope(t *testing.T) {
	sales := "Sales"
	base := DruvaDefault()
	if in, err := base.InScope(Attributes{}); err != nil || !in {
		t.Fatalf("no scope: %v %v", in, err)
	}
	set, err := base.WithOptions(WithScope(ScopingFilter{{{Attribute: "department", Operator: opEquals, Value: &sales}}}))
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := base.InScope(Attributes{}); !in {
		t.Fatal("deriving a set changed the original")
	}
	in, err := set.InScope(Attributes{"department": "Sales"})
	if err != nil || !in {
		t.Errorf("Sales: %v %v", in, err)
	}
	in, err = set.InScope(Attributes{"department": "sales"})
	if err != nil || in {
		t.Errorf("sales: %v %v", in, err)
	}
}

// TestCreateFormMatchesScimSet checks that Map's direct writer builds the
// same resource as writing every value with scim.Resource.Set.
func TestCreateFormMatchesScimSet(t *testing.T) {
	for _, set := range []*Set{DruvaDefault(), mustSet(t, spec{
		Mappings: []Mapping{
			{Target: "userName", Type: TypeDirect, Source: "userPrincipalName", Match: 1},
			{Target: `emails[type eq "work"].value`, Type: TypeDirect, Source: "mail"},
			{Target: `emails[type eq "work"].primary`, Type: TypeConstant, Source: "True"},
			{Target: `emails[type eq "other"].value`, Type: TypeDirect, Source: "otherMail"},
			{Target: `phoneNumbers[type eq "mobile"].value`, Type: TypeDirect, Source: "mobile"},
			{Target: `addresses[type eq "work"].locality`, Type: TypeDirect, Source: "city"},
			{Target: `addresses[type eq "work"].country`, Type: TypeDirect, Source: "country"},
			{Target: "name.givenName", Type: TypeDirect, Source: "givenName"},
			{Target: scim.EnterpriseUserSchema + ":manager.value", Type: TypeDirect, Source: "manager"},
			{Target: scim.EnterpriseUserSchema + ":employeeNumber", Type: TypeDirect, Source: "employeeId"},
		},
	})} {
		attrs := realisticUser()
		attrs["otherMail"] = "z@example.org"
		attrs["mobile"] = "+43 1 234"
		attrs["city"] = "Wien"
		attrs["country"] = "AT"
		attrs["manager"] = "m-1"
		attrs["employeeId"] = "E-7"
		m, err := set.Map(context.Background(), attrs)
		if err != nil {
			t.Fatal(err)
		}
		want := scim.Resource{}
		for _, a := range m.Update {
			if err := want.Set(a.Path, a.Value); err != nil {
				t.Fatal(err)
			}
		}
		want["schemas"] = m.Resource["schemas"]
		if diff := cmp.Diff(want, m.Resource); diff != "" {
			t.Errorf("%s (-scim.Set +Map):\n%s", set.Name(), diff)
		}
	}
}

func TestMapPassesOptions(t *testing.T) {
	set := mustSet(t, spec{Mappings: []Mapping{
		{Target: "userName", Type: TypeExpression, Source: `Join("@", [nick], DefaultDomain())`, Match: 1},
		{Target: "externalId", Type: TypeExpression, Source: `SelectUniqueValue(Join(".", [nick], "1"), Join(".", [nick], "2"))`, Apply: ApplyOnCreate},
	}})
	taken := WithUniqueCheck(func(_ context.Context, v string) (bool, error) { return v == "zoe.1", nil })
	m, err := set.Map(context.Background(), Attributes{"nick": "zoe"}, WithDefaultDomain("contoso.com"), taken)
	if err != nil {
		t.Fatal(err)
	}
	if m.Resource["userName"] != "zoe@contoso.com" || m.Resource["externalId"] != "zoe.2" {
		t.Errorf("Resource %v", m.Resource)
	}
	if len(m.Update) != 1 || m.Update[0].Path != "userName" {
		t.Errorf("Update %v", m.Update)
	}
	_, err = set.Map(context.Background(), Attributes{"nick": "zoe"}, taken)
	if !errors.Is(err, ErrNoDefaultDomain) {
		t.Errorf("without a domain: %v", err)
	}
	if _, err := set.Map(context.Background(), nil, WithClock(nil)); err == nil {
		t.Error("WithClock(nil) accepted")
	}
}

// spec describes a set for tests that build many.
type spec struct {
	Name, Object string
	Mappings     []Mapping
	Scope        ScopingFilter
	Required     []string
}

func (sp spec) build() (*Set, error) {
	return NewSet(sp.Mappings, WithName(sp.Name), WithObject(sp.Object), WithScope(sp.Scope), WithRequired(sp.Required...))
}

func mustSet(t testing.TB, sp spec) *Set {
	t.Helper()
	s, err := sp.build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// MatchKeys gives exactly the keys Map gives, in precedence order, with
// or without values, from direct, constant and expression mappings, and
// Map's error when a matching mapping fails.
func TestMatchKeysAreMapKeys(t *testing.T) {
	set, err := NewSet([]Mapping{
		{Target: "userName", Type: TypeExpression, Source: `Join("@", [mailNickname], "contoso.example")`, Match: 2},
		{Target: "externalId", Type: TypeDirect, Source: "objectId", Match: 1},
		{Target: "emails[type eq \"work\"].value", Type: TypeDirect, Source: "mail", Match: 3},
		{Target: "displayName", Type: TypeDirect, Source: "displayName", Default: "someone"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, attrs := range []Attributes{
		realisticUser(),
		{"mailNickname": "a"},
		{"objectId": "", "mail": "m@example.com"},
		{},
	} {
		m, err := set.Map(t.Context(), attrs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := set.MatchKeys(t.Context(), attrs)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(m.Keys, got); d != "" {
			t.Errorf("%v: MatchKeys differs from Map's keys (-Map +MatchKeys):\n%s", attrs, d)
		}
	}
	for _, s := range []*Set{DruvaDefault(), set} {
		m, err := s.Map(t.Context(), realisticUser())
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.MatchKeys(t.Context(), realisticUser())
		if err != nil || len(got) == 0 || !cmp.Equal(got, m.Keys) {
			t.Errorf("MatchKeys = %v, %v; want %v", got, err, m.Keys)
		}
	}
	bad := Attributes{"objectId": map[string]any{"not": "a value"}}
	_, mapErr := set.Map(t.Context(), bad)
	_, keysErr := set.MatchKeys(t.Context(), bad)
	if mapErr == nil || keysErr == nil || mapErr.Error() != keysErr.Error() {
		t.Errorf("a failing matching mapping: Map %v, MatchKeys %v; want the same error", mapErr, keysErr)
	}
}
