package scim

import (
	"encoding/json"
	"testing"
)

func benchResource(b *testing.B) Resource {
	b.Helper()
	var r Resource
	if err := json.Unmarshal([]byte(bjensen), &r); err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkGet measures Get with string paths: the planner's hot loop.
func BenchmarkGet(b *testing.B) {
	r := benchResource(b)
	for _, path := range []string{
		"userName",       // stored as "UserName": the case-insensitive fallback
		"displayName",    // exact hit
		"name.givenName", // sub-attribute
		"title",          // absent
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
		`emails[type eq "work"].value`, // parses the filter every call
	} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Get(path)
			}
		})
	}
}

// BenchmarkGetPath measures Get with a parsed Path, reused across calls.
func BenchmarkGetPath(b *testing.B) {
	r := benchResource(b)
	for _, s := range []string{"displayName", `emails[type eq "work"].value`} {
		p, err := ParsePath(s)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.GetPath(p)
			}
		})
	}
}

// BenchmarkSetUser builds one user the way the mapper does: eight Set
// calls on a fresh resource (string paths without filters, plus the work
// email through a parsed Path).
func BenchmarkSetUser(b *testing.B) {
	email, err := ParsePath(`emails[type eq "work"].value`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := make(Resource, 8)
		_ = r.Set("userName", "bjensen@example.com")
		_ = r.Set("displayName", "Babs Jensen")
		_ = r.Set("name.givenName", "Barbara")
		_ = r.Set("name.familyName", "Jensen")
		_ = r.Set("active", true)
		_ = r.Set("externalId", "bjensen")
		_ = r.Set("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Finance")
		_ = r.SetPath(email, "bjensen@example.com")
	}
}

// BenchmarkSet measures single Set calls on an existing resource.
func BenchmarkSet(b *testing.B) {
	r := benchResource(b)
	for _, path := range []string{"displayName", "name.givenName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = r.Set(path, "x")
			}
		})
	}
}

func BenchmarkApplyPatch(b *testing.B) {
	r := benchResource(b)
	ops := []PatchOperation{
		{Op: "Replace", Path: `emails[type eq "work"].value`, Value: "new@example.com"},
		{Op: "Replace", Path: "name.familyName", Value: "New"},
		{Op: "Replace", Path: "active", Value: "False"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyPatch(r, ops...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilterMatches(b *testing.B) {
	r := benchResource(b)
	f, err := ParseFilter(`userName eq "BJENSEN@example.com" and emails[type eq "work" and value ew "@example.com"]`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !f.Matches(r) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkSetPathUser is BenchmarkSetUser with every path parsed once, as
// a mapper holding parsed mappings would do.
func BenchmarkSetPathUser(b *testing.B) {
	var paths []Path
	for _, s := range []string{"userName", "displayName", "name.givenName", "name.familyName", "active", "externalId",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", `emails[type eq "work"].value`} {
		p, err := ParsePath(s)
		if err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	values := []any{"bjensen@example.com", "Babs Jensen", "Barbara", "Jensen", true, "bjensen", "Finance", "bjensen@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		r := make(Resource, 8)
		for i, p := range paths {
			_ = r.SetPath(p, values[i])
		}
	}
}
