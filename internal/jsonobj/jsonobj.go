package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Decode decodes b, which must hold exactly one JSON object (whitespace
// around it allowed), into a map: strings, booleans, null, arrays and
// objects become string, bool, nil, []any and map[string]any, numbers
// [json.Number]. The result, and whether b is accepted, are those of an
// encoding/json Decoder with UseNumber; a member that occurs twice with
// the same spelling keeps its last value.
//
// Bodies without numbers below their top level, nearly all of them, are
// decoded by github.com/go-json-experiment/json, which is several times
// faster, with top-level numbers (a list's totalResults) read back as
// their literal text; a body it refuses or that holds a nested number is
// decoded again by encoding/json, whose answer counts. BENCHMARKS.md has
// the figures.
//
// The error says what was wrong and, for invalid JSON, at which byte.
func Decode(b []byte) (map[string]any, error) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return nil, errors.New("empty body where a JSON object was expected")
	}
	if t[0] != '{' {
		return nil, fmt.Errorf("not a JSON object: it starts with %q", t[0])
	}
	var m map[string]any
	if jsonv2.Unmarshal(t, &m) == nil && exactTopNumbers(t, m) {
		return m, nil
	}
	return decodeExact(t)
}

// exactTopNumbers makes the numbers of m, decoded from t as float64,
// exact: a number among the members of the object itself (a list's
// totalResults) is replaced by its literal text, read from t. It reports
// false, for the caller to decode t with encoding/json, when a number is
// nested deeper.
func exactTopNumbers(t []byte, m map[string]any) bool {
	top := false
	for _, v := range m {
		if _, ok := v.(float64); ok {
			top = true
		} else if hasNumber(v) {
			return false
		}
	}
	if !top {
		return true
	}
	dec := jsontext.NewDecoder(bytes.NewReader(t))
	if _, err := dec.ReadToken(); err != nil {
		return false
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return false
		}
		name := tok.String() // before the next read voids tok
		if dec.PeekKind() != '0' {
			if dec.SkipValue() != nil {
				return false
			}
			continue
		}
		num, err := dec.ReadToken()
		if err != nil {
			return false
		}
		m[name] = json.Number(num.String())
	}
	return true
}

// decodeExact is Decode with encoding/json alone.
func decodeExact(t []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, describe(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON object, which ends at byte %d", end)
	}
	return m, nil
}

// hasNumber reports whether a decoded value holds a number anywhere.
func hasNumber(v any) bool {
	switch x := v.(type) {
	case float64:
		return true
	case map[string]any:
		for _, e := range x {
			if hasNumber(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasNumber(e) {
				return true
			}
		}
	}
	return false
}

// describe turns encoding/json's errors into text that says where the
// problem is.
func describe(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the body ends inside the object")
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// Members returns the values of the members of m named names, matched
// without regard to case: vals[i] is the value of names[i], nil when the
// member is absent or null. An object that spells one name two ways is
// refused with an error naming both spellings.
func Members(m map[string]any, names ...string) (vals []any, err error) {
	vals = make([]any, len(names))
	keys := make([]string, len(names))
	for k, v := range m {
		for i, name := range names {
			if !strings.EqualFold(k, name) {
				continue
			}
			if keys[i] != "" {
				return nil, fmt.Errorf("both %q and %q", min(keys[i], k), max(keys[i], k))
			}
			keys[i], vals[i] = k, v
			break
		}
	}
	return vals, nil
}
