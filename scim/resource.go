package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// resolve parses a path string, taking the allocation-free route for paths
// without a value filter.
func resolve(path string) (Path, error) {
	if len(path) <= maxPathLen && strings.IndexByte(path, '[') < 0 {
		if p, off, msg := parseSimplePath(path); msg == "" {
			return p, nil
		} else if path != "" {
			return Path{}, pathError(path, off, msg, nil)
		}
	}
	return ParsePath(path)
}

// Get returns the value at an attribute path (see [ParsePath]). Attribute
// names match ignoring case (RFC 7643 §2.1). It returns false when the
// attribute is absent or null, or when the path is invalid.
//
// An extension attribute is read from its extension object, or, as some
// servers send them, from a top-level key holding the full path
// ("urn:…:User:department"). With a value filter, Get returns the first
// matching element (or its sub-attribute). A sub-attribute of a multi-valued attribute without a
// filter ("emails.value") yields a []any of every element's value. Maps and
// slices are returned as stored, not copied.
//
// Paths without a value filter, and paths whose value filter is one
// comparison with a plain string or boolean literal (`emails[type eq
// "work"].value`), are resolved without the filter parser and with at most
// one small allocation; parse other paths once with [ParsePath] and use
// [Resource.GetPath] in hot loops.
func (r Resource) Get(path string) (any, bool) {
	if v, ok, handled := r.quickGet(path); handled {
		return v, ok
	}
	p, err := resolve(path)
	if err != nil {
		return nil, false
	}
	return r.GetPath(p)
}

// quickGet reads `[urn:]attr[name op "literal"].sub` (one comparison with
// a string literal without escapes, or with true/false) without parsing
// the path into a [Path] and without allocating. handled is false for any
// other path, which then takes the general route; a fuzz test checks both
// routes agree.
func (r Resource) quickGet(path string) (v any, ok, handled bool) {
	open := strings.IndexByte(path, '[')
	if open <= 0 || len(path) > maxPathLen {
		return nil, false, false
	}
	closing := strings.LastIndexByte(path, ']')
	if closing < open || strings.IndexByte(path[open+1:closing], '[') >= 0 {
		return nil, false, false
	}
	head, _, msg := parseSimplePath(strings.TrimRight(path[:open], " "))
	if msg != "" || head.attr == "" || head.sub != "" {
		return nil, false, false
	}
	rest := path[closing+1:]
	sub := ""
	if rest != "" {
		if rest[0] != '.' || checkName(rest[1:]) >= 0 {
			return nil, false, false
		}
		sub = rest[1:]
	}
	n, ok := quickCompare(path[open+1 : closing])
	if !ok {
		return nil, false, false
	}
	n.exact = caseExact(head.attr, n.ref)
	head.sub = sub
	v, ok = r.getMatching(head, &n)
	return v, ok, true
}

// quickCompare recognises `name op "literal"` (no escapes) or `name op
// true|false` and returns the comparison, not allocated on the heap.
func quickCompare(text string) (cmpNode, bool) {
	t := strings.Trim(text, " ")
	sp := strings.IndexByte(t, ' ')
	if sp <= 0 || checkName(t[:sp]) >= 0 {
		return cmpNode{}, false
	}
	rest := strings.TrimLeft(t[sp:], " ")
	if len(rest) < 4 || rest[2] != ' ' {
		return cmpNode{}, false
	}
	op, ok := compareOp(rest[:2])
	if !ok {
		return cmpNode{}, false
	}
	n := cmpNode{ref: attrRef{attr: t[:sp]}, op: op}
	lit := strings.TrimLeft(rest[3:], " ")
	switch {
	case len(lit) >= 2 && lit[0] == '"' && lit[len(lit)-1] == '"':
		body := lit[1 : len(lit)-1]
		for i := 0; i < len(body); i++ {
			if c := body[i]; c == '"' || c == '\\' || c < 0x20 {
				return cmpNode{}, false
			}
		}
		n.value = body
	case strings.EqualFold(lit, "true"):
		n.value = true
	case strings.EqualFold(lit, "false"):
		n.value = false
	default:
		return cmpNode{}, false
	}
	return n, true
}

