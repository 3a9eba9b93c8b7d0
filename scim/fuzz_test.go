package scim

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// FuzzParsePath checks that ParsePath never panics, that errors are
// SyntaxErrors with an offset inside the input, that accepted paths render
// to a canonical form that parses back to itself, that the allocation-free
// path parser agrees with github.com/scim2/filter-parser/v2, and that Get,
// Set and Remove on any accepted path never panic.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"userName", "name.givenName", `emails[type eq "work"].value`, `members[value eq "x"]`,
		EnterpriseUserSchema, EnterpriseUserSchema + ":manager.value", UserSchema + ":userName",
		`a[b eq 1 and (c pr or not (d sw "x"))].e`, `emails[value eq "a\"]b"]`, "a.b.c", "urn:a::b", "$ref",
		`x[y eq "\u00E9"]`, `x[ y  EQ  "z" ]`, `x[y eq true]`, `x[y eq 1]`,
		`a[value eq "x"]`, `a[a eq "x"].b`, `a[value ne "x"]`, `b[a sw "X"].value`, `c[a eq "x"].value`,
		`urn:x:2.0:User:a[a eq "x"]`, `emails[primary eq true].value`, `emails[primary eq "true"]`, `d[value eq "x"]`,
	} {
		f.Add(s)
	}
	r := decodeFuzzResource(bjensen)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParsePath(%q) error %T is not a *SyntaxError", s, err)
			}
			if se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("ParsePath(%q) offset %d outside the input", s, se.Offset)
			}
			if _, ok := r.Get(s); ok {
				t.Fatalf("Get(%q) found a value for an invalid path", s)
			}
			if _, _, handled := r.quickGet(s); handled {
				t.Fatalf("quickGet handled the invalid path %q", s)
			}
			if (Resource{}).Set(s, "x") == nil {
				t.Fatalf("Set(%q) accepted an invalid path", s)
			}
			checkSimpleAgainstParser(t, s)
			return
		}
		canon := p.String()
		q, err := ParsePath(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if q.String() != canon {
			t.Fatalf("canonical form of %q is unstable: %q then %q", s, canon, q.String())
		}
		checkSimpleAgainstParser(t, s)
		checkQuickFilterAgainstParser(t, s)
		for _, res := range []Resource{r, fuzzVariety} {
			if qv, qok, handled := res.quickGet(s); handled {
				gv, gok := res.GetPath(p)
				if qok != gok || !reflect.DeepEqual(qv, gv) {
					t.Fatalf("Get(%q): quick route %v, %v; general route %v, %v", s, qv, qok, gv, gok)
				}
			}
		}
		c := r.Clone()
		c.Get(s)
		_ = c.Set(s, "v")
		_ = c.Set(s, map[string]any{"value": "v"})
		c.Get(s)
		_ = c.Remove(s)
	})
}

// checkQuickFilterAgainstParser checks, for the value filter of a path,
// that the parser-free recogniser accepts only what the grammar accepts,
// with the same meaning.
func checkQuickFilterAgainstParser(t *testing.T, s string) {
	t.Helper()
	open := strings.IndexByte(s, '[')
	if open < 0 {
		return
	}
	closing, _, msg := matchBracket(s, open)
	if msg != "" {
		return
	}
	checkQuickFilter(t, s[open+1:closing])
}

func checkQuickFilter(t *testing.T, text string) {
	t.Helper()
	quick := quickFilter(text)
	if quick == nil {
		return
	}
	expr, err := filter.ParseFilterNumber([]byte(strings.Trim(text, " ")))
	if err != nil {
		t.Fatalf("quickFilter accepted %q, the grammar does not: %v", text, err)
	}
	slow, err := convert(expr, nil)
	if err != nil {
		t.Fatalf("quickFilter accepted %q, conversion failed: %v", text, err)
	}
	var a, b strings.Builder
	quick.root.render(&a, true)
	slow.render(&b, true)
	if a.String() != b.String() {
		t.Fatalf("quickFilter(%q) = %s, the grammar gives %s", text, a.String(), b.String())
	}
}

