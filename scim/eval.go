package scim

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// Matches reports whether the resource satisfies the filter, following RFC
// 7644 section 3.4.2.2 with the RFC's default of case-insensitive strings
// (caseExact false) except for the attributes RFC 7643 makes case-exact:
//
//   - eq, ne, co, sw, ew compare strings ignoring case; gt, ge, lt, le
//     compare numbers numerically and strings (including DateTime values in
//     one format) lexically, ignoring case; booleans support eq and ne only.
//   - Case-exact attributes compare with case: "id", "externalId",
//     "meta.version", "meta.location", references ("$ref", "profileUrl",
//     "photos.value") and "x509Certificates.value" (RFC 7643 sections 2.3.6,
//     2.3.7, 3.1 and 7).
//   - pr is true when the attribute has a non-empty value.
//   - A multi-valued attribute matches when any of its values does; a
//     comparison on a multi-valued complex attribute without a sub-attribute
//     (emails co "@example.com") compares the elements' "value".
//   - "ne" is the negation of "eq": an absent attribute is not equal to any
//     value. "eq null" matches an absent attribute.
//   - Booleans sent as the strings "True"/"False" (Entra's dialect) compare
//     equal to true/false.
//
// A nil filter matches every resource.
func (f *Filter) Matches(r Resource) bool {
	if f == nil || f.root == nil {
		return true
	}
	return f.root.eval(map[string]any(r))
}

// matchElement evaluates the filter against one element of a multi-valued
// attribute; a primitive element is seen as {"value": element}.
func (f *Filter) matchElement(elem any) bool {
	if m, ok := asMap(elem); ok {
		return f.root.eval(m)
	}
	return f.root.eval(map[string]any{"value": elem})
}

func (n *logicNode) eval(obj map[string]any) bool {
	if n.and {
		return n.left.eval(obj) && n.right.eval(obj)
	}
	return n.left.eval(obj) || n.right.eval(obj)
}

func (n *notNode) eval(obj map[string]any) bool { return !n.x.eval(obj) }

func (n *valuePathNode) eval(obj map[string]any) bool {
	found := false
	eachValue(obj, n.ref, false, func(v any) bool {
		var m map[string]any
		if mm, ok := asMap(v); ok {
			m = mm
		} else {
			m = map[string]any{"value": v}
		}
		if n.filter.eval(m) {
			found = true
			return false
		}
		return true
	})
	return found
}

func (n *cmpNode) eval(obj map[string]any) bool {
	switch {
	case n.op == filter.PR:
		return n.any(obj, func(v any) bool { return present(v) })
	case n.value == nil: // eq null / ne null
		has := n.any(obj, func(v any) bool { return present(v) })
		if n.op == filter.NE {
			return has
		}
		if n.op == filter.EQ {
			return !has
		}
		return false
	case n.op == filter.NE:
		return !n.any(obj, func(v any) bool { return n.compare(v, filter.EQ) })
	default:
		return n.any(obj, func(v any) bool { return n.compare(v, n.op) })
	}
}

// any reports whether fn holds for one of the values the reference selects.
func (n *cmpNode) any(obj map[string]any, fn func(any) bool) bool {
	found := false
	eachValue(obj, n.ref, true, func(v any) bool {
		if fn(v) {
			found = true
			return false
		}
		return true
	})
	return found
}

// eachValue calls fn for every value a reference selects in obj, flattening
// multi-valued attributes, until fn returns false. With implicitValue, a
// complex element without a named sub-attribute yields its "value".
func eachValue(obj map[string]any, ref attrRef, implicitValue bool, fn func(any) bool) {
	v, ok := attrValue(obj, ref.urn, ref.attr)
	if !ok {
		return
	}
	emit := func(x any, inArray bool) bool {
		if ref.sub != "" {
			m, ok := asMap(x)
			if !ok {
				return true
			}
			s, ok := lookup(m, ref.sub)
			if !ok {
				return true
			}
			if arr, ok := asSlice(s); ok {
				for _, e := range arr {
					if !fn(e) {
						return false
					}
				}
				return true
			}
			return fn(s)
		}
		if inArray && implicitValue {
			if m, ok := asMap(x); ok {
				s, ok := lookup(m, "value")
				if !ok {
					return true
				}
				return fn(s)
			}
		}
		return fn(x)
	}
	if arr, ok := asSlice(v); ok {
		for _, e := range arr {
			if !emit(e, true) {
				return
			}
		}
		return
	}
	emit(v, false)
}

