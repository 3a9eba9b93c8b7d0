package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// ApplyPatch applies PATCH operations (RFC 7644 section 3.5.2) to a copy of r and
// returns the copy; r itself is never modified, and on error nothing is
// returned. Operations apply in order, all or nothing.
//
//   - add: a missing attribute is set; a multi-valued attribute gets the
//     value(s) appended (values already present are skipped, and a new
//     primary element clears "primary" on the others); a complex attribute
//     gets the sub-attributes merged; anything else is replaced. With a value
//     filter, matching elements are updated and, when none matches, an
//     element is created from the filter's "eq" clauses.
//   - replace: like add, except that a multi-valued attribute without a
//     filter is replaced as a whole and matching elements are replaced.
//     A value filter matching nothing creates the element as add does (Entra
//     relies on this for emails[type eq "work"].value); when the filter
//     cannot describe an element the error has scimType "noTarget".
//   - remove: removes the attribute, sub-attribute, or the elements a value
//     filter matches. With a value on a multi-valued attribute (Entra's
//     {"op":"Remove","path":"members","value":[{"value":"id"}]}), only the
//     listed elements are removed, matched on "value"; the same holds for a
//     multi-valued sub-attribute of a complex attribute ("team.tags"), in
//     every element when the complex attribute is multi-valued. Removing
//     what is not there is not an error.
//   - A complex attribute takes an object for add and replace: a scalar is
//     refused with invalidValue. A multi-valued attribute stays a list: one
//     value that is not an array is stored as a one-element list (replace)
//     or appended (add). Both are known from the value the attribute holds
//     and, when it holds none, from the core and enterprise schemas.
//   - Without a path, add and replace take an object whose keys are
//     attribute paths: plain names, dotted paths ("name.givenName") and
//     extension URNs, with an object value merged into the extension.
//
// Entra's dialect is accepted: op names in any case ("Replace"), and the
// strings "True"/"False" for the boolean attributes active and primary,
// which are stored as booleans.
//
// Errors are a [*Error] with status 400, a scimType (invalidSyntax,
// invalidPath, invalidValue or noTarget) and a detail naming the operation
// by index.
func ApplyPatch(r Resource, ops ...PatchOperation) (Resource, error) {
	out := r.Clone()
	if out == nil {
		out = Resource{}
	}
	for i, op := range ops {
		if err := applyOp(out, i, op); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// opName returns the lower-case operation name, or "" when it is unknown.
func opName(op string) string {
	switch name := strings.ToLower(strings.TrimSpace(op)); name {
	case "add", "replace", "remove":
		return name
	}
	return ""
}

func applyOp(r Resource, i int, op PatchOperation) error {
	name := opName(op.Op)
	if name == "" {
		return patchError(i, op, ScimTypeInvalidSyntax, "unknown op %q (want add, replace or remove)", shorten(op.Op))
	}
	value, err := normalize(op.Value)
	if err != nil {
		return patchError(i, op, ScimTypeInvalidValue, "value cannot be represented as JSON: %v", err)
	}
	mode := setAdd
	if name == "replace" {
		mode = patchReplace
	}
	if op.Path == "" {
		if name == "remove" {
			return patchError(i, op, ScimTypeNoTarget, "remove needs a path")
		}
		m, ok := asMap(value)
		if !ok {
			return patchError(i, op, ScimTypeInvalidValue, "%s without a path needs an object value, not %s", name, JSONKind(value))
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		// Sorted, so "name" applies before "name.givenName".
		slices.Sort(keys)
		for _, k := range keys {
			v := m[k] // never nil: normalize drops null attributes
			p, err := ParsePath(k)
			if err != nil {
				return patchError(i, op, ScimTypeInvalidPath, "value key: %v", err)
			}
			if err := r.setPath(p, fixBools(p, v), mode); err != nil {
				return patchError(i, op, setErrorType(err), "value key %q: %v", shorten(k), err)
			}
		}
		return nil
	}
	p, err := ParsePath(op.Path)
	if err != nil {
		return patchError(i, op, ScimTypeInvalidPath, "%v", err)
	}
	if name == "remove" {
		if value != nil && p.filter == nil && p.attr != "" {
			if removeListed(r, p, value) {
				return nil
			}
		}
		if err := r.RemovePath(p); err != nil {
			return patchError(i, op, ScimTypeInvalidPath, "%v", err)
		}
		return nil
	}
	if value == nil {
		return patchError(i, op, ScimTypeInvalidValue, "%s needs a value", name)
	}
	if err := r.setPath(p, fixBools(p, value), mode); err != nil {
		return patchError(i, op, setErrorType(err), "%v", err)
	}
	return nil
}

func setErrorType(err error) string {
	var nt *noTargetError
	if errors.As(err, &nt) {
		return ScimTypeNoTarget
	}
	return ScimTypeInvalidValue
}

// removeListed removes from the multi-valued attribute at p the elements
// listed in value. p names an attribute, or a sub-attribute of a complex
// attribute (of each element, when that attribute is multi-valued). It
// reports false, removing nothing, when p holds no multi-valued value.
func removeListed(r Resource, p Path, value any) bool {
	obj := map[string]any(r)
	if p.urn != "" {
		m, ok := asMap(obj[keyOf(obj, p.urn)])
		if !ok {
			return false
		}
		obj = m
	}
	listed, ok := asSlice(value)
	if !ok {
		listed = []any{value}
	}
	if p.sub == "" {
		return removeFrom(obj, p.attr, listed)
	}
	parent := obj[keyOf(obj, p.attr)]
	if m, ok := asMap(parent); ok {
		return removeFrom(m, p.sub, listed)
	}
	elems, ok := asSlice(parent)
	if !ok {
		return false
	}
	found := false
	for _, e := range elems {
		if m, ok := asMap(e); ok && removeFrom(m, p.sub, listed) {
			found = true
		}
	}
	return found
}

// removeFrom removes the listed elements from the multi-valued attribute
// name of obj, deleting it when none remains. It reports false when obj
// holds no list there.
func removeFrom(obj map[string]any, name string, listed []any) bool {
	k := keyOf(obj, name)
	arr, ok := asSlice(obj[k])
	if !ok {
		return false
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		if !slices.ContainsFunc(listed, func(x any) bool { return sameElement(e, x) }) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		delete(obj, k)
	} else {
		obj[k] = out
	}
	return true
}

// sameElement reports whether element e is the one x describes: for an
// object with a "value", the values are equal; for another object, every
// non-null attribute of x is equal in e; otherwise the values are equal.
func sameElement(e, x any) bool {
	xm, ok := asMap(x)
	if !ok {
		return Equal(e, x)
	}
	em, ok := asMap(e)
	if !ok {
		return false
	}
	if xv, ok := lookup(xm, "value"); ok {
		ev, ok := lookup(em, "value")
		return ok && Equal(ev, xv)
	}
	n := 0
	for k, xv := range xm {
		if xv == nil {
			continue
		}
		n++
		ev, ok := lookup(em, k)
		if !ok || !Equal(ev, xv) {
			return false
		}
	}
	return n > 0
}

// fixBools normalises Entra's dialect in a value written at p: the strings
// "True"/"False" become booleans for the boolean attributes active and
// primary (at the path and inside objects), and the enterprise manager sent
// as a bare id becomes {"value": id}.
func fixBools(p Path, v any) any {
	name := p.attr
	if p.sub != "" {
		name = p.sub
	}
	if s, ok := v.(string); ok && p.sub == "" && p.filter == nil &&
		strings.EqualFold(p.attr, "manager") && strings.EqualFold(p.urn, EnterpriseUserSchema) {
		return map[string]any{"value": s}
	}
	if s, ok := v.(string); ok && isBoolAttr(name) {
		if b, ok := parseBool(s); ok {
			return b
		}
		return v
	}
	fixBoolsIn(v)
	return v
}

func isBoolAttr(name string) bool {
	return strings.EqualFold(name, "active") || strings.EqualFold(name, "primary")
}

// fixBoolsIn rewrites, in place, boolean strings held by active/primary
// keys in objects and arrays (v comes from normalize, so it is ours).
func fixBoolsIn(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && isBoolAttr(k) {
				if b, ok := parseBool(s); ok {
					x[k] = b
				}
				continue
			}
			fixBoolsIn(e)
		}
	case []any:
		for _, e := range x {
			fixBoolsIn(e)
		}
	}
}

// normalize returns a deep copy of a PATCH value in the generic JSON form
// (map[string]any, []any, string, bool, numbers) without null attributes
// (Entra's {"$ref": null, "value": "id"} members); other Go types go
// through encoding/json.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, json.Number:
		return v, nil
	case map[string]any:
		return normalizeMap(x)
	case Resource:
		return normalizeMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, nil
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = e
		}
		return out, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return normalize(out)
}

