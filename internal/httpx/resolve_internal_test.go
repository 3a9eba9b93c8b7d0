package httpx

import "testing"

// TestSimplePathMatchesResolve: the shortcut Do takes for plain relative
// paths builds exactly the URL Resolve builds, and paths Resolve must judge
// (dots, escapes, queries, schemes, empty segments) do not take it.
func TestSimplePathMatchesResolve(t *testing.T) {
	simple := []string{"Users", "/Users", "Users/abc-1_~Z", "Groups/9/x"}
	other := []string{"", "/", "../x", "Users/../x", "Users/.", "a%2Fb", "Users?x=1", "Users#f",
		"http://h/x", "//evil.example/x", "//Users", "///Users", "Users//x", "a b", "é"}
	for _, base := range []string{"http://127.0.0.1:8080/scim/v2", "https://h.example/a%20b/", "https://h.example", "http://[::1]:1/x/y/"} {
		c, err := New(base)
		if err != nil {
			t.Fatal(err)
		}
		if c.baseStr == "" {
			t.Fatalf("%s: no base string", base)
		}
		for _, p := range simple {
			got, ok := c.simplePath(p)
			if !ok {
				t.Errorf("%s: %q not taken as simple", base, p)
				continue
			}
			u, err := c.Resolve(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.baseStr+got != u.String() {
				t.Errorf("%s + %q: shortcut %q, Resolve %q", base, p, c.baseStr+got, u.String())
			}
		}
		for _, p := range other {
			if got, ok := c.simplePath(p); ok {
				t.Errorf("%s: %q taken as simple (%q)", base, p, got)
			}
		}
	}
}
