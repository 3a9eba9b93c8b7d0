package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MarshalJSON encodes the list response. Empty Schemas become
// [ListResponseSchema] and nil Resources become [] (Entra expects an empty
// list, not null, when nothing matched).
func (l ListResponse) MarshalJSON() ([]byte, error) {
	type plain ListResponse
	p := plain(l)
	if len(p.Schemas) == 0 {
		p.Schemas = []string{ListResponseSchema}
	}
	if p.Resources == nil {
		p.Resources = []Resource{}
	}
	return json.Marshal(p)
}

// UnmarshalJSON decodes a list response. The counts may be numbers or
// numeric strings (some servers quote them); anything else is an error
// naming the field. A missing "Resources" leaves Resources nil; a null
// element of it is an error.
func (l *ListResponse) UnmarshalJSON(data []byte) error {
	var raw struct {
		Schemas      []string        `json:"schemas"`
		TotalResults json.RawMessage `json:"totalResults"`
		ItemsPerPage json.RawMessage `json:"itemsPerPage"`
		StartIndex   json.RawMessage `json:"startIndex"`
		Resources    []Resource      `json:"Resources"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("scim: decoding list response: %w", err)
	}
	for i, r := range raw.Resources {
		if r == nil {
			return fmt.Errorf("scim: decoding list response: Resources[%d] is null", i)
		}
	}
	out := ListResponse{Schemas: raw.Schemas, Resources: raw.Resources}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *int
	}{
		{"totalResults", raw.TotalResults, &out.TotalResults},
		{"itemsPerPage", raw.ItemsPerPage, &out.ItemsPerPage},
		{"startIndex", raw.StartIndex, &out.StartIndex},
	} {
		n, err := flexInt(f.raw)
		if err != nil {
			return fmt.Errorf("scim: decoding list response: %s: %w", f.name, err)
		}
		*f.dst = n
	}
	*l = out
	return nil
}

// flexInt decodes a non-negative integer sent as a number or a string; an
// absent or null value is 0.
func flexInt(raw json.RawMessage) (int, error) {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 || bytes.Equal(s, []byte("null")) {
		return 0, nil
	}
	text := string(s)
	if s[0] == '"' {
		if err := json.Unmarshal(s, &text); err != nil {
			return 0, err
		}
		text = strings.TrimSpace(text)
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s is not a non-negative integer", shorten(string(s)))
	}
	return n, nil
}
