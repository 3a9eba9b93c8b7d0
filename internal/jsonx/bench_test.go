package jsonx

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The benchmarks decode and encode testdata/user.json, a ~1 KB SCIM user
// as the Druva SCIM API returns it, with encoding/json side by side.

func BenchmarkDecodeObject(b *testing.B) {
	data := readUser(b)
	b.Run("jsonx", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := DecodeObject(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What the druva client used before jsonx.
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The exact equivalent of DecodeObject's result.
	b.Run("encoding/json-UseNumber", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkMarshal(b *testing.B) {
	m, err := DecodeObject(readUser(b))
	if err != nil {
		b.Fatal(err)
	}
	out, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("jsonx", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(out)))
		for b.Loop() {
			if _, err := Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsonx-Append", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(out)))
		buf := make([]byte, 0, 2*len(out))
		for b.Loop() {
			var err error
			if buf, err = AppendMarshal(buf[:0], m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(out)))
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