// FuzzQuote checks that any value, quoted, parses back as exactly that
// value in a single comparison: a value can never widen a query.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b`, `a\b`, `" or userName pr or "`, "\x00\n\t", "é€😀", `\u0041`, `"]`, "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if len(v) > maxFilterLen/8 {
			return
		}
		checkQuoteRoundTrip(t, v)
		// The same through the full grammar (the quick path is skipped by
		// a leading parenthesis).
		flt, err := ParseFilter("(userName eq " + Quote(v) + ")")
		if err != nil {
			t.Fatalf("(userName eq %s) does not parse: %v", Quote(v), err)
		}
		c, ok := flt.root.(*cmpNode)
		if !ok || c.value != v {
			t.Fatalf("(userName eq %s) parsed as %#v", Quote(v), flt.root)
		}
		checkQuickFilter(t, "userName eq "+Quote(v))
		got, err := EqualityFilter(`emails[type eq "work"].value`, v)
		if err != nil {
			t.Fatalf("EqualityFilter(%q): %v", v, err)
		}
		ef, err := ParseFilter(got)
		if err != nil {
			t.Fatalf("EqualityFilter gave %s, which does not parse: %v", got, err)
		}
		if !ef.Matches(Resource{"emails": []any{map[string]any{"type": "work", "value": v}}}) {
			t.Fatalf("%s does not match its own value", got)
		}
	})
}

// FuzzParseFilter checks that ParseFilter never panics or hangs, reports
// offsets inside the input, and that accepted filters render to a stable
// canonical form with the same meaning.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen"`, `name.familyName co "O'Malley"`, `title pr and userType eq "Employee"`,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		`not (userName eq "x")`, `meta.lastModified gt "2011-05-13T04:42:34Z"`, `a eq 1.5e3`, `a eq null`,
		`((a pr))`, `a eq "x" and`, `a eq "\u00E9"`,
	} {
		f.Add(s)
	}
	r := decodeFuzzResource(bjensen)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("ParseFilter(%q): %v (offset outside input or not a SyntaxError)", s, err)
			}
			return
		}
		checkQuickFilter(t, s)
		canon := flt.String()
		g, err := ParseFilter(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if g.String() != canon {
			t.Fatalf("canonical form of %q is unstable: %q then %q", s, canon, g.String())
		}
		if flt.Matches(r) != g.Matches(r) {
			t.Fatalf("%q and its canonical form %q evaluate differently", s, canon)
		}
	})
}

// FuzzApplyPatch applies arbitrary operations (op name, path and a JSON
// value) to a realistic user and group: never a panic, errors are 400
// *Error values with a scimType, the input is never modified, a successful
// result still encodes as JSON, and Validate agrees with ApplyPatch on what
// is syntactically wrong.
func FuzzApplyPatch(f *testing.F) {
	seeds := []struct{ op, path, value string }{
		{"Replace", `emails[type eq "work"].value`, `"x@y"`},
		{"Replace", "active", `"False"`},
		{"replace", "", `{"name.givenName":"A","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"1"}`},
		{"Remove", "members", `[{"$ref":null,"value":"u1"}]`},
		{"remove", `members[value eq "u2"]`, ``},
		{"add", "emails", `[{"value":"n","primary":true}]`},
		{"add", "", `{"emails":[1,"x",null,{}]}`},
		{"add", "name", `[]`},
		{"add", EnterpriseUserSchema, `7`},
		{"Add", EnterpriseUserSchema + ":manager", `"boss"`},
		{"replace", `emails[type eq "work" or primary eq true]`, `{"value":"z"}`},
		{"remove", "emails.value", ``},
		{"add", `roles[primary eq "True"].value`, `"r"`},
	}
	for _, s := range seeds {
		f.Add(s.op, s.path, s.value)
	}
	base := decodeFuzzResource(bjensen)
	base["members"] = []any{map[string]any{"value": "u1"}, map[string]any{"value": "u2"}, "stray", nil}
	want, _ := json.Marshal(base)
	f.Fuzz(func(t *testing.T, opName, path, value string) {
		if len(path) > 1024 || len(value) > 4096 {
			return
		}
		op := PatchOperation{Op: opName, Path: path}
		if value != "" {
			if err := json.Unmarshal([]byte(value), &op.Value); err != nil {
				op.Value = value // a plain string
			}
		}
		out, err := ApplyPatch(base, op)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType == "" {
				t.Fatalf("ApplyPatch error %v is not a 400 *Error with a scimType", err)
			}
			if out != nil {
				t.Fatal("ApplyPatch returned a resource with its error")
			}
			if se.ScimType == ScimTypeInvalidSyntax || se.ScimType == ScimTypeInvalidPath {
				if NewPatchRequest(op).Validate() == nil {
					t.Fatalf("Validate accepted %+v, ApplyPatch rejects it as %s: %v", op, se.ScimType, err)
				}
			}
		} else {
			if _, err := json.Marshal(out); err != nil {
				t.Fatalf("patched resource does not encode: %v", err)
			}
			if err := NewPatchRequest(op).Validate(); err != nil {
				t.Fatalf("Validate rejects %+v, which ApplyPatch applied: %v", op, err)
			}
		}
		if got, _ := json.Marshal(base); string(got) != string(want) {
			t.Fatal("ApplyPatch modified its input")
		}
	})
}

