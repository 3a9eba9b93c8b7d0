package jsonx

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeObject holds DecodeObject to encoding/json on arbitrary bytes:
// both accept or both refuse, and accepted input decodes to the same value
// (which also marshals to the same bytes).
func FuzzDecodeObject(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.in))
	}
	f.Add(readUser(f))
	f.Add([]byte(nested(50, "ao")))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := checkDecode(t, b)
		if err != nil {
			return
		}
		checkMarshal(t, got)
	})
}

// FuzzMarshal holds Marshal to json.Marshal: on the values encoding/json
// decodes the fuzz input to (with and without UseNumber), and on strings,
// json.Numbers, float64s and ints made from the raw fuzz bytes.
func FuzzMarshal(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.in))
	}
	f.Add(readUser(f))
	for _, s := range marshalStrings {
		f.Add([]byte(s))
		q, _ := json.Marshal(s)
		f.Add(q)
	}
	for _, x := range marshalFloats {
		f.Add([]byte(strconv.FormatFloat(x, 'g', -1, 64)))
		f.Add(binary.LittleEndian.AppendUint64(nil, math.Float64bits(x)))
	}
	for _, s := range []string{
		"1e21", "1e-7", "0.000001", "-0", "123456789012345678901234567890", "1e20", "9.999999999999999e20",
		"1e-6", "9.99999999999e-7", "-1e-7", "5e-324", "1.7976931348623157e308", "1e309", "NaN", "-Inf", "0x1p-2",
		`[1.0, 1e2, -0.0, 1E-7, 100000000000000000000000]`, `{"<":"&","b":[true,null,{}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if json.Valid(b) {
			for _, useNumber := range []bool{true, false} {
				dec := json.NewDecoder(bytes.NewReader(b))
				if useNumber {
					dec.UseNumber()
				}
				var v any
				if err := dec.Decode(&v); err != nil {
					if useNumber {
						t.Fatalf("json.Valid(%q) but Decode with UseNumber: %v", b, err)
					}
					continue // a number out of float64's range
				}
				checkMarshal(t, v)
			}
		}

		s := string(b)
		checkMarshal(t, s)
		checkMarshal(t, map[string]any{s: s, "k": []string{s}})
		checkMarshal(t, json.Number(s))
		checkMarshal(t, []any{json.Number(strings.TrimSpace(s))})

		// ParseFloat's value is ±Inf or ±0 on a range error.
		if x, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil || strings.Contains(err.Error(), "range") {
			checkMarshal(t, x)
			checkMarshal(t, map[string]any{"x": x})
		}
		if x, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			checkMarshal(t, x)
			checkMarshal(t, []any{int(x)})
		}
		// Any bit pattern, NaNs and subnormals included, from the first
		// bytes (more would only slow every execution down).
		for k := 0; k < 4 && len(b) >= 8; k++ {
			checkMarshal(t, math.Float64frombits(binary.LittleEndian.Uint64(b)))
			b = b[8:]
		}
	})
}
