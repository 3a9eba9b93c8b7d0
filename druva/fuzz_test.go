package druva

import (
	"testing"

	"github.com/druvascim/druvascim/internal/httpx"
)

// FuzzDecodePage: any body either decodes into resources that all have an
// id, or is an error; nothing panics.
func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{
		`{"totalResults":1,"Resources":[{"id":"u1","userName":"a"}]}`,
		`{"totalresults":"2","resources":null}`,
		`{"totalResults":-1}`,
		`<html></html>`,
		`{"totalResults":1,"Resources":[{"id":1}]}`,
		`{"Resources":{}}`,
		`{"totalResults":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePage(&httpx.Response{StatusCode: 200, Body: b, Method: "GET", URL: "u"})
		if err != nil {
			return
		}
		if p.total < 0 {
			t.Fatalf("negative total %d accepted", p.total)
		}
		for _, r := range p.resources {
			if r.ID() == "" {
				t.Fatalf("resource without id accepted: %v", r)
			}
		}
	})
}

// FuzzDecodeObject: the fast path and the exact-number path agree on
// whether a body is a JSON object.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"id":"a","n":1}`, `{"a":"\"-1"}`, `{"a":"\\"}`, `{} {}`, `[1]`, `{"a":-0.5e3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeObject(b)
		if err == nil && r == nil {
			t.Fatal("nil resource without error")
		}
		if err == nil && !hasNumber(b) {
			for _, v := range r {
				if _, isFloat := v.(float64); isFloat {
					t.Fatalf("number decoded on the fast path: %q", b)
				}
			}
		}
	})
}
