package mapping

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/druvascim/druvascim/scim"
)

// MappingType is how a mapping gets its value, as in Entra.
type MappingType string

// The mapping types.
const (
	// TypeDirect copies a source attribute: Source is the attribute name.
	TypeDirect MappingType = "Direct"
	// TypeConstant sends a fixed string: Source is the constant.
	TypeConstant MappingType = "Constant"
	// TypeExpression evaluates an expression: Source is the expression text.
	TypeExpression MappingType = "Expression"
	// TypeNone sends nothing but the Default, on create only.
	TypeNone MappingType = "None"
)

// Apply says when a mapping is applied.
type Apply string

// When mappings apply.
const (
	// ApplyAlways: on create and on every update (the default).
	ApplyAlways Apply = "Always"
	// ApplyOnCreate: only when the object is created in the target.
	ApplyOnCreate Apply = "OnCreate"
)

// Mapping maps one target attribute, like one row of Entra's attribute
// mapping blade.
type Mapping struct {
	// Target is the SCIM attribute path written, such as "userName",
	// "name.givenName", `emails[type eq "work"].value` or
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".
	Target string
	// Type is Direct, Constant, Expression or None.
	Type MappingType
	// Source is the source attribute name (Direct), the constant (Constant)
	// or the expression text (Expression); empty for None.
	Source string
	// Default is sent on create when the mapping gives NULL ("default value
	// if null"); empty means no default. It is never used on update.
	Default string
	// Apply is ApplyAlways (the default when empty) or ApplyOnCreate.
	Apply Apply
	// Match is the matching precedence: 0 means the mapping is not used to
	// match objects; 1 is tried first, then 2, and so on. The first key with
	// a value wins; keys are never combined.
	Match int
}

// Mapped is the result of mapping one object.
type Mapped struct {
	// Resource is the create form: every mapping (Always and OnCreate),
	// defaults filled, NULL results omitted, plus "schemas".
	Resource scim.Resource
	// Update holds the mappings that apply Always and gave a non-NULL
	// value, in set order: the values to compare with, and patch into, an
	// existing target object. Defaults are never used here. Values are
	// shared with Resource (a multi-valued []any is the same slice): change
	// neither in place, or Clone the Resource first.
	Update []Assignment
	// Keys are the matching keys in precedence order, only those with a value.
	Keys []MatchKey
	// Missing lists the Required target paths the create form has no value
	// for. An object with Missing paths must not be created: the planner
	// reports it (Druva: "email is mandatory").
	Missing []string
	// FillEmpty holds the defaults of None mappings: values to write only
	// where the target object has no value at Path, on create and on every
	// update (Entra: "None - the target attribute is left unmodified.
	// However, if the target attribute is ever empty, it's populated with
	// the Default value that you specify"). [Mapped.Updates] merges them.
	FillEmpty []Assignment
	// Redacted lists the target paths whose value in Resource came from
	// Redact (nil when none did): reports and plans must mask them.
	Redacted []string
}

// Assignment is one target value of an update.
type Assignment struct {
	Path     string `json:"path"`               // the mapping's target path
	Value    any    `json:"value"`              // SCIM JSON form: string, bool, or []any of strings
	Redacted bool   `json:"redacted,omitempty"` // the value came from Redact: print it as [RedactedText]
}

// MatchKey is one matching key: a target path and the value to look for.
type MatchKey struct {
	Path  string `json:"path"` // a SCIM path such as "userName"
	Value string `json:"value"`
}

// ErrInvalidSet matches a [*ValidationError] with errors.Is.
var ErrInvalidSet = errors.New("mapping: invalid mapping set")

// Problem is one fault of a mapping set.
type Problem struct {
	Set     string // the set's name, when several sets are checked at once
	Mapping int    // the mapping's position in the set, counted from 1; 0 for the set itself
	Target  string // the mapping's target, when there is one
	Field   string // which field is wrong: "target", "source", "match", "scope[0][1]", …
	Msg     string
}

