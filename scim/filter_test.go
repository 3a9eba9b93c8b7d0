package scim

import (
	"errors"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{`x" or userName pr or "`, `"x\" or userName pr or \""`},
		{"tab\there\nnl\r\b\f", `"tab\there\nnl\r\b\f"`},
		{"\x00\x1f", `"\u0000\u001F"`},
		{"ünïcödé €", `"ünïcödé €"`},
		{"<&>/", `"<&>/"`},
	}
	for _, tc := range tests {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
		checkQuoteRoundTrip(t, tc.in)
	}
}

// checkQuoteRoundTrip asserts that `userName eq <Quote(v)>` parses as one
// comparison whose value is exactly v, so no value can widen a query.
func checkQuoteRoundTrip(t *testing.T, v string) {
	t.Helper()
	f, err := ParseFilter("userName eq " + Quote(v))
	if err != nil {
		t.Fatalf("Quote(%q) = %s does not parse: %v", v, Quote(v), err)
	}
	c, ok := f.root.(*cmpNode)
	if !ok {
		t.Fatalf("Quote(%q) parsed as %T, want one comparison", v, f.root)
	}
	if got, _ := c.value.(string); got != v || c.ref.attr != "userName" || c.op != "eq" {
		t.Fatalf("Quote(%q) parsed back as %s %s %q", v, c.ref.attr, c.op, got)
	}
	if !f.Matches(Resource{"userName": v}) {
		t.Fatalf("filter for %q does not match a resource holding it", v)
	}
	if v != "" && f.Matches(Resource{"userName": v + "x"}) {
		t.Fatalf("filter for %q matches a different value", v)
	}
}

func TestEqualityFilter(t *testing.T) {
	tests := []struct{ attr, value, want string }{
		{"userName", "bjensen", `userName eq "bjensen"`},
		{"externalId", `a"b\c`, `externalId eq "a\"b\\c"`},
		{"name.givenName", "x", `name.givenName eq "x"`},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Fin",
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Fin"`},
		{`emails[type eq "work"].value`, "a@x", `emails[type eq "work" and value eq "a@x"]`},
		{"urn:ietf:params:scim:schemas:core:2.0:User:userName", "u", `userName eq "u"`},
	}
	for _, tc := range tests {
		got, err := EqualityFilter(tc.attr, tc.value)
		if err != nil {
			t.Errorf("EqualityFilter(%q): %v", tc.attr, err)
			continue
		}
		if got != tc.want {
			t.Errorf("EqualityFilter(%q, %q) = %s, want %s", tc.attr, tc.value, got, tc.want)
		}
	}
	for _, bad := range []string{"", "user name", `userName eq "x" or a`, `emails[type eq "work"]`, EnterpriseUserSchema, "a.b.c"} {
		if got, err := EqualityFilter(bad, "v"); err == nil {
			t.Errorf("EqualityFilter(%q) = %s, want an error", bad, got)
		}
	}
	// The filter built for a work email finds the user holding it.
	f, _ := EqualityFilter(`emails[type eq "work"].value`, "A@X")
	pf, err := ParseFilter(f)
	if err != nil {
		t.Fatal(err)
	}
	if !pf.Matches(Resource{"emails": []any{map[string]any{"type": "work", "value": "a@x"}}}) {
		t.Error("work-email filter does not match")
	}
	if pf.Matches(Resource{"emails": []any{map[string]any{"type": "home", "value": "a@x"}}}) {
		t.Error("work-email filter matches a home email")
	}
}

