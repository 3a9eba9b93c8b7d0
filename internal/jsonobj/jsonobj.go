package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Decode decodes b, which must hold exactly one JSON object (whitespace
// around it allowed), into a map: strings, booleans, null, arrays and
// objects become string, bool, nil, []any and map[string]any, numbers
// [json.Number]. A member that occurs twice with the same spelling keeps
// its last value, as with encoding/json.
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