// String renders the problem as one line: where, which field, what is wrong.
func (p Problem) String() string {
	var b strings.Builder
	if p.Set != "" {
		fmt.Fprintf(&b, "%q: ", p.Set)
	}
	if p.Mapping > 0 {
		fmt.Fprintf(&b, "mapping %d", p.Mapping)
		if p.Target != "" {
			fmt.Fprintf(&b, " (%s)", p.Target)
		}
	} else {
		b.WriteString("set")
	}
	if p.Field != "" {
		b.WriteString(" " + p.Field)
	}
	b.WriteString(": " + p.Msg)
	return b.String()
}

// ValidationError lists every problem of a mapping set.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("mapping: invalid mapping set (%s):\n  %s", plural(len(e.Problems), "problem"), strings.Join(lines, "\n  "))
}

// Is reports whether target is [ErrInvalidSet].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidSet }

// MappingError is a failure to evaluate one mapping of an object.
type MappingError struct {
	Target string
	Err    error
}

// Error names the mapping and the cause.
func (e *MappingError) Error() string {
	return fmt.Sprintf("mapping: target %s: %s", e.Target, causeText(e.Err))
}

// Unwrap returns the cause.
func (e *MappingError) Unwrap() error { return e.Err }

// ---- compilation ----

type compiledTarget struct {
	text     string // as written in the mapping
	urn      string
	attr     string // key in the resource (or in the extension object)
	sub      string
	elem     map[string]any // filtered path: the new element's fixed attributes (type: work)
	boolean  bool
	oneValue bool   // a single slot: a multi-valued result sends its first value
	ident    string // identity of the object written into ("name", an extension, an element)
	cid      int    // the container the value is written into (0: the resource)
	leaf     string // the key written in that container
}

// container is an object of the create form that mappings write into: the
// resource itself (index 0), a complex attribute ("name"), an extension
// object, or an element of a multi-valued attribute created from a
// filtered path. Map creates each container once per object, pre-sized.
type container struct {
	parent int
	key    string // key in the parent
	elem   []kv   // an element: its fixed attributes ({"type": "work"}); nil for objects
	size   int    // entries the container gets
}

type kv struct {
	k string
	v any
}

type compiledMapping struct {
	m       Mapping
	target  compiledTarget
	expr    *Expression
	def     Value
	hasDef  bool
	always  bool
	matchAt int
}

type compiledSet struct {
	mappings []compiledMapping
	keys     []int // indexes of matching mappings, by precedence
	required []int // for each Required path, the index of the mapping writing it
	reqText  []string
	scope    compiledScope
	entCid   int         // the enterprise extension's container, 0 when none
	conts    []container // conts[0] is the resource
	nUpdate  int         // mappings that apply Always
	schema   any         // the core schema URN of the object type, boxed once

	regexTimeout time.Duration // for regular expressions built while evaluating
}

// layout assigns every target the container it writes into and sizes the
// containers, so that Map builds each object of the create form once,
// without looking anything up.
func (c *compiledSet) layout() {
	c.conts = []container{{parent: -1, size: 1}} // "schemas"
	byIdent := map[string]int{"": 0}
	get := func(parent int, ident, key string, elem []kv) int {
		if cid, ok := byIdent[ident]; ok {
			return cid
		}
		c.conts = append(c.conts, container{parent: parent, key: key, elem: elem, size: len(elem)})
		c.conts[parent].size++
		byIdent[ident] = len(c.conts) - 1
		return len(c.conts) - 1
	}
	for i := range c.mappings {
		t := &c.mappings[i].target
		parent := 0
		prefix := ""
		if t.urn != "" {
			prefix = strings.ToLower(t.urn) + ":"
			parent = get(0, prefix, t.urn, nil)
			if strings.EqualFold(t.urn, scim.EnterpriseUserSchema) {
				c.entCid = parent
			}
		}
		if c.mappings[i].always {
			c.nUpdate++
		}
		switch {
		case t.elem != nil:
			var elem []kv
			for k, v := range t.elem {
				elem = append(elem, kv{k, v})
			}
			slices.SortFunc(elem, func(a, b kv) int { return strings.Compare(a.k, b.k) })
			t.cid = get(parent, prefix+t.ident, t.attr, elem)
			t.leaf = t.sub
		case t.sub != "":
			t.cid = get(parent, prefix+t.ident, t.attr, nil)
			t.leaf = t.sub
		default:
			t.cid = parent
			t.leaf = t.attr
		}
		c.conts[t.cid].size++
	}
}