func TestFilterMatches(t *testing.T) {
	r := decode(t, bjensen)
	r["age"] = 42.0
	r["loginCount"] = "7"
	r["flag"] = "True"
	tests := []struct {
		filter string
		want   bool
	}{
		{`userName eq "bjensen@example.com"`, true},
		{`userName eq "BJENSEN@EXAMPLE.COM"`, true},
		{`USERNAME EQ "bjensen@example.com"`, true},
		{`userName eq "other"`, false},
		{`userName ne "other"`, true},
		{`userName ne "bjensen@example.com"`, false},
		{`title ne "x"`, true},
		{`userName co "JENSEN"`, true},
		{`userName sw "bjen"`, true},
		{`userName sw "jen"`, false},
		{`userName ew ".COM"`, true},
		{`userName ew "org"`, false},
		{`title pr`, false},
		{`name pr`, true},
		{`name.givenName pr`, true},
		{`userName gt "a"`, true},
		{`userName lt "a"`, false},
		{`userName ge "BJENSEN@EXAMPLE.COM"`, true},
		{`userName le "bjensen@example.com"`, true},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, true},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, false},
		{`age gt 40`, true},
		{`age ge 42`, true},
		{`age lt 42`, false},
		{`age le 42.0`, true},
		{`age eq 42`, true},
		{`age eq 4.2e1`, true},
		{`loginCount gt 5`, true},
		{`active eq true`, true},
		{`active eq false`, false},
		{`active ne false`, true},
		{`active eq "True"`, true},
		{`flag eq true`, true},
		{`active gt true`, false},
		{`title eq null`, true},
		{`userName eq null`, false},
		{`userName ne null`, true},
		{`emails[type eq "work" and value co "@example.com"]`, true},
		{`emails[type eq "home" and value co "@example.com"]`, false},
		{`emails[type eq "home" or value co "@example.com"]`, true},
		{`emails[not (type eq "work")]`, true},
		{`emails co "home.example"`, true},
		{`emails.value ew "@home.example"`, true},
		{`emails.type eq "other"`, false},
		{`emails[primary eq true]`, true},
		{`nickNames eq "B"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "finance"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "b"`, true},
		{`userName eq "x" or displayName co "babs"`, true},
		{`userName eq "x" and displayName co "babs"`, false},
		{`not (userName eq "x")`, true},
		{`not(userName eq "x") and (title pr or active eq true)`, true},
		{`userName eq "x" or userName eq "y" or name.familyName eq "jensen"`, true},
		{`(userName eq "x" or userName eq "y") and name.familyName eq "jensen"`, false},
		{`userName eq 5`, false},
		{`age eq "42"`, true},
		{`age co "4"`, false},
		{`emails[value eq "bjensen@example.com"] and emails[value eq "babs@home.example"]`, true},
	}
	for _, tc := range tests {
		f, err := ParseFilter(tc.filter)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.filter, err)
			continue
		}
		if got := f.Matches(r); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", tc.filter, got, tc.want)
		}
		// The canonical form parses back and evaluates the same.
		g, err := ParseFilter(f.String())
		if err != nil {
			t.Errorf("reparse of %q (%q): %v", tc.filter, f.String(), err)
			continue
		}
		if g.String() != f.String() || g.Matches(r) != tc.want {
			t.Errorf("reparse of %q gave %q, Matches %v", f.String(), g.String(), g.Matches(r))
		}
	}
	var nilFilter *Filter
	if !nilFilter.Matches(r) || nilFilter.String() != "" {
		t.Error("a nil filter does not match everything")
	}
}

