package jsonobj

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestEncodeMatchesEncodingJSON: the Encoder writes what encoding/json
// writes, for the value types it handles itself and for those it leaves to
// encoding/json, and fails where encoding/json fails.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	var e Encoder
	for _, m := range []map[string]any{
		{},
		{"userName": "ann@example.com", "active": true, "title": nil, "b": "<&>\u2028\u2029\"\\/\x01\x7f\t\n"},
		{"emails": []any{map[string]any{"value": "a@b", "type": "work", "primary": true}}, "n": json.Number("-1.5e3")},
		{"list": []string{"x", "y"}, "nilList": []string(nil), "nilAny": []any(nil), "nilMap": map[string]any(nil)},
		{"z": 1, "a": 2.5, "m": map[string]int{"k": 1}}, // left to encoding/json
		{"bad": "\xff\xfe"}, // invalid UTF-8: left to encoding/json
		{"num": json.Number("")},
		{"num": json.Number(" 1")},
		{"num": json.Number("01")},
		{"<key>": "v"},
	} {
		want, wantErr := json.Marshal(m)
		got, err := e.Encode(m)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("Encode(%#v) = %s, %v; encoding/json: %s, %v", m, got, err, want, wantErr)
		}
	}
}

// FuzzEncode compares the Encoder with encoding/json on every object Decode
// accepts, and on strings and numbers made of arbitrary bytes.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,"x",{"b":null,"c":true}],"<":">"}`, `{"e":"\u2028\ud800"}`} {
		f.Add([]byte(s), "k", "v")
	}
	f.Fuzz(func(t *testing.T, b []byte, k, v string) {
		var e Encoder
		maps := []map[string]any{{k: v, "n": json.Number(v), "l": []any{v, []string{k}}}}
		if m, err := Decode(b); err == nil {
			maps = append(maps, m)
		}
		for _, m := range maps {
			want, wantErr := json.Marshal(m)
			got, err := e.Encode(m)
			if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("Encode(%#v) = %q, %v; encoding/json: %q, %v", m, got, err, want, wantErr)
			}
		}
	})
}
