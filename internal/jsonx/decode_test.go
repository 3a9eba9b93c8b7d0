package jsonx

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeCases are inputs with the outcome encoding/json gives them; every
// case is also checked against encoding/json itself, and they seed
// FuzzDecodeObject.
var decodeCases = []struct {
	name string
	in   string
	ok   bool
}{
	// Objects and whitespace.
	{"empty object", `{}`, true},
	{"whitespace around", " \t\r\n{ \t\r\n} \t\r\n", true},
	{"nested", `{"a":{"b":{"c":[1,[2,[]],{}]}}}`, true},
	{"all kinds", `{"s":"x","n":-1.5e+3,"t":true,"f":false,"z":null,"a":[],"o":{}}`, true},
	{"duplicate keys last wins", `{"a":1,"a":"two","b":{"x":1},"b":{"y":2}}`, true},
	{"empty key", `{"":""}`, true},
	{"form feed is not whitespace", "{}\f", false},
	{"vertical tab is not whitespace", "\v{}", false},
	{"non-breaking space is not whitespace", "{}\u00a0", false},
	{"byte order mark", "\ufeff{}", false},

	// Top-level values that are not objects.
	{"empty input", ``, false},
	{"only whitespace", "  \n", false},
	{"null", `null`, false},
	{"array", `[{}]`, false},
	{"string", `"{}"`, false},
	{"number", `1`, false},
	{"true", `true`, false},

	// Trailing data.
	{"second object", `{}{}`, false},
	{"stray brace", `{}}`, false},
	{"stray bracket", `{"a":[]}]`, false},
	{"stray comma", `{},`, false},
	{"trailing text", `{} x`, false},
	{"trailing NUL", "{}\x00", false},

	// Object syntax.
	{"unclosed", `{`, false},
	{"unclosed after member", `{"a":1`, false},
	{"unclosed after comma", `{"a":1,`, false},
	{"trailing comma", `{"a":1,}`, false},
	{"leading comma", `{,"a":1}`, false},
	{"missing colon", `{"a" 1}`, false},
	{"missing value", `{"a":}`, false},
	{"missing comma", `{"a":1 "b":2}`, false},
	{"unquoted key", `{a:1}`, false},
	{"single-quoted key", `{'a':1}`, false},
	{"number key", `{1:1}`, false},
	{"bracket closes object", `{"a":1]`, false},
	{"brace closes array", `{"a":[1}}`, false},
	{"array trailing comma", `{"a":[1,]}`, false},
	{"array leading comma", `{"a":[,1]}`, false},
	{"array missing comma", `{"a":[1 2]}`, false},
	{"array unclosed", `{"a":[1`, false},
	{"comment", `{/* c */}`, false},

	// Literals.
	{"literals", `{"a":[true,false,null]}`, true},
	{"capital True", `{"a":True}`, false},
	{"truncated true", `{"a":tru}`, false},
	{"truncated at end", `{"a":nul`, false},
	{"literal glued to letter", `{"a":truex}`, false},
	{"literal glued to digit", `{"a":null1}`, false},
	{"NaN", `{"a":NaN}`, false},
	{"Infinity", `{"a":-Infinity}`, false},
	{"undefined", `{"a":undefined}`, false},

	// Numbers: kept as literal text.
	{"numbers", `{"a":[0,-0,1,-1,0.5,-0.5,1e5,1E5,1e+5,1e-5,1.5E-05,0e0,-0.0e-0]}`, true},
	{"huge numbers", `{"a":123456789012345678901234567890,"b":1e999999,"c":-1e-999999,"d":0.000000000000000000000000000001}`, true},
	{"leading zero", `{"a":01}`, false},
	{"leading zeros negative", `{"a":-00}`, false},
	{"plus sign", `{"a":+1}`, false},
	{"leading dot", `{"a":.5}`, false},
	{"trailing dot", `{"a":1.}`, false},
	{"dot before exponent", `{"a":1.e5}`, false},
	{"bare minus", `{"a":-}`, false},
	{"minus minus", `{"a":--1}`, false},
	{"minus dot", `{"a":-.5}`, false},
	{"exponent without digits", `{"a":1e}`, false},
	{"exponent sign without digits", `{"a":1e+}`, false},
	{"exponent double sign", `{"a":1e+-1}`, false},
	{"hex number", `{"a":0x1F}`, false},
	{"number glued to letter", `{"a":1a}`, false},
	{"number then second dot", `{"a":1.2.3}`, false},
	{"number at end", `{"a":1`, false},
	{"minus at end", `{"a":-`, false},
	{"exponent at end", `{"a":1e`, false},

	// Strings and escapes.
	{"escapes", `{"a":"\"\\\/\b\f\n\r\t"}`, true},
	{"unicode escapes", `{"a":"\u0041\u00e9\u20AC\u0000\u001f\uFFFF\uffFE"}`, true},
	{"surrogate pair", `{"a":"\ud83d\ude00","\uD834\uDD1E":1}`, true},
	{"lone high surrogate", `{"a":"\ud83d"}`, true},
	{"lone high surrogate then text", `{"a":"\ud83dxyz"}`, true},
	{"lone low surrogate", `{"a":"\ude00"}`, true},
	{"low then high surrogate", `{"a":"\ude00\ud83d"}`, true},
	{"high high low", `{"a":"\ud83d\ud83d\ude00"}`, true},
	{"high then non-surrogate escape", `{"a":"\ud83d\u0041"}`, true},
	{"high then short escape", `{"a":"\ud83d\u00"}`, false},
	{"high then backslash n", `{"a":"\ud83d\n"}`, true},
	{"invalid escape", `{"a":"\x41"}`, false},
	{"single quote escape", `{"a":"\'"}`, false},
	{"escaped apostrophe in key", `{"\'":1}`, false},
	{"escape at end", `{"a":"\`, false},
	{"short unicode escape", `{"a":"\u12"}`, false},
	{"non-hex unicode escape", `{"a":"\u12G4"}`, false},
	{"unicode escape at end", `{"a":"\u12`, false},
	{"capital U escape", `{"a":"\U0041"}`, false},
	{"unterminated string", `{"a":"abc`, false},
	{"unterminated key", `{"abc`, false},
	{"raw newline in string", "{\"a\":\"x\ny\"}", false},
	{"raw tab in string", "{\"a\":\"x\ty\"}", false},
	{"raw NUL in string", "{\"a\":\"\x00\"}", false},
	{"raw control in key", "{\"\x1f\":1}", false},
	{"DEL in string", "{\"a\":\"\x7f\"}", true},
	{"UTF-8 text", `{"名前":"Jürgen Müller ✓ 😀"}`, true},
	{"U+2028 raw", "{\"a\":\"\u2028\u2029\"}", true},
	{"invalid UTF-8 byte", "{\"a\":\"x\xffy\"}", true},
	{"invalid UTF-8 in key", "{\"\xfe\":\"\xc3\"}", true},
	{"truncated UTF-8 sequence", "{\"a\":\"\xe2\x82\"}", true},
	{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", true},
	{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", true},
	{"invalid UTF-8 with escapes", "{\"a\":\"\\n\xff\\u00e9\xc3\xa9\"}", true},
	{"encoded U+FFFD", "{\"a\":\"\xef\xbf\xbd\"}", true},
	{"invalid UTF-8 outside string", "{\"a\":1\xff}", false},
}

func TestDecodeObjectMatchesEncodingJSON(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := stdDecodeObject([]byte(tc.in)); (err == nil) != tc.ok {
				t.Fatalf("the table is wrong about encoding/json: ok=%v, but encoding/json gives error %v", tc.ok, err)
			}
			checkDecode(t, []byte(tc.in))
		})
	}
}

// TestDecodeObjectValues pins the decoded values of the rules in the
// package comment, beyond agreeing with encoding/json.
func TestDecodeObjectValues(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]any
	}{
		{"numbers stay literal", `{"a":1.50,"b":-0,"c":1E+2,"d":123456789012345678901234567890}`,
			map[string]any{"a": json.Number("1.50"), "b": json.Number("-0"), "c": json.Number("1E+2"), "d": json.Number("123456789012345678901234567890")}},
		{"kinds", `{"s":"x","t":true,"f":false,"n":null,"a":[],"o":{}}`,
			map[string]any{"s": "x", "t": true, "f": false, "n": nil, "a": []any{}, "o": map[string]any{}}},
		{"last duplicate wins", `{"a":1,"b":2,"a":3}`,
			map[string]any{"a": json.Number("3"), "b": json.Number("2")}},
		{"escapes", `{"a":"\"\\\/\b\f\n\r\t\u00e9"}`, map[string]any{"a": "\"\\/\b\f\n\r\t\u00e9"}},
		{"surrogate pair", `{"a":"\ud83d\ude00"}`, map[string]any{"a": "😀"}},
		{"lone surrogates", `{"a":"\ud83dx\ude00\ude00\ud83d"}`, map[string]any{"a": "\uFFFDx\uFFFD\uFFFD\uFFFD"}},
		{"high high low", `{"a":"\ud83d\ud83d\ude00"}`, map[string]any{"a": "\uFFFD😀"}},
		{"invalid UTF-8 per byte", "{\"a\":\"\xff\xe2\x82x\xed\xa0\x80\"}", map[string]any{"a": "\uFFFD\uFFFD\uFFFDx\uFFFD\uFFFD\uFFFD"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkDecode(t, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DecodeObject(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestDecodeObjectUser(t *testing.T) {
	b := readUser(t)
	m, err := checkDecode(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := m["meta"].(map[string]any)["version"]; got != `W/"a330bc54f0671c9"` {
		t.Errorf(`meta.version = %q, want W/"a330bc54f0671c9"`, got)
	}
	// Compact form too.
	compact := checkMarshal(t, m)
	checkDecode(t, compact)
}

// nested returns an object nested depth levels deep in total: the
// top-level object and depth-1 containers inside it, taken in turn from
// kinds ('a' for an array, 'o' for an object).
func nested(depth int, kinds string) string {
	var open, close strings.Builder
	open.WriteString(`{"a":`)
	for level := 1; level < depth; level++ {
		if kinds[level%len(kinds)] == 'a' {
			open.WriteString("[")
			close.WriteString("]")
		} else {
			open.WriteString(`{"k":`)
			close.WriteString("}")
		}
	}
	closing := []byte(close.String())
	slices.Reverse(closing)
	return open.String() + "1" + string(closing) + "}"
}

func TestDecodeObjectDepth(t *testing.T) {
	for _, tc := range []struct {
		name  string
		depth int
		ok    bool
	}{
		{"at the limit", maxNestingDepth, true},
		{"one past the limit", maxNestingDepth + 1, false},
		{"far past the limit", 1_000_000, false},
	} {
		for _, kinds := range []string{"a", "o", "ao"} {
			t.Run(tc.name+"/"+kinds, func(t *testing.T) {
				in := []byte(nested(tc.depth, kinds))
				_, err := checkDecode(t, in)
				if (err == nil) != tc.ok {
					t.Fatalf("error %v, want ok=%v", err, tc.ok)
				}
				if err != nil && !strings.Contains(err.Error(), "nesting depth") {
					t.Errorf("error %q does not mention the nesting depth", err)
				}
			})
		}
	}
}

func TestDecodeObjectErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int64
		msg    string
	}{
		{``, 0, "unexpected end of JSON input looking for beginning of object"},
		{" \n", 2, "unexpected end of JSON input looking for beginning of object"},
		{`  [1]`, 2, "top-level value is not an object: found '['"},
		{`null`, 0, "top-level value is not an object: found 'n'"},
		{`{} }`, 3, "trailing data: invalid character '}' after top-level object"},
		{`{"a":1,}`, 7, "invalid character '}' looking for beginning of object key string"},
		{`{"a" 1}`, 5, "invalid character '1' after object key"},
		{`{"a":1 "b":2}`, 7, `invalid character '"' after object key:value pair`},
		{`{"a":[1 2]}`, 8, "invalid character '2' after array element"},
		{`{"a":01}`, 6, "invalid character '1' after object key:value pair"},
		{`{"a":1.}`, 7, "invalid character '}' after decimal point in numeric literal"},
		{`{"a":1e}`, 7, "invalid character '}' in exponent of numeric literal"},
		{`{"a":-x}`, 6, "invalid character 'x' in numeric literal"},
		{`{"a":tru}`, 8, "invalid character '}' in literal true"},
		{`{"a":"\x"}`, 7, "invalid character 'x' in string escape code"},
		{`{"a":"\u12G4"}`, 10, `invalid character 'G' in \u hexadecimal character escape`},
		{"{\"a\":\"x\ny\"}", 7, "invalid character byte 0xa in string literal"},
		{`{"a":"abc`, 9, "unexpected end of JSON input in string literal"},
		{`{"a":[`, 6, "unexpected end of JSON input looking for beginning of value"},
		{`{"a":1`, 6, "unexpected end of JSON input after object key:value pair"},
		{nested(maxNestingDepth+1, "a"), 5 + maxNestingDepth - 1, "exceeded max nesting depth of 10000"},
	}
	for _, tc := range tests {
		_, err := DecodeObject([]byte(tc.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("DecodeObject(%.40q): error %v, want a *SyntaxError", tc.in, err)
			continue
		}
		if se.Offset != tc.offset || se.Msg != tc.msg {
			t.Errorf("DecodeObject(%.40q): error {%q, offset %d}, want {%q, offset %d}", tc.in, se.Msg, se.Offset, tc.msg, tc.offset)
		}
		if want := "jsonx: " + tc.msg + " at offset "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("DecodeObject(%.40q).Error() = %q, want prefix %q", tc.in, err, want)
		}
	}
}

// TestDecodeObjectDoesNotRetainInput checks that decoded strings and
// numbers do not share memory with the input.
func TestDecodeObjectDoesNotRetainInput(t *testing.T) {
	in := []byte(`{"key":"value","n":12,"e":"\u00e9"}`)
	m, err := DecodeObject(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'X'
	}
	want := map[string]any{"key": "value", "n": json.Number("12"), "e": "é"}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("decoded map changed with its input (-want +got):\n%s", diff)
	}
}

// TestDecodeObjectInternedKeys: member names decoded from the shared set
// and from escapes or near misses are the same names, with encoding/json's
// last-wins rule across spellings of one name.
func TestDecodeObjectInternedKeys(t *testing.T) {
	for _, in := range []string{
		`{"userName":1,"user\u004eame":2}`,
		`{"user\u004eame":1,"userName":2}`,
		`{"id":"a","ID":"b","Id":"c","idx":"d","i":"e"}`,
		`{"Resources":[{"id":"1","meta":{"version":"W/\"1\""}}],"resources":null,"totalResults":1}`,
		`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:Userx":1}`,
		`{"userNam":1,"userNamee":2,"":3}`,
	} {
		checkDecode(t, []byte(in))
	}
	m, err := DecodeObject([]byte(`{"userName":1,"user\u004eame":2}`))
	if err != nil || len(m) != 1 || m["userName"] != json.Number("2") {
		t.Errorf("decoded %v, %v; want only userName = 2", m, err)
	}
}
