package jsonobj

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
)

// An Encoder encodes objects into JSON, byte for byte as
// encoding/json.Marshal does: members sorted by name, <, > and & and the
// JavaScript line separators escaped, numbers ([json.Number]) as written.
// It writes jsontext tokens without reflection and keeps its buffers from
// one object to the next. Values other than nil, bool, string,
// json.Number, []any, []string and map[string]any, and anything jsontext
// refuses (invalid UTF-8, a malformed number), are left to encoding/json,
// whose answer counts. The zero Encoder is ready to use; an Encoder is not
// safe for concurrent use.
type Encoder struct {
	buf bytes.Buffer
	enc *jsontext.Encoder
}

// Encode returns the JSON encoding of m. The bytes are valid until the
// next call of Encode.
func (e *Encoder) Encode(m map[string]any) ([]byte, error) {
	e.buf.Reset()
	if e.enc == nil {
		e.enc = jsontext.NewEncoder(&e.buf, jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true), jsontext.AllowDuplicateNames(true))
	} else {
		e.enc.Reset(&e.buf, jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true), jsontext.AllowDuplicateNames(true))
	}
	if writeValue(e.enc, m) {
		b := e.buf.Bytes()
		return b[:len(b)-1], nil // the encoder ends a top-level value with a newline
	}
	return json.Marshal(m)
}

// writeValue writes v to enc and reports whether it could; false leaves
// the value to encoding/json.
func writeValue(enc *jsontext.Encoder, v any) bool {
	switch x := v.(type) {
	case nil:
		return enc.WriteToken(jsontext.Null) == nil
	case bool:
		return enc.WriteToken(jsontext.Bool(x)) == nil
	case string:
		return enc.WriteToken(jsontext.String(x)) == nil
	case json.Number:
		return isNumber(x) && enc.WriteValue(jsontext.Value(x)) == nil
	case map[string]any:
		return writeObject(enc, x)
	case []any:
		return writeArray(enc, x, func(e any) bool { return writeValue(enc, e) })
	case []string:
		return writeArray(enc, x, func(e string) bool { return enc.WriteToken(jsontext.String(e)) == nil })
	}
	return false
}

// isNumber reports whether s holds one JSON number and nothing else, as
// encoding/json requires of a json.Number. WriteValue would also take
// another kind of value, or a number with whitespace around it.
func isNumber(s json.Number) bool {
	v := jsontext.Value(s)
	return len(s) > 0 && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') && v.IsValid() && len(TrimSpace(v)) == len(v)
}

// writeArray writes the elements of a (nil: null), each with elem.
func writeArray[E any](enc *jsontext.Encoder, a []E, elem func(E) bool) bool {
	if a == nil {
		return enc.WriteToken(jsontext.Null) == nil
	}
	if enc.WriteToken(jsontext.BeginArray) != nil {
		return false
	}
	for _, e := range a {
		if !elem(e) {
			return false
		}
	}
	return enc.WriteToken(jsontext.EndArray) == nil
}

// writeObject writes m with its members sorted by name, as encoding/json
// does.
func writeObject(enc *jsontext.Encoder, m map[string]any) bool {
	if m == nil {
		return enc.WriteToken(jsontext.Null) == nil
	}
	var small [32]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if enc.WriteToken(jsontext.BeginObject) != nil {
		return false
	}
	for _, k := range keys {
		if enc.WriteToken(jsontext.String(k)) != nil || !writeValue(enc, m[k]) {
			return false
		}
	}
	return enc.WriteToken(jsontext.EndObject) == nil
}
