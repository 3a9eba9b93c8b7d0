package druvascim

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/druvascim/druvascim/scim"
)

// FuzzDecodeState feeds arbitrary state files to the decoder: it must
// never panic, and whatever it accepts must encode and decode to the same
// links.
func FuzzDecodeState(f *testing.F) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := encodeState(w, sampleState(), 1); err != nil {
		f.Fatal(err)
	}
	w.Flush()
	f.Add(buf.String())
	f.Add(stateMagic + "\n{\"links\":1}\na%09b\tc\nend 1\n")
	f.Add(stateMagic + "\n{}\nend 0\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := decodeState(text)
		if err != nil {
			return
		}
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		if err := encodeState(w, s, s.Generation); err != nil {
			return // empty ids are refused on save
		}
		w.Flush()
		again, err := decodeState(out.String())
		if err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
		if len(again.Links) != len(s.Links) {
			t.Fatalf("links %d → %d", len(s.Links), len(again.Links))
		}
		for k, v := range s.Links {
			if again.Links[k] != v {
				t.Fatalf("link %q: %q → %q", k, v, again.Links[k])
			}
		}
	})
}

// FuzzCompilePath compiles arbitrary attribute paths and reads them from a
// user: never a panic.
func FuzzCompilePath(f *testing.F) {
	for _, p := range []string{"userName", `emails[type eq "work"].value`, "name.givenName",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
		"urn:ietf:params:scim:schemas:core:2.0:User:userName", `x[a eq "b"`, "a.b.c", "[]"} {
		f.Add(p)
	}
	u := scim.Resource{"userName": "a", "name": map[string]any{"givenName": "b"},
		"emails": []any{map[string]any{"type": "work", "value": "c"}, "junk"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "d"}}
	f.Fuzz(func(t *testing.T, p string) {
		ap, err := compilePath(p)
		if err != nil {
			return
		}
		ap.get(u)
		ap.getString(u)
	})
}