func normalizeMap(m map[string]any) (any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if e == nil {
			continue // null means unassigned (RFC 7643 §2.5): store nothing
		}
		n, err := normalize(e)
		if err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, nil
}

// Equal reports whether two values in SCIM JSON form are equal: numbers
// compare numerically whatever their Go type, a boolean equals Entra's
// "True"/"False" string, strings compare exactly, objects compare by
// attribute (names ignoring case, null attributes ignored) and arrays
// compare as multisets (order does not matter in SCIM multi-valued
// attributes).
func Equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case bool:
			v, ok := parseBool(x)
			return ok && v == y
		}
		return false
	case bool:
		y, ok := toBool(b)
		return ok && x == y
	}
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	if ma, ok := asMap(a); ok {
		mb, ok := asMap(b)
		if !ok {
			return false
		}
		na := 0
		for k, va := range ma {
			if va == nil {
				continue
			}
			na++
			vb, ok := lookup(mb, k)
			if !ok || !Equal(va, vb) {
				return false
			}
		}
		nb := 0
		for _, vb := range mb {
			if vb != nil {
				nb++
			}
		}
		return na == nb
	}
	if sa, ok := asSlice(a); ok {
		sb, ok := asSlice(b)
		if !ok || len(sa) != len(sb) {
			return false
		}
		used := make([]bool, len(sb))
	outer:
		for _, ea := range sa {
			for j, eb := range sb {
				if !used[j] && Equal(ea, eb) {
					used[j] = true
					continue outer
				}
			}
			return false
		}
		return true
	}
	return false
}

