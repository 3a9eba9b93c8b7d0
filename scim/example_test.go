package scim_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/druvascim/druvascim/scim"
)

func ExampleResource_Get() {
	var r scim.Resource
	_ = json.Unmarshal([]byte(`{
		"userName": "bjensen@example.com",
		"name": {"givenName": "Barbara"},
		"emails": [{"type": "home", "value": "babs@home.example"}, {"type": "work", "value": "bjensen@example.com"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Finance"}
	}`), &r)
	for _, path := range []string{
		"USERNAME",
		"name.givenName",
		`emails[type eq "work"].value`,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
		"title",
	} {
		v, ok := r.Get(path)
		fmt.Println(path, "=>", v, ok)
	}
	// Output:
	// USERNAME => bjensen@example.com true
	// name.givenName => Barbara true
	// emails[type eq "work"].value => bjensen@example.com true
	// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department => Finance true
	// title => <nil> false
}

func ExampleResource_Set() {
	r := scim.Resource{"schemas": []any{scim.UserSchema}}
	_ = r.Set("userName", "bjensen@example.com")
	_ = r.Set("name.givenName", "Barbara")
	_ = r.Set(`emails[type eq "work"].value`, "bjensen@example.com")
	_ = r.Set("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Finance")
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	fmt.Println(r.Email())
	// Output:
	// {"emails":[{"type":"work","value":"bjensen@example.com"}],"name":{"givenName":"Barbara"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Finance"},"userName":"bjensen@example.com"}
	// bjensen@example.com
}

func ExampleApplyPatch() {
	user := scim.Resource{
		"userName": "bjensen@example.com",
		"active":   true,
		"emails":   []any{map[string]any{"type": "work", "value": "old@example.com", "primary": true}},
	}
	// A PATCH body as Entra sends it: capitalised ops and "False" as a string.
	req, err := scim.ParsePatchRequest([]byte(`{
		"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations": [
			{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
			{"op": "Replace", "path": "active", "value": "False"},
			{"op": "replace", "value": {"name.givenName": "Barbara", "displayName": "Babs Jensen"}}
		]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	patched, err := scim.ApplyPatch(user, req.Operations...)
	if err != nil {
		fmt.Println(err)
		return
	}
	active, _ := patched.Active()
	given, _ := patched.Get("name.givenName")
	fmt.Println(patched.Email(), active, given, patched.DisplayName())
	fmt.Println(user.Email()) // the input is not modified

	_, err = scim.ApplyPatch(user, scim.PatchOperation{Op: "remove"})
	var se *scim.Error
	fmt.Println(errors.As(err, &se), se.Status, se.ScimType)
	// Output:
	// new@example.com false Barbara Babs Jensen
	// old@example.com
	// true 400 noTarget
}

func ExampleEqualityFilter() {
	f, _ := scim.EqualityFilter("userName", `x" or userName pr or "`)
	fmt.Println(f)
	f, _ = scim.EqualityFilter(`emails[type eq "work"].value`, "bjensen@example.com")
	fmt.Println(f)
	// Output:
	// userName eq "x\" or userName pr or \""
	// emails[type eq "work" and value eq "bjensen@example.com"]
}

func ExampleFilter_Matches() {
	f, err := scim.ParseFilter(`userName sw "BJ" and emails[type eq "work" and value ew "@example.com"]`)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := scim.Resource{
		"userName": "bjensen",
		"emails":   []any{map[string]any{"type": "work", "value": "bjensen@example.com"}},
	}
	fmt.Println(f.Matches(r))
	_, err = scim.ParseFilter(`userName eq "x" and`)
	fmt.Println(err)
	// Output:
	// true
	// scim: invalid filter "userName eq \"x\" and": syntax error at " and": a valid filter ends before it (at offset 15)
}

func ExampleError() {
	var e scim.Error
	_ = json.Unmarshal([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"Resource 2819c223 not found"}`), &e)
	fmt.Println(e.Status, e.Error())
	out, _ := json.Marshal(scim.NewError(409, scim.ScimTypeUniqueness, "userName is taken"))
	fmt.Println(string(out))
	// Output:
	// 404 scim: 404 Not Found: Resource 2819c223 not found
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName is taken"}
}

func ExampleParsePath() {
	// Parse once, use for every resource.
	p, err := scim.ParsePath(`emails[type eq "work"].value`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Attribute(), p.Filter(), p.SubAttribute())
	users := []scim.Resource{{}, {"emails": []any{map[string]any{"type": "work", "value": "old@example.com"}}}}
	for i, u := range users {
		_ = u.SetPath(p, fmt.Sprintf("user%d@example.com", i))
		v, _ := u.GetPath(p)
		fmt.Println(v)
	}
	_, err = scim.ParsePath(`emails[type eq "work"`)
	fmt.Println(err)
	// Output:
	// emails type eq "work" value
	// user0@example.com
	// user1@example.com
	// scim: invalid path "emails[type eq \"work\"": "[" has no matching "]" (at offset 6)
}