// getMatching is GetPath for a path whose value filter is the single
// comparison n.
func (r Resource) getMatching(p Path, n *cmpNode) (any, bool) {
	if r == nil {
		return nil, false
	}
	v, ok := attrValue(r, p.urn, p.attr)
	if !ok {
		return nil, false
	}
	match := func(e any) (any, bool) {
		m, isMap := asMap(e)
		if isMap {
			if !n.eval(m) {
				return nil, false
			}
		} else if !n.eval(map[string]any{"value": e}) { // a primitive element
			return nil, false
		}
		if p.sub == "" {
			return e, true
		}
		if isMap {
			return lookup(m, p.sub)
		}
		return nil, false
	}
	switch arr := v.(type) {
	case []any:
		for _, e := range arr {
			if got, ok := match(e); ok {
				return got, true
			}
		}
		return nil, false
	case []map[string]any:
		for _, e := range arr {
			if got, ok := match(e); ok {
				return got, true
			}
		}
		return nil, false
	}
	if s, ok := asSlice(v); ok {
		for _, e := range s {
			if got, ok := match(e); ok {
				return got, true
			}
		}
		return nil, false
	}
	if _, ok := asMap(v); ok {
		return match(v)
	}
	return nil, false
}

// attrValue returns the value of [urn:]attr in obj: inside the extension
// object, or else stored flat under the full path, as some servers send
// extension attributes.
func attrValue(obj map[string]any, urn, attr string) (any, bool) {
	if urn == "" {
		return lookup(obj, attr)
	}
	ext, ok := lookup(obj, urn)
	if !ok {
		return lookupFlat(obj, urn, attr)
	}
	m, ok := asMap(ext)
	if !ok {
		return nil, false
	}
	return lookup(m, attr)
}

// lookupFlat finds the key "urn:attr" (ignoring case) without building it.
func lookupFlat(obj map[string]any, urn, attr string) (any, bool) {
	n := len(urn) + 1 + len(attr)
	for k, v := range obj {
		if len(k) == n && k[len(urn)] == ':' && asciiFold(k[:len(urn)], urn) && asciiFold(k[len(urn)+1:], attr) {
			return v, v != nil
		}
	}
	return nil, false
}

