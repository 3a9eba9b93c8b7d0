package mapping

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/druvascim/druvascim/scim"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

const handWritten = `# Druva users from Entra
name: Druva users
object: User
required: [userName, displayName, 'emails[type eq "work"].value']
mappings:
  - target: userName
    direct: userPrincipalName
    match: 1
  - target: active
    expression: Not([IsSoftDeleted])
  - target: displayName
    expression: 'Join(" ", [givenName], [surname])'
  - target: emails[type eq "work"].value
    direct: mail
    match: 2
  - target: title
    constant: Employee
    apply: OnCreate
  - target: preferredLanguage
    default: en-US
scope:
  - - attribute: department
      operator: EQUALS
      value: Finance
    - attribute: companyName
      operator: IS NOT NULL
`

// setView is what a Set says about itself, for comparing sets.
type setView struct {
	Name, Object string
	Required     []string
	Mappings     []Mapping
	Scope        ScopingFilter
}

func viewOf(s *Set) setView {
	return setView{Name: s.Name(), Object: s.Object(), Required: s.Required(), Mappings: s.Mappings(), Scope: s.Scope()}
}

func TestParseSetYAMLAndRoundTrip(t *testing.T) {
	s, err := ParseSet([]byte(handWritten))
	if err != nil {
		t.Fatal(err)
	}
	fin := "Finance"
	want := setView{
		Name:     "Druva users",
		Object:   "User",
		Required: []string{"userName", "displayName", `emails[type eq "work"].value`},
		Mappings: []Mapping{
			{Target: "userName", Type: TypeDirect, Source: "userPrincipalName", Match: 1},
			{Target: "active", Type: TypeExpression, Source: "Not([IsSoftDeleted])"},
			{Target: "displayName", Type: TypeExpression, Source: `Join(" ", [givenName], [surname])`},
			{Target: `emails[type eq "work"].value`, Type: TypeDirect, Source: "mail", Match: 2},
			{Target: "title", Type: TypeConstant, Source: "Employee", Apply: ApplyOnCreate},
			{Target: "preferredLanguage", Type: TypeNone, Default: "en-US"},
		},
		Scope: ScopingFilter{{
			{Attribute: "department", Operator: opEquals, Value: &fin},
			{Attribute: "companyName", Operator: opIsNotNull},
		}},
	}
	if diff := cmp.Diff(want, viewOf(s)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	dir := t.TempDir()
	for _, name := range []string{"set.yaml", "set.json"} {
		path := filepath.Join(dir, name)
		if err := s.Save(path); err != nil {
			t.Fatal(err)
		}
		back, err := LoadSet(path)
		if err != nil {
			data, _ := os.ReadFile(path)
			t.Fatalf("%s: %v\n%s", name, err, data)
		}
		if diff := cmp.Diff(want, viewOf(back)); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, diff)
		}
	}
	// The default set saves and loads unchanged too.
	path := filepath.Join(dir, "default.yaml")
	if err := DruvaDefault().Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadSet(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(viewOf(DruvaDefault()), viewOf(back)); diff != "" {
		t.Errorf("default round trip:\n%s", diff)
	}
}

