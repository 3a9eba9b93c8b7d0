package jsonobj

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode(t *testing.T) {
	got, err := Decode([]byte(" {\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":12345678901234567890}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": json.Number("1"), "b": []any{true, nil, "x"},
		"c": map[string]any{"d": json.Number("12345678901234567890")}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Decode (-want +got):\n%s", d)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty body"},
		{"   ", "empty body"},
		{"null", "not a JSON object"},
		{"[1]", "not a JSON object"},
		{`{"a":1} {"b":2}`, "trailing data after the JSON object"},
		{`{"a":1}}`, "trailing data after the JSON object"},
		{`{"a":1} x`, "trailing data after the JSON object"},
		{`{"a":1`, "ends inside the object"},
		{`{"a":x}`, "invalid JSON at byte"},
		// Unicode spaces that are not JSON whitespace, as encoding/json
		// refuses them.
		{"{\"a\":1}\u00a0", "trailing data"},
		{"\u0085{\"a\":1}", "not a JSON object"},
	} {
		_, err := Decode([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Decode(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestMembers(t *testing.T) {
	m := map[string]any{"resources": []any{}, "TOTALRESULTS": json.Number("0"), "other": 1}
	got, err := Members(m, "totalResults", "startIndex", "Resources")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]any{json.Number("0"), nil, []any{}}, got); d != "" {
		t.Errorf("Members (-want +got):\n%s", d)
	}
	m["Resources"] = []any{}
	if _, err := Members(m, "totalResults", "Resources"); err == nil || !strings.Contains(err.Error(), `both "Resources" and "resources"`) {
		t.Errorf("two spellings: err = %v, want both spellings named", err)
	}
}

func TestMemberString(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{`{"@odata.nextLink":"https://g/1","value":[{"a":1}]}`, "https://g/1", true},
		{` {"value":[{"a":{"b":[1,2,{"a":1,"a":2}]}}],"@odata.NEXTLINK":"h\u0041"} `, "hA", true},
		{`{"@odata.nextLink":"first","@odata.nextLink":"second"}`, "first", true},
		{`{"@odata.nextLink":"early","value":[}`, "early", true},
		{`{"value":[]}`, "", false},
		{`{"@odata.nextLink":null}`, "", false},
		{`{"@odata.nextLink":7}`, "", false},
		{`{"value":[}],"@odata.nextLink":"late"}`, "", false},
		{`["@odata.nextLink","x"]`, "", false},
		{``, "", false},
	} {
		got, ok := MemberString([]byte(c.in), "@odata.nextLink")
		if got != c.want || ok != c.ok {
			t.Errorf("MemberString(%s) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// FuzzDecode checks that Decode accepts exactly the single JSON objects
// encoding/json accepts, and then returns what encoding/json decodes.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":null}]}`, `{"a":1} 2`, `[]`, `{"a":"\ud800"}`, `{"a":1e999}`,
		`{"id":"x","i\u0064":"y","type":"work","schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b)
		t2 := bytes.TrimSpace(b)
		valid := json.Valid(b) && len(t2) > 0 && t2[0] == '{'
		if (err == nil) != valid {
			t.Fatalf("Decode(%q) err = %v; json.Valid object = %v", b, err, valid)
		}
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var want map[string]any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("Decode(%q) (-encoding/json +Decode):\n%s", b, d)
		}
	})
}

// TestDecodeMatchesEncodingJSON covers the inputs the fast decoder refuses
// or would decode otherwise: Decode's answer is encoding/json's.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"a":"x","a":"y"}`,           // duplicate name: the last wins
		"{\"a\":\"\xff\"}",            // invalid UTF-8: replaced by U+FFFD
		`{"a":"\ud800"}`,              // lone surrogate: replaced by U+FFFD
		`{"a":[1.5,{"b":-0}],"c":""}`, // numbers stay exact
		`{"a":{"b":[]},"c":{}}`,       // empty containers stay non-nil
		`{"n":1e2,"m":-0.50,"s":"x","o":{"k":"v"},"z":12345678901234567890}`, // top-level numbers keep their literal
	} {
		got, err := Decode([]byte(in))
		if err != nil {
			t.Errorf("Decode(%q): %v", in, err)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(in))
		dec.UseNumber()
		var want map[string]any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("Decode(%q) (-encoding/json +Decode):\n%s", in, d)
		}
	}
}