// container returns the object cid of the create form being built,
// creating it (and its parents) on first use.
func (c *compiledSet) container(conts []map[string]any, cid int) map[string]any {
	if m := conts[cid]; m != nil {
		return m
	}
	ct := &c.conts[cid]
	parent := c.container(conts, ct.parent)
	m := make(map[string]any, ct.size)
	if ct.elem != nil {
		for _, e := range ct.elem {
			m[e.k] = e.v
		}
		arr, _ := parent[ct.key].([]any)
		parent[ct.key] = append(arr, m)
	} else {
		parent[ct.key] = m
	}
	conts[cid] = m
	return m
}

// canonicalPath returns the SCIM canonical form of a path, or the text
// itself when it does not parse.
func canonicalPath(s string) string {
	p, err := scim.ParsePath(s)
	if err != nil {
		return s
	}
	return p.String()
}

func compileTarget(text string, group bool) (compiledTarget, string) {
	t := compiledTarget{text: text}
	p, err := scim.ParsePath(text)
	if err != nil {
		return t, err.Error()
	}
	t.urn, t.attr, t.sub = p.URN(), p.Attribute(), p.SubAttribute()
	if t.attr == "" {
		return t, "the target names a whole schema extension, not an attribute"
	}
	check := checkTargetSchema
	if group {
		check = checkGroupSchema
	}
	if msg := check(t.urn, t.attr, t.sub, p.Filter() != nil); msg != "" {
		return t, msg
	}
	t.ident = strings.ToLower(t.attr)
	if f := p.Filter(); f != nil {
		t.ident += "[" + strings.ToLower(f.String()) + "]"
		if t.sub == "" {
			return t, "a filtered target needs a sub-attribute, such as .value"
		}
		// Learn the element a new value creates ({"type": "work"}) from
		// the scim package once, so that mapping needs no filter work.
		r := scim.Resource{}
		if err := r.SetPath(p, "\x00"); err != nil {
			return t, err.Error()
		}
		arr, _ := r[t.attr].([]any)
		if len(arr) != 1 {
			return t, "the filter cannot describe a new element"
		}
		elem, _ := arr[0].(map[string]any)
		delete(elem, t.sub)
		t.elem = elem
		t.oneValue = true
	}
	if t.sub != "" && t.urn == "" {
		t.oneValue = true
	}
	t.boolean = (t.urn == "" && strings.EqualFold(t.attr, "active") && t.sub == "") || strings.EqualFold(t.sub, "primary")
	return t, ""
}

// filterable reports whether a target can be a matching attribute: the
// attributes Entra queries with "eq" and Druva can be expected to filter.
func filterable(t compiledTarget) bool {
	if t.urn != "" {
		return false
	}
	switch strings.ToLower(t.attr) {
	case "username", "externalid", "displayname":
		return t.sub == ""
	case "emails":
		return strings.EqualFold(t.sub, "value")
	}
	return false
}

// RFC 7643 sections 4.1 and 4.3: the User attributes a mapping may write.
var (
	coreSimple = []string{"userName", "displayName", "nickName", "profileUrl", "title", "userType",
		"preferredLanguage", "locale", "timezone", "active", "password", "externalId"}
	nameSubs     = []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}
	multiAttrs   = []string{"emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509Certificates"}
	multiSubs    = []string{"value", "display", "type", "primary"}
	addressSubs  = []string{"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"}
	enterpriseAt = []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}
)

func hasFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// checkTargetSchema checks a target against the SCIM User schema: core
// attributes and the enterprise extension are known; other extension URNs
// (custom attributes, as Entra names them) are accepted.
func checkTargetSchema(urn, attr, sub string, filtered bool) string {
	if urn != "" {
		if !strings.EqualFold(urn, scim.EnterpriseUserSchema) {
			return ""
		}
		if !hasFold(enterpriseAt, attr) {
			return fmt.Sprintf("the enterprise extension has no attribute %q (it has %s)", attr, strings.Join(enterpriseAt, ", "))
		}
		if strings.EqualFold(attr, "manager") {
			if sub != "" && !hasFold([]string{"value", "$ref", "displayName"}, sub) {
				return fmt.Sprintf("manager has no sub-attribute %q", sub)
			}
		} else if sub != "" {
			return fmt.Sprintf("%s has no sub-attributes", attr)
		}
		return ""
	}
	switch {
	case strings.EqualFold(attr, "id"), strings.EqualFold(attr, "meta"), strings.EqualFold(attr, "schemas"), strings.EqualFold(attr, "groups"):
		return fmt.Sprintf("%s is set by the service and cannot be mapped", attr)
	case hasFold(coreSimple, attr):
		if sub != "" || filtered {
			return fmt.Sprintf("%s is a simple attribute; it has no sub-attributes or filter", attr)
		}
	case strings.EqualFold(attr, "name"):
		if sub == "" {
			return "name is complex: map a sub-attribute such as name.givenName"
		}
		if !hasFold(nameSubs, sub) {
			return fmt.Sprintf("name has no sub-attribute %q (it has %s)", sub, strings.Join(nameSubs, ", "))
		}
	case hasFold(multiAttrs, attr):
		subs := multiSubs
		if strings.EqualFold(attr, "addresses") {
			subs = addressSubs
		}
		if sub == "" {
			return fmt.Sprintf("%s is multi-valued and complex: map a sub-attribute, such as %s[type eq \"work\"].value", attr, attr)
		}
		if !hasFold(subs, sub) {
			return fmt.Sprintf("%s has no sub-attribute %q", attr, sub)
		}
	default:
		if hint, ok := targetHint(attr); ok {
			return fmt.Sprintf("the User schema has no attribute %q; did you mean %s?", attr, hint)
		}
		return fmt.Sprintf("the User schema has no attribute %q (custom attributes go in an extension: urn:ietf:params:scim:schemas:extension:<Name>:2.0:User:%s)", attr, attr)
	}
	return ""
}

// targetHint returns the SCIM path for an Entra attribute name written as
// a target: the names people reach for first when a mapping blade shows
// Entra's names on the left.
func targetHint(attr string) (string, bool) {
	ent := scim.EnterpriseUserSchema + ":"
	hints := map[string]string{
		"jobtitle":          "title",
		"employeenumber":    ent + "employeeNumber",
		"employeeid":        ent + "employeeNumber",
		"department":        ent + "department",
		"companyname":       ent + "organization",
		"organization":      ent + "organization",
		"costcenter":        ent + "costCenter",
		"division":          ent + "division",
		"manager":           ent + "manager.value",
		"mail":              `emails[type eq "work"].value`,
		"email":             `emails[type eq "work"].value`,
		"givenname":         "name.givenName",
		"surname":           "name.familyName",
		"familyname":        "name.familyName",
		"userprincipalname": "userName",
		"mobile":            `phoneNumbers[type eq "mobile"].value`,
		"mobilephone":       `phoneNumbers[type eq "mobile"].value`,
	}
	h, ok := hints[strings.ToLower(attr)]
	return h, ok
}

// checkGroupSchema checks a target against the SCIM Group schema.
func checkGroupSchema(urn, attr, sub string, filtered bool) string {
	if urn != "" {
		return ""
	}
	switch {
	case strings.EqualFold(attr, "displayName"), strings.EqualFold(attr, "externalId"):
		if sub != "" || filtered {
			return fmt.Sprintf("%s is a simple attribute; it has no sub-attributes or filter", attr)
		}
	case strings.EqualFold(attr, "members"):
		if sub != "" && !hasFold([]string{"value", "display", "$ref", "type"}, sub) {
			return fmt.Sprintf("members has no sub-attribute %q", sub)
		}
	default:
		return fmt.Sprintf("the Group schema has no attribute %q", attr)
	}
	return ""
}

// ---- mapping ----

// InScope reports whether attrs pass the set's scoping filter.
func (s *Set) InScope(attrs Attributes) (bool, error) {
	c, err := s.get()
	if err != nil {
		return false, err
	}
	return c.scope.matches(attrs)
}

