package entra

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/druvascim/druvascim/internal/httpx"
)

// FuzzDecodePage feeds Graph collection pages, good and bad (HTML error
// pages, truncated JSON, wrong types), to the page, object and error
// decoders: they must never panic, must fail with ErrMalformed, and must
// accept only a JSON object whose "value" is an array of objects.
func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{
		`{"value":[{"id":"1","mail":"a@b.c","accountEnabled":true}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$skiptoken=x"}`,
		`{"@odata.context":"x","value":[],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/users/delta?$deltatoken=y"}`,
		`{"value":[{"id":"2","@removed":{"reason":"deleted"}}]}`,
		`<html><body><h1>502 Bad Gateway</h1></body></html>`,
		`{"value":[{"id":"1","mail":"a@b`,
		`{"value":null}`, `{"value":{}}`, `{"value":[1,"x",null]}`, `{"value":[{"id":5}]}`,
		`{"value":[{"id":""}]}`, `{"@odata.nextLink":"x"}`, `{"value":[],"@odata.nextLink":""}`,
		`{"value":[]} {"value":[]}`, `[]`, ``, "\xff\xfe", `{"value":[{"id":"1","n":1e400}]}`,
		`{"error":{"code":"TooManyRequests","message":"slow down"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ge := graphError(&httpx.Response{StatusCode: 500, Header: http.Header{}, Body: b, Method: "GET", URL: "https://graph.microsoft.com/v1.0/users"})
		if msg := ge.Error(); msg == "" || strings.ContainsAny(msg, "\x00") {
			t.Fatalf("bad error message %q", msg)
		}
		p, err := decodePage(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		if p.NextLink != "" && p.DeltaLink != "" {
			t.Fatal("accepted both links")
		}
		for _, v := range p.Value {
			if v == nil {
				t.Fatal("nil object accepted")
			}
			id, err := objectID(v)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("object error does not wrap ErrMalformed: %v", err)
				}
				continue
			}
			if id == "" || v["id"] != id {
				t.Fatalf("object accepted without its id: %v", v)
			}
		}
		if _, _, err := decodeObject(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("decodeObject error does not wrap ErrMalformed: %v", err)
		}
	})
}

// FuzzDecodeDeltaLink checks that any delta link string is either decoded
// or refused with ErrBadDeltaLink, never a panic.
func FuzzDecodeDeltaLink(f *testing.F) {
	good, _ := (&cursor{V: 1, SP: "sp", U: "u", G: "g", AU: map[string][]string{"a": {"r"}}}).encode()
	for _, s := range []string{good, "", cursorPrefix, cursorPrefix + "H4sIAAAAAAAA", "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x", good[:len(good)-3]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadDeltaLink) {
				t.Fatalf("error does not wrap ErrBadDeltaLink: %v", err)
			}
			return
		}
		if c.V != 1 || c.SP == "" || c.U == "" || c.G == "" {
			t.Fatalf("accepted incomplete cursor %+v", c)
		}
	})
}
