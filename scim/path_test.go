package scim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in                  string
		urn, attr, sub, flt string
		canon               string // "" means same as in
	}{
		{in: "userName", attr: "userName"},
		{in: "name.givenName", attr: "name", sub: "givenName"},
		{in: "$ref", attr: "$ref"},
		{in: "x-y_z9", attr: "x-y_z9"},
		{in: `emails[type eq "work"].value`, attr: "emails", sub: "value", flt: `type eq "work"`},
		{in: `emails[type eq "work"]`, attr: "emails", flt: `type eq "work"`},
		{in: `emails[ type EQ "work" ].value`, attr: "emails", sub: "value", flt: `type eq "work"`, canon: `emails[type eq "work"].value`},
		{in: `members[value eq "2819c223-7f76-453a-919d-413861904646"]`, attr: "members", flt: `value eq "2819c223-7f76-453a-919d-413861904646"`},
		{in: `emails[type eq "work" and primary eq true]`, attr: "emails", flt: `type eq "work" and primary eq true`},
		{in: `addresses[type eq "work" and (region eq "NY" or region eq "CA")].street`, attr: "addresses", sub: "street", flt: `type eq "work" and (region eq "NY" or region eq "CA")`},
		{in: `a[b eq 1 and c eq 2 and d eq 3]`, attr: "a", flt: `b eq 1 and c eq 2 and d eq 3`},
		{in: `emails[not (type eq "work")]`, attr: "emails", flt: `not (type eq "work")`},
		{in: `emails[value eq "a\"b\\c]"]`, attr: "emails", flt: `value eq "a\"b\\c]"`},
		{in: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
			urn: EnterpriseUserSchema, attr: "department"},
		{in: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
			urn: EnterpriseUserSchema, attr: "manager", sub: "value"},
		{in: EnterpriseUserSchema, urn: EnterpriseUserSchema},
		{in: "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User:costCenter",
			urn: "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User", attr: "costCenter"},
		{in: "urn:ietf:params:scim:schemas:core:2.0:User:userName", attr: "userName", canon: "userName"},
		{in: "URN:IETF:params:scim:schemas:core:2.0:User:name.givenName", attr: "name", sub: "givenName", canon: "name.givenName"},
		{in: `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`, attr: "emails", sub: "value", flt: `type eq "work"`, canon: `emails[type eq "work"].value`},
		{in: `urn:example:2.0:User:phones[type eq "a:b"].value`, urn: "urn:example:2.0:User", attr: "phones", sub: "value", flt: `type eq "a:b"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePath(tc.in)
			if err != nil {
				t.Fatalf("ParsePath: %v", err)
			}
			if p.URN() != tc.urn || p.Attribute() != tc.attr || p.SubAttribute() != tc.sub {
				t.Errorf("got urn=%q attr=%q sub=%q, want %q %q %q", p.URN(), p.Attribute(), p.SubAttribute(), tc.urn, tc.attr, tc.sub)
			}
			if got := p.Filter().String(); got != tc.flt {
				t.Errorf("filter = %q, want %q", got, tc.flt)
			}
			canon := tc.canon
			if canon == "" {
				canon = tc.in
			}
			if got := p.String(); got != canon {
				t.Errorf("String() = %q, want %q", got, canon)
			}
			// The canonical form parses back to itself.
			q, err := ParsePath(p.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", p.String(), err)
			}
			if q.String() != p.String() {
				t.Errorf("reparse gave %q, want %q", q.String(), p.String())
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		want   string
	}{
		{"", 0, "empty path"},
		{"1abc", 0, "invalid attribute name"},
		{"name.", 5, "invalid sub-attribute name"},
		{"a.b.c", 3, "more than one sub-attribute level"},
		{"user name", 4, "invalid attribute name"},
		{".x", 0, "missing attribute name"},
		{`emails[type eq "work"`, 6, `"[" has no matching "]"`},
		{`emails[type eq "work]`, 15, "unterminated string"},
		{`emails[]`, 6, "empty value filter"},
		{`emails[type eq]`, 7, "value filter: syntax error: no valid expression"},
		{`emails[type eq "w" x]`, 18, `value filter: syntax error at " x"`},
		{`emails[type eq "w"]x`, 19, `unexpected "x" after value filter`},
		{`emails[type eq "w"].1`, 20, "invalid sub-attribute name"},
		{`name.givenName[x eq 1]`, 4, "a value filter must follow an attribute name"},
		{`[type eq "w"]`, 0, "missing attribute name"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:", 59, "missing attribute name"},
		{"urn:a::b:x", 6, "empty segment in schema URN"},
		{"urn:a_b:2.0:User:x", 5, "invalid character"},
		{UserSchema, 0, "core schema URN is not an attribute path"},
		{strings.Repeat("a", maxPathLen+1), maxPathLen, "longer than"},
		{"x\xff", 1, "invalid attribute name"},
		{`a[b eq "x\q"]`, 2, "value filter"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParsePath(tc.in)
			if err == nil {
				t.Fatal("ParsePath succeeded, want an error")
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			if se.What != "path" || se.Offset != tc.offset || !strings.Contains(se.Msg, tc.want) {
				t.Errorf("got what=%q offset=%d msg=%q, want offset %d and %q", se.What, se.Offset, se.Msg, tc.offset, tc.want)
			}
			var scimErr *Error
			if !errors.As(err, &scimErr) || scimErr.Status != 400 || scimErr.ScimType != ScimTypeInvalidPath {
				t.Errorf("errors.As *Error = %+v, want 400 invalidPath", scimErr)
			}
		})
	}
}

// TestSimplePathMatchesParser checks that the allocation-free path parser
// accepts exactly what github.com/scim2/filter-parser/v2 accepts for paths
// without a value filter.
func TestSimplePathMatchesParser(t *testing.T) {
	for _, s := range []string{
		"userName", "name.givenName", "a.b.c", "$ref", "$", "a$", "-a", "a-", "a_b", "1a", "a.1",
		"urn:x:y:attr", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
		"urn:a_b:c", "a b", "a.", ".a", "é", "urn:x:", "urn::a",
	} {
		checkSimpleAgainstParser(t, s)
	}
}

func checkSimpleAgainstParser(t *testing.T, s string) {
	t.Helper()
	if strings.ContainsRune(s, '[') || len(s) > maxPathLen {
		return
	}
	p, _, msg := parseSimplePath(s)
	ap, err := filter.ParseAttrPath([]byte(s))
	ours, theirs := msg == "", err == nil
	if hasURNPrefix(s) && isCoreURN(s) {
		// We refuse the bare core schema URN as a path; the grammar reads
		// it as attribute "User" of schema "…:2.0".
		if ours {
			t.Errorf("%q: the bare core URN was accepted", s)
		}
		return
	}
	if ours != theirs {
		t.Fatalf("%q: fast path ok=%v (%s), filter-parser ok=%v (%v)", s, ours, msg, theirs, err)
	}
	if !ours {
		return
	}
	if p.attr == "" { // a whole extension: the grammar splits off its last segment
		if got := ap.URI() + ":" + ap.AttributeName; !strings.EqualFold(got, p.urn) {
			t.Errorf("%q: whole URN %q, filter-parser %q", s, p.urn, got)
		}
		return
	}
	want := refFromParser(ap)
	if p.urn != want.urn || p.attr != want.attr || p.sub != want.sub {
		t.Errorf("%q: fast path %+v, filter-parser %+v", s, p, want)
	}
}

func TestPathAndFilterText(t *testing.T) {
	var cfg struct {
		Target Path    `json:"target"`
		Scope  *Filter `json:"scope"`
	}
	in := `{"target":"emails[type EQ \"work\"].value","scope":"userName sw \"a\" and active eq true"}`
	if err := json.Unmarshal([]byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Target.Attribute() != "emails" || !cfg.Scope.Matches(Resource{"userName": "ab", "active": true}) {
		t.Errorf("decoded %+v", cfg)
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"target":"emails[type eq \"work\"].value","scope":"userName sw \"a\" and active eq true"}`
	if string(out) != want {
		t.Errorf("Marshal = %s\nwant      %s", out, want)
	}
	for _, bad := range []string{`{"target":"a[b"}`, `{"scope":"a eq"}`, `{"target":5}`} {
		if err := json.Unmarshal([]byte(bad), &cfg); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
	if _, err := json.Marshal(struct{ P Path }{}); err == nil {
		t.Error("the zero Path encoded")
	}
	if _, err := json.Marshal(struct{ F *Filter }{&Filter{}}); err == nil {
		t.Error("an empty Filter encoded")
	}
}

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{
		"userName":                     "username",
		`Emails[Type eq "work"].Value`: `emails[type eq "work"].value`,
		`emails[type EQ "work"].value`: `emails[type eq "work"].value`,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:Department": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:department",
		"a[b": "a[b",
	} {
		if got := CanonicalPath(in); got != want {
			t.Errorf("CanonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
}