// matchPaths returns the target paths of the matching attributes in
// precedence order.
func (s *Set) matchPaths() []string {
	c, err := s.get()
	if err != nil {
		return nil
	}
	out := make([]string, len(c.keys))
	for i, k := range c.keys {
		out[i] = c.mappings[k].m.Target
	}
	return out
}

// updatePaths returns the target paths of the mappings that apply Always,
// in set order: the attributes an update may change.
func (s *Set) updatePaths() []string {
	var out []string
	for _, m := range s.mappings {
		if (m.Apply == "" || m.Apply == ApplyAlways) && m.Type != TypeNone {
			out = append(out, m.Target)
		}
	}
	return out
}

// SourceAttributes returns exactly the source attributes the set reads:
// the sources of Direct mappings, the attributes expressions read, and
// the attributes of the scoping filter, in order of first use, without
// duplicates. Matching reads nothing more (its keys are mapped values).
// A source must deliver every one of them; an attribute it does not
// deliver is NULL to the set, so a reader that cannot fetch one should
// refuse to start rather than map NULL.
func (s *Set) SourceAttributes() []string {
	c, err := s.get()
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	addName := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, m := range c.mappings {
		switch {
		case m.m.Type == TypeDirect:
			addName(m.m.Source)
		case m.expr != nil:
			for _, a := range m.expr.Attributes() {
				addName(a)
			}
		}
	}
	for _, g := range s.cfg.scope {
		for _, cl := range g {
			addName(cl.Attribute)
		}
	}
	return out
}

// Map maps one source object. It evaluates every mapping once and returns
// the create form, the update assignments and the matching keys (see
// [Mapped]). A missing Required attribute is not an error: it is listed in
// Mapped.Missing for the planner to report. Errors are a [*ValidationError]
// for an invalid set, or a [*MappingError] wrapping the evaluation failure
// (an [*EvalError]) of one mapping.
func (s *Set) Map(ctx context.Context, attrs Attributes, opts ...EvalOption) (Mapped, error) {
	c, err := s.get()
	if err != nil {
		return Mapped{}, err
	}
	cfg := evalConfig{regexTimeout: c.regexTimeout}
	if len(opts) > 0 {
		if err := cfg.apply(opts); err != nil {
			return Mapped{}, err
		}
	}
	// Scratch space on the stack for the usual set sizes.
	var contBuf [16]map[string]any
	var writtenBuf [64]bool
	var keyBuf [8]Value
	w := mapWork{
		conts:   scratch(contBuf[:], len(c.conts)),
		written: scratch(writtenBuf[:], len(c.mappings)),
		keys:    scratch(keyBuf[:], len(c.keys)),
	}
	out := Mapped{Resource: make(scim.Resource, c.conts[0].size), Update: make([]Assignment, 0, c.nUpdate)}
	w.conts[0] = out.Resource
	for i := range c.mappings {
		v, boxed, err := c.mappings[i].value(ctx, attrs, &cfg)
		if err != nil {
			return Mapped{}, err
		}
		c.place(&out, w, i, v, boxed)
	}
	c.finish(&out, w)
	return out, nil
}

// MatchKeys maps only the matching attributes of one source object and
// returns their keys as [Set.Map] returns them in Mapped.Keys: in
// precedence order, only those with a value. It serves an object that is
// matched against the target but never created or updated (one the
// source reports out of scope), for a fraction of Map's work. Its errors
// are Map's, for the matching mappings alone.
func (s *Set) MatchKeys(ctx context.Context, attrs Attributes, opts ...EvalOption) ([]MatchKey, error) {
	c, err := s.get()
	if err != nil {
		return nil, err
	}
	cfg := evalConfig{regexTimeout: c.regexTimeout}
	if len(opts) > 0 {
		if err := cfg.apply(opts); err != nil {
			return nil, err
		}
	}
	var keys []MatchKey
	for _, i := range c.keys {
		cm := &c.mappings[i]
		v, _, err := cm.value(ctx, attrs, &cfg)
		if err != nil {
			return nil, err
		}
		if !v.isEmpty() {
			keys = append(keys, MatchKey{Path: cm.m.Target, Value: v.String()})
		}
	}
	return keys, nil
}