// A set embedded in a JSON or YAML document encodes in the file format,
// and the encoded form parses back to the same set.
func TestSetEmbedsInJSONAndYAML(t *testing.T) {
	type config struct {
		Users *Set `json:"users" yaml:"users"`
	}
	data, err := json.Marshal(config{Users: DruvaDefault()})
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Users json.RawMessage `json:"users"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	back, err := ParseSet(raw.Users)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if diff := cmp.Diff(viewOf(DruvaDefault()), viewOf(back)); diff != "" {
		t.Error(diff)
	}
	y, err := yaml.Marshal(config{Users: DruvaDefault()})
	if err != nil {
		t.Fatal(err)
	}
	var rawY struct {
		Users yaml.Node `yaml:"users"`
	}
	if err := yaml.Unmarshal(y, &rawY); err != nil {
		t.Fatal(err)
	}
	inner, err := yaml.Marshal(&rawY.Users)
	if err != nil {
		t.Fatal(err)
	}
	backY, err := ParseSet(inner)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	if diff := cmp.Diff(viewOf(DruvaDefault()), viewOf(backY)); diff != "" {
		t.Error(diff)
	}
}

func TestParseSetErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       error
		contains   string
	}{
		{"unknown field", "mappings:\n  - target: userName\n    direkt: upn\n", ErrConfig, "direkt"},
		{"yaml syntax", "mappings: [\n", ErrConfig, "line"},
		{"json syntax", `{"mappings": [}`, ErrConfig, "line 1, column"},
		{"json unknown", `{"mappings": [{"target": "userName", "direct": "upn", "match": 1}], "extra": 1}`, ErrConfig, "extra"},
		{"json type", "{\n \"mappings\": [{\"target\": \"userName\", \"match\": \"one\"}]}", ErrConfig, "line 2"},
		{"empty", "", ErrConfig, "empty"},
		{"no mappings", "name: x\n", ErrConfig, "no mappings"},
		{"two sources", "mappings:\n  - target: userName\n    direct: a\n    constant: b\n    match: 1\n", ErrInvalidSet, "only one of"},
		{"invalid content", "mappings:\n  - target: userName\n    expression: 'Lower([a])'\n", ErrInvalidSet, `unknown function "Lower"`},
		{"two documents", "mappings:\n  - target: userName\n    direct: a\n    match: 1\n---\nname: b\n", ErrConfig, "more than one"},
	}
	for _, tt := range tests {
		_, err := ParseSet([]byte(tt.data))
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.contains) {
			t.Errorf("%s: error %v, want %v containing %q", tt.name, err, tt.want, tt.contains)
		}
	}
	if _, err := LoadSet(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestImportEntraSchema(t *testing.T) {
	data, err := os.ReadFile("testdata/entra_schema_druva.json")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := ImportEntraSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 1 {
		t.Fatalf("%d sets, want 1 (the group mapping is disabled)", len(sets))
	}
	s := sets[0]
	fin := "Finance"
	re := `^ext\..*@contoso\.com$`
	items := "Contractor,Vendor"
	want := setView{
		Name:   "Provision Azure Active Directory Users",
		Object: "User",
		Mappings: []Mapping{
			{Target: "userName", Type: TypeDirect, Source: "userPrincipalName", Apply: ApplyAlways, Match: 1},
			{Target: "active", Type: TypeExpression, Source: "Not([IsSoftDeleted])", Apply: ApplyAlways},
			{Target: "displayName", Type: TypeDirect, Source: "displayName", Apply: ApplyAlways},
			{Target: `emails[type eq "work"].value`, Type: TypeDirect, Source: "mail", Apply: ApplyAlways, Match: 2},
			{Target: "name.givenName", Type: TypeDirect, Source: "givenName", Apply: ApplyAlways},
			{Target: "name.familyName", Type: TypeDirect, Source: "surname", Apply: ApplyAlways},
			{Target: "externalId", Type: TypeDirect, Source: "mailNickname", Apply: ApplyAlways},
			{Target: scim.EnterpriseUserSchema + ":department", Type: TypeDirect, Source: "department", Apply: ApplyAlways, Default: "Unassigned"},
			{Target: scim.EnterpriseUserSchema + ":organization", Type: TypeExpression, Source: `Switch([companyName], [companyName], "Contoso Ltd", "Contoso", "", "Contoso")`, Apply: ApplyAlways},
			{Target: "title", Type: TypeConstant, Source: "Employee", Apply: ApplyOnCreate},
			{Target: `phoneNumbers[type eq "mobile"].value`, Type: TypeExpression, Source: `Replace([mobile], , "[()\\s-]+", , "", , )`, Apply: ApplyAlways},
			{Target: "preferredLanguage", Type: TypeNone, Apply: ApplyOnCreate, Default: "en-US"},
		},
		Scope: ScopingFilter{
			{{Attribute: "department", Operator: opEquals, Value: &fin}, {Attribute: "companyName", Operator: opIsNotNull}},
			{{Attribute: "userPrincipalName", Operator: opRegexMatch, Value: &re}, {Attribute: "employeeType", Operator: opIn, Value: &items}},
		},
	}
	if diff := cmp.Diff(want, viewOf(s)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	// The imported set works: scope, map, defaults on create.
	u := realisticUser()
	u["department"] = "Finance"
	u["mobile"] = "+1 (999) 888-7777"
	in, err := s.InScope(u)
	if err != nil || !in {
		t.Errorf("InScope = %v, %v", in, err)
	}
	u["companyName"] = ""
	if in, _ := s.InScope(u); in {
		t.Error("empty companyName passed IS NOT NULL")
	}
	in, err = s.InScope(Attributes{"userPrincipalName": "ext.bob@contoso.com", "employeeType": "Vendor"})
	if err != nil || !in {
		t.Errorf("contractor InScope = %v, %v", in, err)
	}
	delete(u, "department")
	m, err := s.Map(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	ext := m.Resource[scim.EnterpriseUserSchema].(map[string]any)
	if ext["department"] != "Unassigned" || ext["organization"] != "Contoso" {
		t.Errorf("enterprise extension %v", ext)
	}
	if m.Resource["preferredLanguage"] != "en-US" || m.Resource["title"] != "Employee" {
		t.Errorf("create-only values missing: %v", m.Resource)
	}
	if got, _ := m.Resource.Get(`phoneNumbers[type eq "mobile"].value`); got != "+19998887777" {
		t.Errorf("mobile = %v", got)
	}
	for _, a := range m.Update {
		switch a.Path {
		case "title", "preferredLanguage", scim.EnterpriseUserSchema + ":department":
			t.Errorf("%s in Update", a.Path)
		}
	}
	if diff := cmp.Diff([]MatchKey{{"userName", "zoe.lefevre-muller@contoso.onmicrosoft.com"}, {`emails[type eq "work"].value`, "Zoe.Lefevre-Muller@contoso.com"}}, m.Keys); diff != "" {
		t.Error(diff)
	}
}

func TestImportEntraSchemaProblems(t *testing.T) {
	bad := `{"synchronizationRules":[{"objectMappings":[
	  {"name":"Users","enabled":true,"sourceObjectName":"User","attributeMappings":[
	    {"targetAttributeName":"userName","flowType":"Always","matchingPriority":0,"source":{"type":"Function","expression":"Lower([upn])"}},
	    {"targetAttributeName":"nickNames","flowType":"MultiValueAddOnly","source":{"type":"Attribute","name":"x"}}
	  ],"scope":{"groups":[{"clauses":[{"operatorName":"IS SOMETHING","sourceOperandName":"a","targetOperand":{"values":[]}},
	    {"operatorName":"EQUALS","sourceOperandName":"b","targetOperand":{"values":["1","2"]}}]}]}},
	  {"name":"Groups","enabled":true,"sourceObjectName":"Group","attributeMappings":[
	    {"targetAttributeName":"displayName","matchingPriority":1,"source":{"type":"Attribute","name":"displayName"}},
	    {"targetAttributeName":"members","source":{"type":"Attribute","name":"members"}},
	    {"targetAttributeName":"owner","source":{"type":"Attribute","name":"owner"}}
	  ]}
	]}]}`
	_, err := ImportEntraSchema([]byte(bad))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v", err)
	}
	msg := err.Error()
	for _, f := range []string{
		`"Users": mapping 1 (userName) source: line 1, column 1: unknown function "Lower"`,
		`"Users": mapping 2 (nickNames) apply: flowType "MultiValueAddOnly" is not supported`,
		`"Users": mapping 2 (nickNames) target: the User schema has no attribute "nickNames"`,
		`"Users": set match: no matching attribute`,
		`"Users": set scope[0][0]: unknown operator "IS SOMETHING"`,
		`"Users": set scope[0][1]: operator EQUALS takes one value, the schema gives 2`,
		`"Groups": mapping 3 (owner) target: the Group schema has no attribute "owner"`,
	} {
		if !strings.Contains(msg, f) {
			t.Errorf("missing %q in:\n%s", f, msg)
		}
	}
	if len(ve.Problems) != 7 {
		t.Errorf("%d problems:\n%s", len(ve.Problems), msg)
	}
	for _, in := range []string{`{`, `{"synchronizationRules":[]}`, `[]`, `{"synchronizationRules":[{"objectMappings":[{"enabled":false}]}]}`} {
		if _, err := ImportEntraSchema([]byte(in)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", in, err)
		}
	}
}