// FuzzParsePatchRequest decodes arbitrary PATCH bodies: never a panic,
// and every error is a 400 with an offset or an operation index.
func FuzzParsePatchRequest(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}]}`,
		`{"Operations":[{"op":"add","path":"name","value":[]}]}`,
		`{"schemas":[1]}`, `[]`, `null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if len(body) > 8192 {
			return
		}
		req, err := ParsePatchRequest([]byte(body))
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 {
				t.Fatalf("ParsePatchRequest error %v carries no 400 *Error", err)
			}
			return
		}
		if len(req.Operations) == 0 {
			t.Fatal("a request without operations was accepted")
		}
		if _, err := ApplyPatch(Resource{}, req.Operations...); err != nil {
			var se *Error
			if !errors.As(err, &se) || se.ScimType == ScimTypeInvalidSyntax || se.ScimType == ScimTypeInvalidPath {
				t.Fatalf("a validated request failed with %v", err)
			}
		}
	})
}

// FuzzResourceJSON decodes arbitrary JSON as a Resource and exercises the
// accessors, Clone, Get and Set on it: nothing panics, and a clone is equal
// to the original and independent of it.
func FuzzResourceJSON(f *testing.F) {
	for _, s := range []string{bjensen, `{}`, `null`, `{"emails":"x","active":"maybe","meta":[1]}`,
		`{"emails":[null,1,{"value":5,"primary":"True"}],"name":"n","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":3}`,
		`{"USERNAME":"a","userName":"b"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<16 || !utf8.ValidString(s) {
			return
		}
		var r Resource
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			return
		}
		before, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, _, _ = r.ID(), r.UserName(), r.DisplayName(), r.ExternalID(), r.Email()
		r.Active()
		r.Meta()
		r.Schemas()
		c := r.Clone()
		if !Equal(map[string]any(r), map[string]any(c)) && r != nil {
			t.Fatal("clone is not equal to the original")
		}
		for _, p := range []string{"userName", "name.givenName", `emails[type eq "work"].value`, "emails.value",
			EnterpriseUserSchema + ":department", `members[value eq "x"]`, "meta.created"} {
			c.Get(p)
			if c != nil {
				_ = c.Set(p, "z")
				_ = c.Remove(p)
			}
		}
		if after, _ := json.Marshal(r); string(after) != string(before) {
			t.Fatal("changing the clone changed the original")
		}
	})
}

// fuzzVariety holds values of every shape a path can run into.
var fuzzVariety = Resource{
	"a":              []any{"x", "Y", 1.0, true, nil, []any{"n"}, map[string]any{"a": "x", "b": []any{"x", map[string]any{"value": "x"}}}},
	"b":              map[string]any{"a": "x", "value": "True"},
	"c":              []map[string]any{{"a": "x", "value": "y"}},
	"d":              "x",
	"emails":         []any{map[string]any{"type": "work", "value": "w", "primary": "True"}},
	"urn:x:2.0:User": map[string]any{"a": []any{map[string]any{"a": "x"}}},
}

func decodeFuzzResource(s string) Resource {
	var r Resource
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		panic(err)
	}
	return r
}
