package druvascim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/druvascim/druvascim/scim"
)

// attrPath is a SCIM attribute path parsed once per plan (with
// [scim.ParsePath]), so that reading the same attribute from a million users
// costs a few map lookups each.
type attrPath struct {
	raw string
	p   scim.Path
	// caseExact is true when SCIM compares the attribute's values
	// case-sensitively (RFC 7643: id and externalId); userName, emails and
	// the rest compare case-insensitively.
	caseExact bool
	// active is true for the core "active" attribute.
	active bool
}

func compilePath(s string) (attrPath, error) {
	p, err := scim.ParsePath(s)
	if err != nil {
		return attrPath{raw: s}, fmt.Errorf("attribute path %q: %w", s, err)
	}
	simple := p.URN() == "" && p.SubAttribute() == "" && p.Filter() == nil
	attr := p.Attribute()
	return attrPath{
		raw:       s,
		p:         p,
		caseExact: simple && (strings.EqualFold(attr, "id") || strings.EqualFold(attr, "externalId")),
		active:    simple && strings.EqualFold(attr, "active"),
	}, nil
}

// get returns the value at the path; false when absent or null.
func (p *attrPath) get(r scim.Resource) (any, bool) {
	v, ok := r.GetPath(p.p)
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

// getString returns the value at the path as a string; false when absent or
// not a single scalar.
func (p *attrPath) getString(r scim.Resource) (string, bool) {
	v, ok := p.get(r)
	if !ok {
		return "", false
	}
	return scalarString(v)
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		if x {
			return "True", true
		}
		return "False", true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

// equalValue compares a current target value with a desired one: equal
// when [scim.Equal] says so (numbers numerically, booleans against Entra's
// "True"/"False", multi-valued attributes as sets), and with two tolerances
// for what SCIM services send back: a desired string equals a number the
// target renders as that string, and a desired object equals a current one
// that holds at least its attributes.
func equalValue(cur, want any) bool {
	if scim.Equal(cur, want) {
		return true
	}
	switch w := want.(type) {
	case string:
		c, ok := scalarString(cur)
		return ok && c == w
	case map[string]any:
		cm, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			cv, ok := scim.Resource(cm).Get(k)
			if !ok || !equalValue(cv, wv) {
				return false
			}
		}
		return true
	}
	return false
}

// render shows a value in plans and reports: JSON text, object keys sorted.
func render(v any, present bool) string {
	if !present {
		return "(none)"
	}
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return string(appendRender(nil, v))
}

// appendRender appends render's text of a present value to dst.
func appendRender(dst []byte, v any) []byte {
	n := len(dst)
	if out, ok := appendJSONText(dst, v, 0); ok {
		return out
	}
	dst = dst[:n]
	out, err := json.Marshal(v)
	if err != nil {
		return fmt.Append(dst, v)
	}
	return append(dst, out...)
}

// appendJSONText appends the JSON text of the values SCIM resources hold
// without reflection; false for anything else (the caller falls back to
// encoding/json).
func appendJSONText(b []byte, v any, depth int) ([]byte, bool) {
	if depth > 32 {
		return b, false
	}
	ok := true
	switch x := v.(type) {
	case nil:
		b = append(b, "null"...)
	case string:
		b = strconv.AppendQuote(b, x)
	case bool:
		b = strconv.AppendBool(b, x)
	case float64:
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
	case json.Number:
		b = append(b, x...)
	case int:
		b = strconv.AppendInt(b, int64(x), 10)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendJSONText(b, e, depth+1); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, e)
		}
		b = append(b, ']')
	case map[string]any:
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, k)
			b = append(b, ':')
			if b, ok = appendJSONText(b, x[k], depth+1); !ok {
				return b, false
			}
		}
		b = append(b, '}')
	default:
		return b, false
	}
	return b, true
}

// redactedValue replaces secret values in plans and reports.
const redactedValue = "[REDACTED]"

// createChanges lists a create's properties for the provisioning log, each
// "(none)" → its value, secrets masked. The properties are the resource's
// values by SCIM path, sorted: sub-attributes as "name.givenName",
// extension attributes as "urn:…:User:department", elements of a
// multi-valued attribute that carry distinct types as
// `emails[type eq "work"].value`, other lists whole; "schemas" is left out.
//
// Every create of a sync builds one, so all paths are written into one
// buffer and cut out of it: two allocations per create, not two per
// property.
func createChanges(op *Operation) []PropertyChange {
	r := op.Resource
	var keys [32]string
	t := changeText{out: make([]PropertyChange, 0, 2*len(r)), secret: secretPaths(op)}
	t.buf.Grow(512)
	for _, k := range sortedKeys(r, "schemas", keys[:0]) {
		v := r[k]
		switch x := v.(type) {
		case map[string]any:
			sep := "."
			if len(k) >= 4 && strings.EqualFold(k[:4], "urn:") {
				sep = ":"
			}
			var sub [16]string
			for _, sk := range sortedKeys(x, "", sub[:0]) {
				t.add(x[sk], k, sep, sk)
			}
		case []any:
			if !distinctTypes(x) {
				t.add(v, k)
				continue
			}
			for _, e := range x {
				m := e.(map[string]any)
				typ := scim.Quote(m["type"].(string))
				var sub [16]string
				for _, sk := range sortedKeys(m, "type", sub[:0]) {
					t.add(m[sk], k, "[type eq ", typ, "].", sk)
				}
			}
		default:
			t.add(v, k)
		}
	}
	return t.out
}

// changeText collects the changes of createChanges, their paths written
// into one buffer. A strings.Builder never writes over what it holds, so
// each path is a substring of what the buffer held when it was written,
// valid however the buffer grows afterwards.
type changeText struct {
	buf    strings.Builder
	out    []PropertyChange
	secret map[string]bool // canonical paths of redacted values
}

// add appends the change of the path made of parts to its value v.
func (t *changeText) add(v any, parts ...string) {
	p0 := t.buf.Len()
	for _, s := range parts {
		t.buf.WriteString(s)
	}
	path := t.buf.String()[p0:]
	if t.secret != nil && t.secret[scim.CanonicalPath(path)] {
		t.out = append(t.out, PropertyChange{Path: path, New: redactedValue, Redacted: true})
		return
	}
	t.out = append(t.out, PropertyChange{Path: path, New: v})
}

// sortedKeys appends m's keys except skip to dst and sorts them.
func sortedKeys(m map[string]any, skip string, dst []string) []string {
	for k := range m {
		if k != skip {
			dst = append(dst, k)
		}
	}
	slices.Sort(dst)
	return dst
}

// distinctTypes reports whether every element of a multi-valued attribute
// is an object with a string "type" no other element has, so that a path
// such as `emails[type eq "work"].value` names each value.
func distinctTypes(list []any) bool {
	if len(list) == 0 {
		return false
	}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		t, ok := m["type"].(string)
		if !ok {
			return false
		}
		for _, prev := range list[:i] {
			if prev.(map[string]any)["type"] == t {
				return false // two elements of one type: no path tells them apart
			}
		}
	}
	return true
}
