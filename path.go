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
	var b strings.Builder
	if !renderTo(&b, v, 0) {
		out, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(out)
	}
	return b.String()
}

// renderTo writes the JSON text of the values SCIM resources hold without
// reflection; false for anything else (the caller falls back to
// encoding/json).
func renderTo(b *strings.Builder, v any, depth int) bool {
	if depth > 32 {
		return false
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(strconv.Quote(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case json.Number:
		b.WriteString(x.String())
	case int:
		b.WriteString(strconv.Itoa(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if !renderTo(b, e, depth+1) {
				return false
			}
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(e))
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			if !renderTo(b, x[k], depth+1) {
				return false
			}
		}
		b.WriteByte('}')
	default:
		return false
	}
	return true
}

// redactedValue replaces secret values in plans and reports.
const redactedValue = "[REDACTED]"

// canonicalPath returns the canonical spelling of a SCIM path (as
// scim.Path.String gives it), lower-cased, for comparing paths; a path that
// does not parse is only lower-cased.
func canonicalPath(p string) string {
	if sp, err := scim.ParsePath(p); err == nil {
		p = sp.String()
	}
	return strings.ToLower(p)
}

// leaf is one attribute value of a resource and the SCIM path that reaches it.
type leaf struct {
	path  string
	value any
}

// leaves lists a resource's values by SCIM path, sorted: sub-attributes as
// "name.givenName", extension attributes as "urn:…:User:department",
// elements of a multi-valued attribute that carry a type as
// `emails[type eq "work"].value`; other lists whole. "schemas" is left out.
func leaves(r scim.Resource) []leaf {
	out := make([]leaf, 0, 2*len(r))
	for _, k := range slices.Sorted(maps.Keys(r)) {
		if k == "schemas" {
			continue
		}
		v := r[k]
		switch x := v.(type) {
		case map[string]any:
			sep := "."
			if strings.HasPrefix(strings.ToLower(k), "urn:") {
				sep = ":"
			}
			for _, sk := range slices.Sorted(maps.Keys(x)) {
				out = append(out, leaf{k + sep + sk, x[sk]})
			}
		case []any:
			if typed, ok := typedElements(k, x); ok {
				out = append(out, typed...)
				continue
			}
			out = append(out, leaf{k, v})
		default:
			out = append(out, leaf{k, v})
		}
	}
	return out
}

// typedElements flattens a multi-valued attribute whose elements are
// objects with distinct string "type" values; false otherwise.
func typedElements(k string, list []any) ([]leaf, bool) {
	var out []leaf
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		t, ok := m["type"].(string)
		if !ok {
			return nil, false
		}
		for _, prev := range list[:i] {
			if prev.(map[string]any)["type"] == t {
				return nil, false // two elements of one type: no path tells them apart
			}
		}
		for _, sk := range slices.Sorted(maps.Keys(m)) {
			if sk == "type" {
				continue
			}
			out = append(out, leaf{k + "[type eq " + scim.Quote(t) + "]." + sk, m[sk]})
		}
	}
	return out, true
}
