package druvascim

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/druvascim/druvascim/scim"
)

// attrPath is a SCIM attribute path compiled once per plan, so that reading
// the same attribute from a million users costs a few map lookups each. It
// covers the forms attribute mappings produce: "attr", "attr.sub",
// `attr[name eq "value"]`, `attr[name eq "value"].sub`, each optionally
// prefixed by a schema URN ("urn:…:User:attr").
type attrPath struct {
	raw        string
	ext        string // extension schema URN holding the attribute, or ""
	attr       string
	filterAttr string // value filter: filterAttr eq filterVal
	filterVal  string
	sub        string
	// caseExact is true when SCIM compares the attribute's values
	// case-sensitively (RFC 7643: id and externalId); userName, emails and
	// the rest compare case-insensitively.
	caseExact bool
}

const coreUserPrefix = scim.UserSchema + ":"

func compilePath(p string) (attrPath, error) {
	ap := attrPath{raw: p}
	rest := p
	if len(rest) > len(coreUserPrefix) && strings.EqualFold(rest[:len(coreUserPrefix)], coreUserPrefix) {
		rest = rest[len(coreUserPrefix):]
	} else if len(rest) > 4 && strings.EqualFold(rest[:4], "urn:") {
		// Extension: the attribute follows the last ':' before any '[' or '.'.
		end := len(rest)
		if i := strings.IndexByte(rest, '['); i >= 0 {
			end = i
		}
		i := strings.LastIndexByte(rest[:end], ':')
		if i < 0 {
			return ap, fmt.Errorf("attribute path %q: no attribute after the schema URN", p)
		}
		ap.ext, rest = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '['); i >= 0 {
		j := strings.LastIndexByte(rest, ']')
		if j < i {
			return ap, fmt.Errorf("attribute path %q: unbalanced '['", p)
		}
		ap.attr = rest[:i]
		filter := strings.TrimSpace(rest[i+1 : j])
		after := rest[j+1:]
		fa, fv, ok := strings.Cut(filter, " ")
		fv = strings.TrimSpace(fv)
		op, val, ok2 := strings.Cut(fv, " ")
		if !ok || !ok2 || !strings.EqualFold(op, "eq") {
			return ap, fmt.Errorf("attribute path %q: only `attr eq \"value\"` value filters are supported", p)
		}
		val = strings.TrimSpace(val)
		if uq, err := strconv.Unquote(val); err == nil {
			val = uq
		}
		ap.filterAttr, ap.filterVal = fa, val
		if after != "" {
			if after[0] != '.' || len(after) < 2 {
				return ap, fmt.Errorf("attribute path %q: expected .subAttribute after ']'", p)
			}
			ap.sub = after[1:]
		}
	} else if a, s, ok := strings.Cut(rest, "."); ok {
		ap.attr, ap.sub = a, s
	} else {
		ap.attr = rest
	}
	if ap.attr == "" || strings.ContainsAny(ap.attr, " \"]") || strings.ContainsAny(ap.sub, " \"[]") {
		return ap, fmt.Errorf("attribute path %q: bad attribute name", p)
	}
	ap.caseExact = ap.ext == "" && ap.sub == "" && (strings.EqualFold(ap.attr, "id") || strings.EqualFold(ap.attr, "externalId"))
	return ap, nil
}

// getCI reads a map key case-insensitively, exact spelling first.
func getCI(m map[string]any, k string) (any, bool) {
	if v, ok := m[k]; ok {
		return v, true
	}
	for kk, v := range m {
		if strings.EqualFold(kk, k) {
			return v, true
		}
	}
	return nil, false
}

// get returns the value at the path; false when absent or null.
func (p *attrPath) get(r scim.Resource) (any, bool) {
	var m map[string]any = r
	if p.ext != "" {
		e, ok := getCI(m, p.ext)
		if !ok {
			return nil, false
		}
		if m, ok = e.(map[string]any); !ok {
			return nil, false
		}
	}
	v, ok := getCI(m, p.attr)
	if !ok || v == nil {
		return nil, false
	}
	if p.filterAttr != "" {
		list, ok := v.([]any)
		if !ok {
			return nil, false
		}
		v = nil
		for _, el := range list {
			em, ok := el.(map[string]any)
			if !ok {
				continue
			}
			fv, ok := getCI(em, p.filterAttr)
			if !ok {
				continue
			}
			if s, ok := fv.(string); ok && strings.EqualFold(s, p.filterVal) {
				v = em
				break
			}
		}
		if v == nil {
			return nil, false
		}
	}
	if p.sub != "" {
		sm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = getCI(sm, p.sub); !ok || v == nil {
			return nil, false
		}
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

// activeOf reads a user's active attribute: bool or Entra's "True"/"False".
func activeOf(r scim.Resource) (active, present bool) {
	v, ok := getCI(r, "active")
	if !ok || v == nil {
		return false, false
	}
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		if strings.EqualFold(x, "true") {
			return true, true
		}
		if strings.EqualFold(x, "false") {
			return false, true
		}
	}
	return false, false
}

// equalValue compares a current target value with a desired one, tolerating
// the encodings SCIM services use: booleans as "True"/"False", numbers as
// strings or json.Number, []string against []any.
func equalValue(cur, want any) bool {
	switch w := want.(type) {
	case string:
		if c, ok := cur.(string); ok {
			return c == w
		}
		if c, ok := cur.(bool); ok {
			return strings.EqualFold(w, strconv.FormatBool(c))
		}
		if c, ok := scalarString(cur); ok {
			return c == w
		}
		return false
	case bool:
		switch c := cur.(type) {
		case bool:
			return c == w
		case string:
			return strings.EqualFold(c, strconv.FormatBool(w))
		}
		return false
	case float64, json.Number, int, int64:
		ws, _ := scalarString(w)
		cs, ok := scalarString(cur)
		return ok && cs == ws
	case []string:
		cl, ok := cur.([]any)
		if !ok || len(cl) != len(w) {
			return false
		}
		for i := range w {
			if !equalValue(cl[i], w[i]) {
				return false
			}
		}
		return true
	case []any:
		cl, ok := cur.([]any)
		if !ok || len(cl) != len(w) {
			return false
		}
		for i := range w {
			if !equalValue(cl[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		cm, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			cv, ok := getCI(cm, k)
			if !ok || !equalValue(cv, wv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(cur, want)
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

// idOf returns a resource's id ("" when absent).
func idOf(r scim.Resource) string {
	if s, ok := r["id"].(string); ok {
		return s
	}
	v, _ := getCI(r, "id")
	s, _ := v.(string)
	return s
}
