package jsonobj

// The codec comparison: encoding/json with UseNumber (exact numbers),
// github.com/go-json-experiment/json with an unmarshaler that keeps numbers
// exact (json-v2-number) and with its float64 default (json-v2-float64,
// not exact: for reference), and Decode, which uses the float64 decoder
// and falls back to encoding/json when the body holds a number. Inputs: a
// 1 KB SCIM user (testdata/user.json), a list page of 100 of them, and the
// user's create body, encoded by encoding/json, by a reused Encoder and by
// go-json-experiment.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

func userBody(b *testing.B) []byte {
	d, err := os.ReadFile("testdata/user.json")
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func pageBody(b *testing.B, n int) []byte {
	u := string(userBody(b))
	var sb strings.Builder
	sb.WriteString(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":100000,"startIndex":1,"itemsPerPage":100,"Resources":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(u)
	}
	sb.WriteString("]}")
	return []byte(sb.String())
}

func v1Decode(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	return m, nil
}

var numOpt = jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *any) error {
	if dec.PeekKind() != '0' {
		return errors.ErrUnsupported
	}
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	*v = json.Number(string(val))
	return nil
}))

func v2DecodeNum(b []byte) (map[string]any, error) {
	var m map[string]any
	err := jsonv2.Unmarshal(b, &m, numOpt)
	return m, err
}

func v2DecodeFloat(b []byte) (map[string]any, error) {
	var m map[string]any
	err := jsonv2.Unmarshal(b, &m)
	return m, err
}

func benchDecode(b *testing.B, data []byte) {
	for _, c := range []struct {
		name string
		f    func([]byte) (map[string]any, error)
	}{{"encoding-json", v1Decode}, {"json-v2-number", v2DecodeNum}, {"json-v2-float64", v2DecodeFloat}, {"jsonobj.Decode", Decode}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := c.f(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCmpDecodeUser(b *testing.B) { benchDecode(b, userBody(b)) }
func BenchmarkCmpDecodePage(b *testing.B) { benchDecode(b, pageBody(b, 100)) }

func BenchmarkCmpEncodeUser(b *testing.B) {
	m, err := v1Decode(userBody(b))
	if err != nil {
		b.Fatal(err)
	}
	delete(m, "id")
	delete(m, "meta")
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsonobj.Encoder", func(b *testing.B) {
		b.ReportAllocs()
		var e Encoder
		for b.Loop() {
			if _, err := e.Encode(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-v2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jsonv2.Marshal(m, jsonv2.Deterministic(true)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