// mapWork is the scratch state of one Map call: the containers of the
// create form built so far, which mappings wrote a non-empty value, and
// the value of each matching key.
type mapWork struct {
	conts   []map[string]any
	written []bool
	keys    []Value
}

// scratch returns n zeroed elements, from buf when they fit.
func scratch[T any](buf []T, n int) []T {
	if n <= len(buf) {
		return buf[:n]
	}
	return make([]T, n)
}

// value evaluates one mapping. boxed is the source's own interface value
// when it can be sent as it is, which saves boxing the string again.
func (cm *compiledMapping) value(ctx context.Context, attrs Attributes, cfg *evalConfig) (v Value, boxed any, err error) {
	switch cm.m.Type {
	case TypeDirect:
		x, ok := attrs[cm.m.Source]
		if !ok {
			return Value{}, nil, nil
		}
		if v, err = valueOf(x); err != nil {
			return Value{}, nil, &MappingError{Target: cm.m.Target, Err: fmt.Errorf("%w: attribute %s: %v", ErrBadAttribute, cm.m.Source, err)}
		}
		if _, isString := x.(string); isString && !cm.target.boolean {
			boxed = x
		}
	case TypeConstant:
		v = stringValue(cm.m.Source)
	case TypeExpression:
		if v, err = cm.expr.eval(ctx, attrs, cfg); err != nil {
			return Value{}, nil, &MappingError{Target: cm.m.Target, Err: err}
		}
	}
	return v, boxed, nil
}

// place puts mapping i's value where it belongs: the matching keys, the
// update assignments, the create form (with the default when NULL) and,
// for a None mapping, the values to fill where the target has none.
func (c *compiledSet) place(out *Mapped, w mapWork, i int, v Value, boxed any) {
	cm := &c.mappings[i]
	if cm.matchAt > 0 && !v.isEmpty() {
		w.keys[slices.Index(c.keys, i)] = v
	}
	var jv any
	switch {
	case !v.IsNull():
		jv = boxed
		if jv == nil {
			jv = cm.target.json(v)
		}
		if cm.always {
			out.Update = append(out.Update, Assignment{Path: cm.m.Target, Value: jv, Redacted: v.redacted})
		}
	case cm.hasDef:
		jv = cm.target.json(cm.def)
		if cm.m.Type == TypeNone {
			out.FillEmpty = append(out.FillEmpty, Assignment{Path: cm.m.Target, Value: jv})
		}
	default:
		return
	}
	if v.redacted {
		out.Redacted = append(out.Redacted, cm.m.Target)
	}
	c.container(w.conts, cm.target.cid)[cm.target.leaf] = jv
	w.written[i] = jv != ""
}

// finish adds the matching keys in precedence order, "schemas" and the
// Required paths without a value.
func (c *compiledSet) finish(out *Mapped, w mapWork) {
	for k, v := range w.keys {
		if !v.IsNull() {
			out.Keys = append(out.Keys, MatchKey{Path: c.mappings[c.keys[k]].m.Target, Value: v.String()})
		}
	}
	if c.entCid > 0 && w.conts[c.entCid] != nil {
		out.Resource["schemas"] = []any{c.schema, scim.EnterpriseUserSchema}
	} else {
		out.Resource["schemas"] = []any{c.schema}
	}
	for i, j := range c.required {
		if !w.written[j] {
			out.Missing = append(out.Missing, c.reqText[i])
		}
	}
}

// json converts a value to the SCIM JSON form for this target.
func (t *compiledTarget) json(v Value) any {
	if v.kind == KindMulti && t.oneValue {
		return v.list[0]
	}
	if v.kind == KindString && !t.boolean {
		return v.s
	}
	return v.jsonValue(t.boolean)
}

// Updates returns the assignments to compare with, and patch into, the
// target object current: Update, then each FillEmpty value whose path
// current has no value for (absent, null or "").
func (m Mapped) Updates(current scim.Resource) []Assignment {
	if len(m.FillEmpty) == 0 {
		return m.Update
	}
	out := slices.Clone(m.Update)
	for _, a := range m.FillEmpty {
		if v, ok := current.Get(a.Path); !ok || v == nil || v == "" {
			out = append(out, a)
		}
	}
	return out
}
