package mapping_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/druvascim/druvascim/mapping"
)

func ExampleParseExpression() {
	e, err := mapping.ParseExpression(`Join(".", NormalizeDiacritics([givenName]), [surname])`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Attributes())

	_, err = mapping.ParseExpression(`Join(".", normalizeDiacritics([givenName]), [surname])`)
	fmt.Println(err)
	// Output:
	// [givenName surname]
	// mapping: expression: line 1, column 11: unknown function "normalizeDiacritics" (did you mean NormalizeDiacritics? function names are case-sensitive)
}

func ExampleExpression_Evaluate() {
	e, err := mapping.ParseExpression(`ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".", [givenName], [surname]))), DefaultDomain()))`)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := e.Evaluate(context.Background(),
		mapping.Attributes{"givenName": "Zoë", "surname": "Lefèvre Müller"},
		mapping.WithDefaultDomain("contoso.com"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v)

	active, _ := mapping.ParseExpression(`Not([IsSoftDeleted])`)
	v, _ = active.Evaluate(context.Background(), mapping.Attributes{"IsSoftDeleted": false})
	fmt.Println(v.Kind(), v)
	// Output:
	// zoe.lefevremuller@contoso.com
	// Boolean True
}

func ExampleScopingFilter_Matches() {
	filter := mapping.ScopingFilter{
		{mapping.Equals("department", "Finance"), mapping.IsNotNull("companyName")}, // AND
		{mapping.In("department", "Sales", "Marketing")},                            // OR
	}
	in, _ := filter.Matches(mapping.Attributes{"department": "Finance", "companyName": "Contoso"})
	fmt.Println(in)
	in, _ = filter.Matches(mapping.Attributes{"department": "Finance"})
	fmt.Println(in)
	in, _ = filter.Matches(mapping.Attributes{"department": "Sales"})
	fmt.Println(in)
	// Output:
	// true
	// false
	// true
}

func ExampleSet_Map() {
	set := mapping.DruvaDefault()
	m, err := set.Map(context.Background(), mapping.Attributes{
		"userPrincipalName": "zoe@contoso.com",
		"displayName":       "Zoë Müller",
		"givenName":         "Zoë",
		"surname":           "Müller",
		"mail":              "zoe@contoso.com",
		"IsSoftDeleted":     false,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := json.Marshal(m.Resource)
	fmt.Println(string(body))
	fmt.Println(m.Keys, m.Missing)
	// Output:
	// {"active":true,"displayName":"Zoë Müller","emails":[{"type":"work","value":"zoe@contoso.com"}],"name":{"familyName":"Müller","givenName":"Zoë"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zoe@contoso.com"}
	// [{userName zoe@contoso.com}] []
}

func ExampleParseSet() {
	set, err := mapping.ParseSet([]byte(`
name: Druva users
required: [userName, 'emails[type eq "work"].value']
mappings:
  - target: userName
    direct: userPrincipalName
    match: 1
  - target: emails[type eq "work"].value
    expression: Coalesce([mail], [otherMail])
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := set.Map(context.Background(), mapping.Attributes{"userPrincipalName": "bob@contoso.com"})
	fmt.Println(m.Missing)

	_, err = mapping.ParseSet([]byte("mappings:\n  - target: usrName\n    direct: upn\n"))
	fmt.Fprintln(os.Stdout, err)
	// Output:
	// [emails[type eq "work"].value]
	// mapping: invalid mapping set (2 problems):
	//   mapping 1 (usrName) target: the User schema has no attribute "usrName" (custom attributes go in an extension: urn:ietf:params:scim:schemas:extension:<Name>:2.0:User:usrName)
	//   set match: no matching attribute: at least one mapping needs a matching precedence
}

func ExampleNewSet() {
	set, err := mapping.NewSet([]mapping.Mapping{
		{Target: "userName", Type: mapping.TypeDirect, Source: "userPrincipalName", Match: 1},
		{Target: "displayName", Type: mapping.TypeDirect, Source: "displayName"},
		{Target: `emails[type eq "work"].value`, Type: mapping.TypeDirect, Source: "mail"},
		{Target: "title", Type: mapping.TypeDirect, Source: "jobTitle", Default: "Staff"},
	},
		mapping.WithName("Sales and Finance"),
		mapping.WithRequired("userName", "displayName", `emails[type eq "work"].value`),
		mapping.WithScope(mapping.ScopingFilter{{mapping.In("department", "Sales", "Finance")}}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.SourceAttributes())
	// Output:
	// [userPrincipalName displayName mail jobTitle department]
}

func ExampleSet_With() {
	set, err := mapping.DruvaDefault().With(
		mapping.Mapping{Target: "jobTitle", Type: mapping.TypeDirect, Source: "jobTitle"})
	fmt.Println(set == nil)
	fmt.Println(err)
	set, err = mapping.DruvaDefault().With(
		mapping.Mapping{Target: "title", Type: mapping.TypeDirect, Source: "jobTitle"})
	fmt.Println(len(set.Mappings()), err)
	// Output:
	// true
	// mapping: invalid mapping set (1 problem):
	//   mapping 10 (jobTitle) target: the User schema has no attribute "jobTitle"; did you mean title?
	// 10 <nil>
}