// compare applies one comparison operator to one attribute value.
func (n *cmpNode) compare(v any, op filter.CompareOperator) bool {
	switch cv := n.value.(type) {
	case string:
		switch x := v.(type) {
		case string:
			return compareStrings(x, cv, op, n.exact)
		case bool:
			b, ok := parseBool(cv)
			return ok && op == filter.EQ && b == x
		default:
			if f, ok := toFloat(v); ok {
				if g, err := strconv.ParseFloat(cv, 64); err == nil {
					return compareFloats(f, g, op)
				}
			}
			return false
		}
	case bool:
		if op != filter.EQ {
			return false
		}
		b, ok := toBool(v)
		return ok && b == cv
	default:
		if !n.isNum {
			return false
		}
		f, ok := toFloat(v)
		if !ok {
			if s, isStr := v.(string); isStr {
				g, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return false
				}
				f = g
			} else {
				return false
			}
		}
		return compareFloats(f, n.num, op)
	}
}

// compareStrings compares a with b; exact says the attribute is
// case-exact, otherwise case is ignored.
func compareStrings(a, b string, op filter.CompareOperator, exact bool) bool {
	switch op {
	case filter.GT, filter.GE, filter.LT, filter.LE:
		return ordered(compareOrder(a, b, exact), op)
	case filter.EQ:
		if !exact {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	if !exact {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	switch op {
	case filter.CO:
		return strings.Contains(a, b)
	case filter.SW:
		return strings.HasPrefix(a, b)
	case filter.EW:
		return strings.HasSuffix(a, b)
	}
	return false
}

// compareOrder orders a and b: a case-exact attribute as strings, with
// case; any other as instants when both are RFC 3339 date-times, else as
// strings without case.
func compareOrder(a, b string, exact bool) int {
	if exact {
		return strings.Compare(a, b)
	}
	if ta, err := time.Parse(time.RFC3339Nano, a); err == nil {
		if tb, err := time.Parse(time.RFC3339Nano, b); err == nil {
			return ta.Compare(tb)
		}
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// ordered applies an ordering operator to a comparison result.
func ordered(c int, op filter.CompareOperator) bool {
	switch op {
	case filter.GT:
		return c > 0
	case filter.GE:
		return c >= 0
	case filter.LT:
		return c < 0
	case filter.LE:
		return c <= 0
	}
	return false
}

func compareFloats(a, b float64, op filter.CompareOperator) bool {
	if op == filter.EQ {
		return a == b
	}
	return ordered(cmp.Compare(a, b), op)
}

// present reports whether v counts as a value for "pr".
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case Resource:
		return len(x) > 0
	}
	return true
}

// lookup finds an attribute by name, exactly first, then ignoring case. A
// JSON null counts as absent.
func lookup(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, v != nil
	}
	if k, ok := findFold(m, name); ok {
		v := m[k]
		return v, v != nil
	}
	return nil, false
}

// keyOf returns the key under which name is stored in m (ignoring case), or
// name itself when it is absent.
func keyOf(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	if k, ok := findFold(m, name); ok {
		return k
	}
	return name
}

// findFold finds a key of m equal to name ignoring case. Attribute names
// are ASCII (RFC 7643 §2.1), so for an ASCII name only keys of the same
// length are compared, byte by byte.
func findFold(m map[string]any, name string) (string, bool) {
	if len(m) == 0 {
		return "", false
	}
	if !isASCII(name) {
		for k := range m {
			if strings.EqualFold(k, name) {
				return k, true
			}
		}
		return "", false
	}
	for k := range m {
		if len(k) == len(name) && asciiFold(k, name) {
			return k, true
		}
	}
	return "", false
}

// asciiFold compares two strings of equal length ignoring ASCII case.
func asciiFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca != cb && (ca|0x20 != cb|0x20 || !isAlpha(ca)) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, m != nil
	case Resource:
		return map[string]any(m), m != nil
	}
	return nil, false
}

func asSlice(v any) ([]any, bool) {
	switch s := v.(type) {
	case []any:
		return s, true
	case []string:
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = x
		}
		return out, true
	case []map[string]any:
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = x
		}
		return out, true
	case []Resource:
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = map[string]any(x)
		}
		return out, true
	}
	return nil, false
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// toBool accepts a bool or Entra's "True"/"False" strings.
func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		return parseBool(x)
	}
	return false, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil && !math.IsInf(f, 0)
	}
	return 0, false
}
