package jsonx

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Types whose encoding json.Marshal decides; AppendMarshal hands them to it.
type (
	namedMap     map[string]any
	namedString  string
	marshaler    struct{ s string }
	ptrMarshaler struct{}
	failing      struct{}
	textKey      int
	person       struct {
		Name  string            `json:"name"`
		Tags  []string          `json:"tags,omitempty"`
		Extra map[string]any    `json:"extra,omitempty"`
		Next  *person           `json:"next,omitempty"`
		Attrs map[textKey]int64 `json:"attrs,omitempty"`
	}
)

func (m marshaler) MarshalJSON() ([]byte, error) { return []byte(` { "raw" : ` + m.s + ` } `), nil }

func (*ptrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"pointer"`), nil }

func (failing) MarshalJSON() ([]byte, error) { return nil, errors.New("boom") }

func (k textKey) MarshalText() ([]byte, error) { return []byte("k<" + string(rune('a'+k)) + ">"), nil }

// marshalFloats are float64 values around encoding/json's formatting
// cutoffs; they also seed FuzzMarshal.
var marshalFloats = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.1, 0.5, 1.5, -2.25, 100, 123456789,
	1e20, 1e21, 1e21 - 65536, 999999999999999999999, 1.0000000000000001e21, 1e22, -1e21, 1e100, 1e308, math.MaxFloat64,
	1e-6, 1e-7, 0.000001, 0.0000001, 9.999999999999999e-7, 1.0000000000000002e-6, -1e-6, -1e-7, 1e-10, 1.5e-9, 1e-100, 1e-300,
	5e-324, math.SmallestNonzeroFloat64, 2.2250738585072014e-308, math.MaxInt64, math.MinInt64, 1 << 53, 1<<53 + 1,
	123456789012345678901234567890, 1.23456789e-5, 3.141592653589793, 1.7976931348623157e308, 4.9e-324, 12e-8, 1e9,
}

func TestMarshalFloats(t *testing.T) {
	for _, f := range marshalFloats {
		checkMarshal(t, f)
		checkMarshal(t, -f)
		checkMarshal(t, []any{f, -f})
		checkMarshal(t, map[string]any{"f": f})
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		checkMarshal(t, f)
		checkMarshal(t, map[string]any{"ok": 1.0, "z": []any{f}})
		var uve *json.UnsupportedValueError
		if _, err := Marshal(f); !errors.As(err, &uve) {
			t.Errorf("Marshal(%v): error %v, want a *json.UnsupportedValueError", f, err)
		}
	}
}

// marshalStrings are strings that need escaping; they also seed
// FuzzMarshal.
var marshalStrings = []string{
	"", "plain", `"quoted"`, `back\slash`, "a/b", "<script>&amp;</script>", "\b\f\n\r\t",
	"\x00\x01\x1f\x7f", "\u2028\u2029", "\u2027\u202a", "é€😀", "\uFFFD", "\xef\xbf\xbd",
	"\xff", "x\xfey", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "ends in \xe2",
	"\xe2\x80\xa8\xe2\x80", strings.Repeat("long ascii ", 20), "tab\there",
}

func TestMarshalStrings(t *testing.T) {
	for _, s := range marshalStrings {
		checkMarshal(t, s)
		checkMarshal(t, map[string]any{s: s})
		checkMarshal(t, []string{s, "x"})
		checkMarshal(t, []any{s})
	}
	// Every single byte, and every byte after a valid prefix.
	for c := range 256 {
		s := string([]byte{byte(c)})
		checkMarshal(t, s)
		checkMarshal(t, "é"+s+"é")
		checkMarshal(t, map[string]any{s: 1})
	}
	// Every rune of the BMP edges and around the separators.
	for _, r := range []rune{0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x10ffff, 0x2027, 0x2028, 0x2029, 0x202a} {
		checkMarshal(t, "a"+string(r)+"b")
	}
	if !utf8.ValidString(string(checkMarshal(t, "\xff"))) {
		t.Error("invalid UTF-8 was not replaced")
	}
}

func TestMarshalNumbers(t *testing.T) {
	valid := []string{"", "0", "-0", "1", "-1", "10", "1.5", "-0.5", "1e5", "1E5", "1e+5", "1e-5", "1.5E-05", "123456789012345678901234567890", "0.0000001"}
	invalid := []string{"-", "01", "+1", ".5", "1.", "1e", "1e+", "1ee5", "0x10", " 1", "1 ", "NaN", "Infinity", "1.5.5", "--1", "1e5.5", "\x00", "１"}
	for _, s := range valid {
		if got := checkMarshal(t, json.Number(s)); s != "" && string(got) != s {
			t.Errorf("Marshal(json.Number(%q)) = %q, want it verbatim", s, got)
		}
		checkMarshal(t, map[string]any{"n": json.Number(s)})
	}
	for _, s := range invalid {
		if _, err := Marshal(json.Number(s)); err == nil {
			t.Errorf("Marshal(json.Number(%q)): no error", s)
		}
		checkMarshal(t, json.Number(s))
		checkMarshal(t, []any{1, json.Number(s)})
	}
	if got := checkMarshal(t, json.Number("")); string(got) != "0" {
		t.Errorf(`Marshal(json.Number("")) = %q, want 0`, got)
	}
}

func TestMarshalValues(t *testing.T) {
	cyclicMap := map[string]any{"a": 1}
	cyclicMap["self"] = cyclicMap
	cyclicSlice := []any{1, nil}
	cyclicSlice[1] = cyclicSlice
	mixedCycle := map[string]any{}
	mixedCycle["s"] = []any{"x", map[string]any{"back": mixedCycle}}

	// A cycle through a pointer (handed to json.Marshal) and a map, reached
	// at an odd and at an even depth: json.Marshal names the type at which
	// it noticed the cycle, which depends on the depth it started from.
	type node struct{ M map[string]any }
	ptrCycle := &node{}
	ptrCycle.M = map[string]any{"n": ptrCycle}

	deep := any("leaf")
	for range 3000 {
		deep = []any{map[string]any{"d": deep}}
	}

	tests := []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"true", true},
		{"false", false},
		{"int", 42},
		{"negative int", -7},
		{"max int64", int64(math.MaxInt64)},
		{"min int64", int64(math.MinInt64)},
		{"nil map", map[string]any(nil)},
		{"empty map", map[string]any{}},
		{"nil slice", []any(nil)},
		{"empty slice", []any{}},
		{"nil []string", []string(nil)},
		{"empty []string", []string{}},
		{"keys sorted byte-wise", map[string]any{"b": 1, "a": 2, "B": 3, "": 4, "aa": 5, "é": 6, "z": 7, "\xff": 8, "\x00": 9, "<": 10, "a\u2028": 11}},
		{"more keys than the stack array", func() map[string]any {
			m := map[string]any{}
			for i := range 100 {
				m[strings.Repeat("k", i%7)+string(rune('A'+i))] = i
			}
			return m
		}()},
		{"nested", map[string]any{"a": []any{map[string]any{"b": nil, "c": []any{}, "d": map[string]any{}}, []string{"x"}, []any(nil), map[string]any(nil)}}},
		{"nil inside", []any{nil, map[string]any{"n": nil}}},
		{"other ints", []any{int8(-8), int16(16), int32(-32), uint(1), uint8(8), uint16(16), uint32(32), uint64(math.MaxUint64), uintptr(7)}},
		{"float32", []any{float32(0.1), float32(1e21), float32(1e-7), float32(3.4e38)}},
		{"named map", namedMap{"b": 1, "a": namedMap{"x": "<"}}},
		{"named string", namedString("<b>")},
		{"map in named map", map[string]any{"n": namedMap{"z": 1, "a": 2}}},
		{"MarshalJSON is compacted and HTML-escaped", map[string]any{"m": marshaler{`"<&>"`}}},
		{"pointer receiver MarshalJSON on a value", map[string]any{"p": ptrMarshaler{}}},
		{"pointer receiver MarshalJSON on a pointer", map[string]any{"p": &ptrMarshaler{}}},
		{"MarshalJSON error", map[string]any{"a": 1, "b": failing{}}},
		{"first error in key order wins", map[string]any{"b": math.NaN(), "a": failing{}}},
		{"invalid MarshalJSON output", map[string]any{"m": marshaler{"{"}}},
		{"struct", map[string]any{"p": person{Name: "<x>", Tags: []string{"a"}, Extra: map[string]any{"k": json.Number("1.0")}, Attrs: map[textKey]int64{2: 1, 1: 2}}}},
		{"pointer to struct", []any{&person{Name: "n", Next: &person{Name: "m"}}}},
		{"nil pointer", []any{(*person)(nil)}},
		{"time", map[string]any{"t": time.Date(2024, 2, 29, 12, 0, 0, 5, time.UTC)}},
		{"raw message", map[string]any{"r": json.RawMessage(` [ 1 , "<" ] `)}},
		{"bytes", map[string]any{"b": []byte("hello\xff")}},
		{"map[string]string", map[string]any{"m": map[string]string{"b": "1", "a": "2"}}},
		{"[]map[string]any", []map[string]any{{"a": 1}, nil}},
		{"pointer to map", &map[string]any{"a": 1}},
		{"unsupported type", map[string]any{"c": make(chan int)}},
		{"unsupported func", []any{func() {}}},
		{"complex", []any{complex(1, 2)}},
		{"map cycle", cyclicMap},
		{"slice cycle", cyclicSlice},
		{"mixed cycle", mixedCycle},
		{"cycle below the top", []any{1, map[string]any{"c": cyclicMap}}},
		{"deep but finite", deep},
		{"pointer cycle", ptrCycle},
		{"pointer cycle at depth 1", []any{ptrCycle}},
		{"pointer cycle at depth 2", map[string]any{"a": []any{ptrCycle}}},
		{"pointer cycle at depth 3", map[string]any{"a": []any{[]any{ptrCycle}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkMarshal(t, tc.v)
		})
	}
}

func TestMarshalUser(t *testing.T) {
	m, err := DecodeObject(readUser(t))
	if err != nil {
		t.Fatal(err)
	}
	checkMarshal(t, m)

	var withFloats map[string]any
	if err := json.Unmarshal(readUser(t), &withFloats); err != nil {
		t.Fatal(err)
	}
	withFloats["quota"] = 1.5e10
	withFloats["ratio"] = 1e-9
	checkMarshal(t, withFloats)
}

func TestAppendMarshalError(t *testing.T) {
	dst := []byte("keep")
	out, err := AppendMarshal(dst, map[string]any{"a": "x", "b": math.Inf(1)})
	if err == nil {
		t.Fatal("no error for +Inf")
	}
	if string(out) != "keep" {
		t.Errorf("AppendMarshal returned %q with an error, want dst unchanged (%q)", out, "keep")
	}
}

// TestAllocations pins the allocation behaviour of the encoder: nothing
// but the result (and nothing at all with a large enough dst).
func TestAllocations(t *testing.T) {
	m, err := DecodeObject(readUser(t))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() {
		if _, err := AppendMarshal(buf, m); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AppendMarshal of the SCIM user into a large enough buffer: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := Marshal(m); err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Errorf("Marshal of the SCIM user: %v allocations, want 1 (the result)", n)
	}
}