// ParsePatchRequest decodes and validates a PATCH request body (see
// [PatchRequest.Validate]). Malformed JSON is a [*SyntaxError] with the byte
// offset of the fault; an invalid operation is a [*Error] with status 400.
func ParsePatchRequest(data []byte) (PatchRequest, error) {
	var req PatchRequest
	if err := json.Unmarshal(data, &req); err != nil {
		off := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = int(se.Offset)
		case errors.As(err, &te):
			off = int(te.Offset)
		}
		return PatchRequest{}, &SyntaxError{What: "PATCH request", Input: shorten(string(data)), Offset: off, Msg: err.Error(), Err: err}
	}
	if err := req.Validate(); err != nil {
		return PatchRequest{}, err
	}
	return req, nil
}

// Validate checks a PATCH request without applying it: the [PatchOpSchema]
// URN is listed, there is at least one operation, every op is add, replace
// or remove (any case), every path parses, add and replace carry a value
// and remove has a path. The error is a [*Error] with status 400 naming
// the first bad operation.
func (req PatchRequest) Validate() error {
	if !slices.ContainsFunc(req.Schemas, func(s string) bool { return strings.EqualFold(s, PatchOpSchema) }) {
		return NewError(http.StatusBadRequest, ScimTypeInvalidSyntax, fmt.Sprintf("PATCH request: schemas must list %s", PatchOpSchema))
	}
	if len(req.Operations) == 0 {
		return NewError(http.StatusBadRequest, ScimTypeInvalidSyntax, "PATCH request: no Operations")
	}
	for i, op := range req.Operations {
		name := opName(op.Op)
		if name == "" {
			return patchError(i, op, ScimTypeInvalidSyntax, "unknown op %q (want add, replace or remove)", shorten(op.Op))
		}
		if op.Path != "" {
			if _, err := ParsePath(op.Path); err != nil {
				return patchError(i, op, ScimTypeInvalidPath, "%v", err)
			}
		}
		switch {
		case name == "remove" && op.Path == "":
			return patchError(i, op, ScimTypeNoTarget, "remove needs a path")
		case name != "remove" && op.Value == nil:
			return patchError(i, op, ScimTypeInvalidValue, "%s needs a value", name)
		case name != "remove" && op.Path == "":
			m, ok := asMap(op.Value)
			if !ok {
				return patchError(i, op, ScimTypeInvalidValue, "%s without a path needs an object value, not %s", name, JSONKind(op.Value))
			}
			for k, v := range m {
				if v == nil {
					continue // ApplyPatch ignores null attributes
				}
				if _, err := ParsePath(k); err != nil {
					return patchError(i, op, ScimTypeInvalidPath, "value key: %v", err)
				}
			}
		}
	}
	return nil
}