func TestFilterString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a eq "x"`, `a eq "x"`},
		{`a EQ "x\"y"`, `a eq "x\"y"`},
		{`a eq 1 and b eq 2 or c eq 3`, `a eq 1 and b eq 2 or c eq 3`},
		{`a eq 1 and (b eq 2 or c eq 3)`, `a eq 1 and (b eq 2 or c eq 3)`},
		{`not(a pr)`, `not (a pr)`},
		{`a eq TRUE or b eq Null`, `a eq true or b eq null`},
		{`  a eq 1  `, `a eq 1`},
		{`emails[type eq "work" and value co "x"]`, `emails[type eq "work" and value co "x"]`},
		{`x eq -1.5E3`, `x eq -1.5e3`},
		{`(a eq 1 or b eq 2) and c eq 3`, `(a eq 1 or b eq 2) and c eq 3`},
		{`a eq 1 or (b eq 2 or c eq 3)`, `a eq 1 or b eq 2 or c eq 3`},
		{`a eq "\u00E9\/"`, `a eq "é/"`},
	}
	for _, tc := range tests {
		f, err := ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.in, err)
			continue
		}
		if got := f.String(); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		want   string
	}{
		{"", 0, "empty filter"},
		{"   ", 0, "empty filter"},
		{`userName eq "x`, 12, "unterminated string"},
		{`userName eq "x" and (a pr`, 20, `'(' is never closed`},
		{`userName eq "x")`, 15, `unexpected ')'`},
		{`a[b eq 1)`, 8, `unexpected ')'`},
		{"a eq \"x\ty\"", 7, "control character"},
		{"a eq 1\n", 6, "control character"},
		{`a eq 1 and b eq`, 6, `syntax error at " and b eq"`},
		{`a xx 1`, 0, "no valid expression"},
		{`  a eq 1 b`, 8, `syntax error at " b"`},
		{strings.Repeat("(", maxFilterDepth+1) + "a pr" + strings.Repeat(")", maxFilterDepth+1), maxFilterDepth, "nested more than"},
		{strings.Repeat("a", maxFilterLen+1), maxFilterLen, "longer than"},
		{`a eq "\q"`, 0, "no valid expression"},
	}
	for _, tc := range tests {
		_, err := ParseFilter(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseFilter(%q) error = %v, want a *SyntaxError", tc.in, err)
			continue
		}
		if se.What != "filter" || se.Offset != tc.offset || !strings.Contains(se.Msg, tc.want) {
			t.Errorf("ParseFilter(%q): offset %d msg %q, want offset %d and %q", tc.in, se.Offset, se.Msg, tc.offset, tc.want)
		}
		var scimErr *Error
		if !errors.As(err, &scimErr) || scimErr.ScimType != ScimTypeInvalidFilter || scimErr.Status != 400 {
			t.Errorf("ParseFilter(%q): errors.As *Error = %+v", tc.in, scimErr)
		}
	}
}

// TestValuePathFilters covers value paths the filter-parser's own rule
// cannot read (more than two comparisons, parentheses, nesting) and the
// `attr[filter].sub op value` form.
func TestValuePathFilters(t *testing.T) {
	r := decode(t, bjensen)
	tests := []struct {
		filter, canon string
		want          bool
	}{
		{`emails[type eq "work" and value co "@example.com" and primary eq true]`, `emails[type eq "work" and value co "@example.com" and primary eq true]`, true},
		{`emails[(type eq "home" or type eq "work") and not (value sw "babs")]`, `emails[(type eq "home" or type eq "work") and not (value sw "babs")]`, true},
		{`emails [ type eq "home" ] and userName pr`, `emails[type eq "home"] and userName pr`, true},
		{`emails[type eq "work"].value eq "BJENSEN@example.com"`, `emails[type eq "work" and value eq "BJENSEN@example.com"]`, true},
		{`emails[type eq "home"].value eq "bjensen@example.com"`, `emails[type eq "home" and value eq "bjensen@example.com"]`, false},
		{`emails[type eq "work"].display pr`, `emails[type eq "work" and display pr]`, false},
		{`not (emails[type eq "other"])`, `not (emails[type eq "other"])`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "26118915"]`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "26118915"]`, true},
		{`emails[value eq "a[b]"] or emails[value eq "x"]`, `emails[value eq "a[b]"] or emails[value eq "x"]`, false},
	}
	for _, tc := range tests {
		f, err := ParseFilter(tc.filter)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.filter, err)
			continue
		}
		if got := f.Matches(r); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", tc.filter, got, tc.want)
		}
		if got := f.String(); got != tc.canon {
			t.Errorf("String(%q) = %q, want %q", tc.filter, got, tc.canon)
		}
	}
	bad := []struct {
		filter string
		offset int
		want   string
	}{
		{`[a eq 1]`, 0, "without an attribute"},
		{`a eq 1 and emails[]`, 17, "empty value filter"},
		{`emails[type eq]`, 7, "value filter: syntax error"},
		{`emails.value[type eq "w"]`, 6, "must follow an attribute name"},
		{`emails[type eq "w"].1 eq "x"`, 20, "invalid sub-attribute"},
		{`emails[type eq "w"] and`, 19, "syntax error at \" and\""},
		{`a eq 1 and emails[type eq "w"].value`, 6, `syntax error at " and emails[type eq`},
	}
	for _, tc := range bad {
		_, err := ParseFilter(tc.filter)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseFilter(%q) = %v, want a SyntaxError", tc.filter, err)
			continue
		}
		if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.want) {
			t.Errorf("ParseFilter(%q): offset %d %q, want %d %q", tc.filter, se.Offset, se.Msg, tc.offset, tc.want)
		}
	}
}