// GetPath is [Resource.Get] for a parsed [Path]; use it in hot loops.
func (r Resource) GetPath(p Path) (any, bool) {
	if r == nil || p.IsZero() {
		return nil, false
	}
	if p.attr == "" {
		return lookup(r, p.urn) // the whole extension
	}
	v, ok := attrValue(r, p.urn, p.attr)
	if !ok {
		return nil, false
	}
	if p.filter != nil {
		arr, ok := asSlice(v)
		if !ok {
			if _, isMap := asMap(v); !isMap {
				return nil, false
			}
			arr = []any{v}
		}
		for _, e := range arr {
			if !p.filter.matchElement(e) {
				continue
			}
			if p.sub == "" {
				return e, true
			}
			if m, ok := asMap(e); ok {
				if s, ok := lookup(m, p.sub); ok {
					return s, true
				}
			}
		}
		return nil, false
	}
	if p.sub == "" {
		return v, true
	}
	if m, ok := asMap(v); ok {
		return lookup(m, p.sub)
	}
	if arr, ok := asSlice(v); ok {
		var out []any
		for _, e := range arr {
			if m, ok := asMap(e); ok {
				if s, ok := lookup(m, p.sub); ok {
					out = append(out, s)
				}
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}

// Set stores value at an attribute path (see [ParsePath]), creating
// intermediate objects ("name" for "name.givenName", the extension object
// for an extension URN path). An existing attribute is found ignoring case
// and keeps its spelling. A nil value removes the attribute.
//
// With a value filter, Set writes to every matching element; when none
// matches it appends a new element built from the filter's "eq" clauses, so
// Set(`emails[type eq "work"].value`, "a@example.com") on a resource without
// emails creates [{"type": "work", "value": "a@example.com"}]. Without a
// sub-attribute the value must be an object and replaces the element (the
// filter's "eq" attributes are kept). A sub-attribute of a multi-valued
// attribute without a filter ("emails.value") is set on every element.
//
// The value is stored as given, not copied. Set fails on an invalid path,
// on a nil Resource, and when the path runs through a value of the wrong
// kind (a sub-attribute of a string, a filter on a single-valued
// attribute); a failed Set leaves the resource unchanged.
func (r Resource) Set(path string, value any) error {
	p, err := resolve(path)
	if err != nil {
		return err
	}
	return r.SetPath(p, value)
}

// SetPath is [Resource.Set] for a parsed [Path]; use it in hot loops.
func (r Resource) SetPath(p Path, value any) error {
	if value == nil {
		return r.RemovePath(p)
	}
	return r.setPath(p, value, setReplace)
}

// setMode says how a value is written at a path.
type setMode int

const (
	setReplace   setMode = iota // Set: the value replaces what is there
	patchReplace                // PATCH replace: complex values merge, others replace
	setAdd                      // PATCH add: multi-valued values append, complex values merge
)

func (r Resource) setPath(p Path, value any, mode setMode) error {
	if r == nil {
		return fmt.Errorf("scim: cannot set %q in a nil Resource", p.String())
	}
	if p.IsZero() {
		return fmt.Errorf("scim: cannot set a value at the zero Path")
	}
	obj := map[string]any(r)
	if p.urn != "" {
		k := keyOf(obj, p.urn)
		if p.attr == "" {
			if mode != setReplace {
				if vm, ok := asMap(value); ok {
					if cur, ok := asMap(obj[k]); ok {
						mergeInto(cur, vm)
						return nil
					}
				}
			}
			obj[k] = value
			return nil
		}
		ext, exists := obj[k]
		m, ok := asMap(ext)
		if !ok {
			if exists && ext != nil {
				return fmt.Errorf("scim: %s is %s, not an object", p.urn, JSONKind(ext))
			}
			m = map[string]any{}
			obj[k] = m
			if err := setIn(m, p, value, mode); err != nil {
				delete(obj, k) // leave no empty extension behind
				return err
			}
			return nil
		}
		obj = m
	}
	return setIn(obj, p, value, mode)
}

// setIn writes at p's attribute inside obj (the resource, or its extension
// object).
func setIn(obj map[string]any, p Path, value any, mode setMode) error {
	k := keyOf(obj, p.attr)
	if p.filter != nil {
		return setFiltered(obj, k, p, value, mode)
	}
	cur, exists := obj[k]
	if cur == nil {
		exists = false
	}
	if p.sub == "" && mode != setReplace {
		v, err := patchValue(p, cur, exists, value)
		if err != nil {
			return err
		}
		value = v
	}
	if p.sub == "" {
		if mode != setReplace && exists {
			if arr, ok := asSlice(cur); ok && mode == setAdd {
				obj[k] = appendValues(arr, value)
				return nil
			}
			if cm, ok := asMap(cur); ok {
				if vm, ok := asMap(value); ok {
					mergeInto(cm, vm)
					return nil
				}
			}
		}
		obj[k] = value
		return nil
	}
	if !exists {
		obj[k] = map[string]any{p.sub: value}
		return nil
	}
	if m, ok := asMap(cur); ok {
		setSub(m, p.sub, value, mode)
		return nil
	}
	if arr, ok := asSlice(cur); ok {
		for i, e := range arr {
			if _, ok := asMap(e); !ok {
				return fmt.Errorf("scim: element %d of %s is %s, not an object", i, p.attr, JSONKind(e))
			}
		}
		arr = ownSlice(obj, k, cur, arr)
		for _, e := range arr {
			m, _ := asMap(e)
			setSub(m, p.sub, value, mode)
		}
		return nil
	}
	return fmt.Errorf("scim: %s is %s, not an object, so it has no sub-attribute %s", p.attr, JSONKind(cur), p.sub)
}

// patchValue checks a PATCH add or replace value against the attribute at
// p, which holds cur (exists false when unassigned), and returns the value
// to store. A complex attribute takes an object of sub-attributes (RFC
// 7644 section 3.5.2.1): a scalar is refused. A multi-valued attribute
// stays a list (RFC 7643 section 2.4): one value that is not an array
// becomes a one-element list.
func patchValue(p Path, cur any, exists bool, value any) (any, error) {
	_, curMap := asMap(cur)
	_, curList := asSlice(cur)
	_, valMap := asMap(value)
	_, valList := asSlice(value)
	complexAttr := curMap || (!exists && coreComplex(p.urn, p.attr))
	multi := curList || (!exists && coreMultiValued(p.urn, p.attr))
	switch {
	case complexAttr && !valMap:
		return nil, fmt.Errorf("scim: %s is a complex attribute: its value must be an object of sub-attributes, not %s", p.attr, JSONKind(value))
	case multi && !valList:
		return []any{value}, nil
	}
	return value, nil
}

// setSub writes a sub-attribute; in add mode a multi-valued sub-attribute
// gets the value appended.
func setSub(m map[string]any, sub string, value any, mode setMode) {
	sk := keyOf(m, sub)
	if mode == setAdd {
		if arr, ok := asSlice(m[sk]); ok {
			m[sk] = appendValues(arr, value)
			return
		}
	}
	m[sk] = value
}

// ownSlice makes sure obj[k] holds arr as a []any that can be modified in
// place (converting []string and other typed slices).
func ownSlice(obj map[string]any, k string, cur any, arr []any) []any {
	if _, ok := cur.([]any); !ok {
		obj[k] = arr
	}
	return arr
}

// setFiltered writes at attr[filter] or attr[filter].sub.
func setFiltered(obj map[string]any, k string, p Path, value any, mode setMode) error {
	cur := obj[k]
	var arr []any
	if cur != nil {
		a, ok := asSlice(cur)
		if !ok {
			return fmt.Errorf("scim: %s is %s, not multi-valued, so it cannot take a value filter", p.attr, JSONKind(cur))
		}
		arr = ownSlice(obj, k, cur, a)
	}
	var vm map[string]any
	if p.sub == "" {
		m, ok := asMap(value)
		if !ok {
			return fmt.Errorf("scim: the value for %s must be an object, not %s", p.String(), JSONKind(value))
		}
		vm = m
	}
	if p.sub != "" {
		// Check every match first, so a failed Set changes nothing.
		for i, e := range arr {
			if _, ok := asMap(e); !ok && p.filter.matchElement(e) {
				return fmt.Errorf("scim: element %d of %s is %s, not an object", i, p.attr, JSONKind(e))
			}
		}
	}
	matched := false
	for i, e := range arr {
		if !p.filter.matchElement(e) {
			continue
		}
		matched = true
		m, ok := asMap(e)
		if !ok {
			m = map[string]any{}
		}
		switch {
		case p.sub != "":
			setSub(m, p.sub, value, mode)
		case mode == setAdd:
			mergeInto(m, vm)
			arr[i] = m
		default:
			tmpl, _ := p.filter.template()
			n := make(map[string]any, len(vm)+len(tmpl))
			for tk, tv := range tmpl {
				if _, ok := lookup(vm, tk); !ok {
					n[tk] = tv
				}
			}
			mergeInto(n, vm)
			arr[i] = n
		}
	}
	if matched {
		return nil
	}
	elem, err := p.filter.template()
	if err != nil {
		return &noTargetError{fmt.Sprintf("scim: no element of %s matches [%s] and %v", p.attr, p.filter, err)}
	}
	if p.sub != "" {
		elem[keyOf(elem, p.sub)] = value
	} else {
		mergeInto(elem, vm)
	}
	obj[k] = append(arr, elem)
	return nil
}

// template returns a new element as the filter describes it (see
// buildTemplate), or the reason it cannot.
func (f *Filter) template() (map[string]any, error) {
	if f.tmplErr != "" {
		return nil, errors.New(f.tmplErr)
	}
	m := make(map[string]any, len(f.tmpl)+1)
	for _, kv := range f.tmpl {
		m[kv.key] = kv.value
	}
	return m, nil
}

// keyValue is one attribute of a filter's element template.
type keyValue struct {
	key   string
	value any
}

// buildTemplate computes, once per parsed filter, the element a filter
// made of "eq" clauses joined by "and" describes, such as {"type": "work"}
// for `type eq "work"`; for other filters it records why there is none.
func (f *Filter) buildTemplate() {
	var walk func(n node) string
	walk = func(n node) string {
		switch n := n.(type) {
		case *cmpNode:
			if n.op != "eq" || n.ref.urn != "" || n.ref.sub != "" || n.value == nil {
				return "the filter cannot describe a new element (only \"eq\" comparisons joined by \"and\" can)"
			}
			v := n.value
			if n.isNum {
				v = n.num
			}
			if s, ok := v.(string); ok && isBoolAttr(n.ref.attr) {
				// roles[primary eq "True"]: Entra quotes booleans.
				if b, ok := parseBool(s); ok {
					v = b
				}
			}
			f.tmpl = append(f.tmpl, keyValue{n.ref.attr, v})
			return ""
		case *logicNode:
			if !n.and {
				return "the filter cannot describe a new element (\"or\" is ambiguous)"
			}
			if msg := walk(n.left); msg != "" {
				return msg
			}
			return walk(n.right)
		}
		return "the filter cannot describe a new element (only \"eq\" comparisons joined by \"and\" can)"
	}
	if msg := walk(f.root); msg != "" {
		f.tmpl, f.tmplErr = nil, msg
	}
}

// mergeInto copies src's attributes into dst, matching names ignoring case.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		dst[keyOf(dst, k)] = v
	}
}

// appendValues adds value (one value or a list) to a multi-valued
// attribute, skipping values already present (RFC 7644 §3.5.2.1). A new
// primary element clears "primary" on the others.
func appendValues(arr []any, value any) []any {
	add, ok := asSlice(value)
	if !ok {
		add = []any{value}
	}
	out := arr
	for _, v := range add {
		dup := false
		for _, e := range out {
			if covers(e, v) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if m, ok := asMap(v); ok {
			if p, ok := lookup(m, "primary"); ok {
				if b, _ := toBool(p); b {
					for _, e := range out {
						if em, ok := asMap(e); ok {
							if _, has := lookup(em, "primary"); has {
								em[keyOf(em, "primary")] = false
							}
						}
					}
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// covers reports whether element e already holds v: equal values, or for
// objects, every non-null attribute of v equal in e (so adding
// {"$ref": null, "value": "u1"} to members holding {"value": "u1",
// "display": "One"} adds nothing).
func covers(e, v any) bool {
	vm, ok := asMap(v)
	if !ok {
		return Equal(e, v)
	}
	em, ok := asMap(e)
	if !ok {
		return false
	}
	n := 0
	for k, x := range vm {
		if x == nil {
			continue
		}
		n++
		y, ok := lookup(em, k)
		if !ok || !Equal(x, y) {
			return false
		}
	}
	return n > 0
}

// Remove deletes the value at an attribute path: the attribute, a
// sub-attribute, the elements a value filter matches, or a sub-attribute of
// them. A multi-valued attribute or complex attribute left empty is deleted.
// Removing what is not there is not an error; an invalid path is.
func (r Resource) Remove(path string) error {
	p, err := resolve(path)
	if err != nil {
		return err
	}
	return r.RemovePath(p)
}

// RemovePath is [Resource.Remove] for a parsed [Path].
func (r Resource) RemovePath(p Path) error {
	if p.IsZero() {
		return fmt.Errorf("scim: cannot remove the zero Path")
	}
	if r == nil {
		return nil
	}
	obj := map[string]any(r)
	var ext map[string]any
	extKey := ""
	if p.urn != "" {
		extKey = keyOf(obj, p.urn)
		if p.attr == "" {
			delete(obj, extKey)
			return nil
		}
		m, ok := asMap(obj[extKey])
		if !ok {
			return nil
		}
		ext, obj = m, m
	}
	defer func() {
		if ext != nil && len(ext) == 0 {
			delete(r, extKey)
		}
	}()
	k := keyOf(obj, p.attr)
	cur, ok := obj[k]
	if !ok {
		return nil
	}
	switch {
	case p.filter != nil:
		arr, ok := asSlice(cur)
		if !ok {
			return nil
		}
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			if !p.filter.matchElement(e) {
				out = append(out, e)
				continue
			}
			if p.sub != "" {
				if m, ok := asMap(e); ok {
					delete(m, keyOf(m, p.sub))
					if len(m) > 0 {
						out = append(out, m)
					}
				}
			}
		}
		if len(out) == 0 {
			delete(obj, k)
		} else {
			obj[k] = out
		}
	case p.sub != "":
		if m, ok := asMap(cur); ok {
			delete(m, keyOf(m, p.sub))
			if len(m) == 0 {
				delete(obj, k)
			}
			return nil
		}
		if arr, ok := asSlice(cur); ok {
			for _, e := range arr {
				if m, ok := asMap(e); ok {
					delete(m, keyOf(m, p.sub))
				}
			}
		}
	default:
		delete(obj, k)
	}
	return nil
}

// Clone returns a deep copy of the resource: maps and slices are copied,
// other values (strings, numbers, booleans) are shared. Typed slices such as
// []string are copied as they are.
func (r Resource) Clone() Resource {
	if r == nil {
		return nil
	}
	return Resource(cloneMap(r))
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		return cloneMap(x)
	case Resource:
		if x == nil {
			return x
		}
		return Resource(cloneMap(x))
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	case []string:
		if x == nil {
			return x
		}
		return append([]string(nil), x...)
	case []map[string]any:
		if x == nil {
			return x
		}
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i], _ = cloneValue(e).(map[string]any)
		}
		return out
	case []Resource:
		if x == nil {
			return x
		}
		out := make([]Resource, len(x))
		for i, e := range x {
			out[i] = e.Clone()
		}
		return out
	}
	return v
}

func (r Resource) str(name string) string {
	v, ok := lookup(r, name)
	if !ok {
		return ""
	}
	s, _ := v.(string)
	return s
}

// ID returns the "id" attribute, or "" when absent or not a string.
func (r Resource) ID() string { return r.str("id") }

// UserName returns the "userName" attribute, or "".
func (r Resource) UserName() string { return r.str("userName") }

// DisplayName returns the "displayName" attribute, or "".
func (r Resource) DisplayName() string { return r.str("displayName") }

// ExternalID returns the "externalId" attribute, or "".
func (r Resource) ExternalID() string { return r.str("externalId") }

// Schemas returns the "schemas" attribute, or nil.
func (r Resource) Schemas() []string {
	v, ok := lookup(r, "schemas")
	if !ok {
		return nil
	}
	if s, ok := v.([]string); ok {
		return append([]string(nil), s...)
	}
	arr, _ := asSlice(v)
	var out []string
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Active returns the "active" attribute. A boolean or Entra's "True"/"False"
// strings count; present is false when the attribute is absent or holds
// anything else.
func (r Resource) Active() (active bool, present bool) {
	v, ok := lookup(r, "active")
	if !ok {
		return false, false
	}
	return toBool(v)
}

// Email returns the primary email address, else the one of type "work",
// else the first one with a value, else "".
func (r Resource) Email() string {
	v, ok := lookup(r, "emails")
	if !ok {
		return ""
	}
	arr, ok := asSlice(v)
	if !ok {
		return ""
	}
	var work, first string
	for _, e := range arr {
		m, ok := asMap(e)
		if !ok {
			continue
		}
		val, _ := lookup(m, "value")
		s, _ := val.(string)
		if s == "" {
			continue
		}
		if p, ok := lookup(m, "primary"); ok {
			if b, _ := toBool(p); b {
				return s
			}
		}
		if t, ok := lookup(m, "type"); ok && work == "" {
			if ts, _ := t.(string); strings.EqualFold(ts, "work") {
				work = s
			}
		}
		if first == "" {
			first = s
		}
	}
	if work != "" {
		return work
	}
	return first
}

// Meta is the "meta" attribute of a resource (RFC 7643 §3.1).
type Meta struct {
	ResourceType string
	Location     string
	Version      string
	Created      time.Time // zero when absent or not an RFC 3339 time
	LastModified time.Time // zero when absent or not an RFC 3339 time
}

// Meta returns the "meta" attribute; missing parts are zero.
func (r Resource) Meta() Meta {
	v, ok := lookup(r, "meta")
	if !ok {
		return Meta{}
	}
	m, ok := asMap(v)
	if !ok {
		return Meta{}
	}
	s := func(name string) string {
		x, _ := lookup(m, name)
		str, _ := x.(string)
		return str
	}
	t := func(name string) time.Time {
		tt, err := time.Parse(time.RFC3339Nano, s(name))
		if err != nil {
			return time.Time{}
		}
		return tt
	}
	return Meta{
		ResourceType: s("resourceType"),
		Location:     s("location"),
		Version:      s("version"),
		Created:      t("created"),
		LastModified: t("lastModified"),
	}
}

// JSONKind names the JSON kind of a value for error messages, with its
// article: "null", "a string", "a boolean", "a number", "an object", "an
// array"; a Go type that is none of them is named by its type.
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	if _, ok := toFloat(v); ok {
		return "a number"
	}
	if _, ok := asMap(v); ok {
		return "an object"
	}
	if _, ok := asSlice(v); ok {
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}

// noTargetError says a filtered path matched nothing and nothing could be
// created; ApplyPatch reports it with scimType "noTarget".
type noTargetError struct{ msg string }

func (e *noTargetError) Error() string { return e.msg }
