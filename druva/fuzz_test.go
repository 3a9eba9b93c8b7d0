package druva

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
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

// FuzzDecodeObject: decodeObject accepts exactly the bodies encoding/json
// reads as one JSON object (nothing after it), with the same value,
// numbers kept exact.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"id":"a","n":1}`, `{"a":"\"-1"}`, `{"a":"\\"}`, `{} {}`, `[1]`, `{"a":-0.5e3}`, `{"a":1}]`, ` {"a":[{}]} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeObject(b)
		if err == nil && r == nil {
			t.Fatal("nil resource without error")
		}
		var want map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		werr := d.Decode(&want)
		// json.Valid: nothing but JSON whitespace (RFC 8259: space, tab,
		// line feed, carriage return) around the one value.
		if werr == nil && (!json.Valid(b) || want == nil) {
			werr = errors.New("not exactly one object")
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("decodeObject(%q): error %v, encoding/json: %v", b, err, werr)
		}
		if err == nil && !reflect.DeepEqual(map[string]any(r), want) {
			t.Fatalf("decodeObject(%q) = %#v, encoding/json %#v", b, r, want)
		}
	})
}
