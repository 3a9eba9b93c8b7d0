package druvatest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/druvascim/druvascim/scim"
)

// entry is one stored resource (user or group). attrs never holds id,
// schemas or meta: those are rendered.
type entry struct {
	id        string
	attrs     scim.Resource
	created   time.Time
	modified  time.Time
	version   int
	preserved bool   // users: Druva's Preserved state (active false)
	profile   string // users: the profile the matching SCIM mapping gave
}

// store holds users and groups; the Server's mutex guards it.
type store struct {
	users     map[string]*entry
	userOrder []string            // ids in creation order (= sorted)
	byName    map[string]string   // lower-case userName -> id
	byEmail   map[string]string   // lower-case email -> id
	byExt     map[string][]string // externalId -> ids (not unique)
	groups    map[string]*entry
	grpOrder  []string
	byGroup   map[string]string // lower-case displayName -> id
	nextUser  int
	nextGroup int
}

func newStore() *store {
	return &store{
		users:   map[string]*entry{},
		byName:  map[string]string{},
		byEmail: map[string]string{},
		byExt:   map[string][]string{},
		groups:  map[string]*entry{},
		byGroup: map[string]string{},
	}
}

// reserved are attributes the server owns.
var reserved = []string{"id", "schemas", "meta"}

// clean returns a copy of r without server-owned attributes, with Entra's
// "True"/"False" active normalised to a boolean.
func clean(r scim.Resource) (scim.Resource, *scim.Error) {
	out := make(scim.Resource, len(r))
	for k, v := range r {
		if slices.ContainsFunc(reserved, func(s string) bool { return strings.EqualFold(s, k) }) {
			continue
		}
		if strings.EqualFold(k, "active") {
			switch b := v.(type) {
			case bool:
			case string:
				switch strings.ToLower(b) {
				case "true":
					v = true
				case "false":
					v = false
				default:
					return nil, scim.NewError(http.StatusBadRequest, "invalidValue", fmt.Sprintf("active: %q is not a boolean", b))
				}
			case nil:
				continue
			default:
				return nil, scim.NewError(http.StatusBadRequest, "invalidValue", fmt.Sprintf("active: %T is not a boolean", v))
			}
		}
		out[k] = v
	}
	return out, nil
}

// emailsOf returns every email value of r, lower-cased.
func emailsOf(r scim.Resource) []string {
	v, _ := r.Get("emails")
	items, _ := v.([]any)
	var out []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		for k, val := range m {
			if strings.EqualFold(k, "value") {
				if s, _ := val.(string); strings.TrimSpace(s) != "" {
					out = append(out, strings.ToLower(strings.TrimSpace(s)))
				}
			}
		}
	}
	return out
}

// checkUser applies Druva's rules to a user about to be stored under id
// ("" for a new user): required attributes (400) and uniqueness (409).
func (st *store) checkUser(id string, r scim.Resource) *scim.Error {
	name := strings.TrimSpace(r.UserName())
	switch {
	case name == "":
		return scim.NewError(http.StatusBadRequest, "invalidValue", "userName is required")
	case strings.TrimSpace(r.DisplayName()) == "":
		return scim.NewError(http.StatusBadRequest, "invalidValue", "displayName is required")
	case len(emailsOf(r)) == 0:
		return scim.NewError(http.StatusBadRequest, "invalidValue", "an email address is required")
	}
	if other, ok := st.byName[strings.ToLower(name)]; ok && other != id {
		return scim.NewError(http.StatusConflict, "uniqueness", fmt.Sprintf("a user with userName %q already exists", name))
	}
	for _, e := range emailsOf(r) {
		if other, ok := st.byEmail[e]; ok && other != id {
			return scim.NewError(http.StatusConflict, "uniqueness", fmt.Sprintf("a user with email %q already exists", e))
		}
	}
	return nil
}

// matchMapping returns the profile of the first mapping that matches r.
func matchMapping(ms []Mapping, r scim.Resource) (string, bool) {
	for _, m := range ms {
		if m.Attribute == "" {
			return m.Profile, true
		}
		for _, v := range attrValues(r, m.Attribute) {
			if slices.Contains(m.Values, v) {
				return m.Profile, true
			}
		}
	}
	return "", false
}

// attrValues finds an attribute by its exact name (Druva matches with
// case): at the top level, as "urn:...:name" in an extension, or inside any
// extension object.
func attrValues(r scim.Resource, name string) []string {
	var out []string
	add := func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	if v, ok := r[name]; ok {
		add(v)
	}
	if i := strings.LastIndex(name, ":"); i > 0 {
		if ext, ok := r[name[:i]].(map[string]any); ok {
			add(ext[name[i+1:]])
		}
	}
	for k, v := range r {
		if strings.HasPrefix(strings.ToLower(k), "urn:") {
			if ext, ok := v.(map[string]any); ok {
				if x, ok := ext[name]; ok {
					add(x)
				}
			}
		}
	}
	return out
}

func (st *store) index(id string, r scim.Resource) {
	st.byName[strings.ToLower(strings.TrimSpace(r.UserName()))] = id
	for _, e := range emailsOf(r) {
		st.byEmail[e] = id
	}
	if ext := r.ExternalID(); ext != "" {
		st.byExt[ext] = append(st.byExt[ext], id)
	}
}

func (st *store) unindex(id string, r scim.Resource) {
	if st.byName[strings.ToLower(strings.TrimSpace(r.UserName()))] == id {
		delete(st.byName, strings.ToLower(strings.TrimSpace(r.UserName())))
	}
	for _, e := range emailsOf(r) {
		if st.byEmail[e] == id {
			delete(st.byEmail, e)
		}
	}
	if ext := r.ExternalID(); ext != "" {
		ids := slices.DeleteFunc(st.byExt[ext], func(s string) bool { return s == id })
		if len(ids) == 0 {
			delete(st.byExt, ext)
		} else {
			st.byExt[ext] = ids
		}
	}
}

// createUser stores a new user after Druva's checks.
func (st *store) createUser(r scim.Resource, mappings []Mapping, now time.Time) (*entry, *scim.Error) {
	attrs, serr := clean(r)
	if serr != nil {
		return nil, serr
	}
	if serr := st.checkUser("", attrs); serr != nil {
		return nil, serr
	}
	profile := ""
	if len(mappings) > 0 {
		p, ok := matchMapping(mappings, attrs)
		if !ok {
			return nil, scim.NewError(http.StatusBadRequest, "", "None of the SCIM Mapping matched to create user")
		}
		profile = p
	}
	if _, ok := attrs["active"]; !ok {
		attrs["active"] = true
	}
	st.nextUser++
	e := &entry{
		id:       fmt.Sprintf("user-%08d", st.nextUser),
		attrs:    attrs,
		created:  now,
		modified: now,
		version:  1,
		profile:  profile,
	}
	e.preserved = attrs["active"] == false
	st.users[e.id] = e
	st.userOrder = append(st.userOrder, e.id)
	st.index(e.id, attrs)
	return e, nil
}

// updateUser replaces a stored user's attributes after Druva's checks.
func (st *store) updateUser(e *entry, next scim.Resource, now time.Time) *scim.Error {
	attrs, serr := clean(next)
	if serr != nil {
		return serr
	}
	if serr := st.checkUser(e.id, attrs); serr != nil {
		return serr
	}
	if _, ok := attrs["active"]; !ok {
		attrs["active"] = !e.preserved
	}
	st.unindex(e.id, e.attrs)
	e.attrs = attrs
	e.preserved = attrs["active"] == false
	e.modified = now
	e.version++
	st.index(e.id, attrs)
	return nil
}

// activeKey returns the key under which attrs holds "active".
func activeKey(attrs scim.Resource) string {
	for k := range attrs {
		if strings.EqualFold(k, "active") {
			return k
		}
	}
	return "active"
}

// preserve is Druva's answer to DELETE and to active false: the user stays,
// inactive.
func (st *store) preserve(e *entry, now time.Time) {
	k := activeKey(e.attrs)
	if e.attrs[k] != false || !e.preserved {
		e.attrs[k] = false
		e.preserved = true
		e.modified = now
		e.version++
	}
}

// render returns the SCIM form of a stored resource.
func (e *entry) render(schemaURN, resourceType, location string) scim.Resource {
	out := e.attrs.Clone()
	out["id"] = e.id
	schemas := []any{schemaURN}
	if schemaURN == scim.UserSchema {
		schemas = append(schemas, scim.EnterpriseUserSchema)
	}
	for k := range e.attrs {
		if strings.EqualFold(k, scim.EnterpriseUserSchema) {
			continue
		}
		if strings.HasPrefix(strings.ToLower(k), "urn:") {
			schemas = append(schemas, k)
		}
	}
	slices.SortFunc(schemas[1:], func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	out["schemas"] = schemas
	out["meta"] = map[string]any{
		"resourceType": resourceType,
		"created":      e.created.UTC().Format(time.RFC3339),
		"lastModified": e.modified.UTC().Format(time.RFC3339),
		"location":     location,
		"version":      fmt.Sprintf("W/\"%d\"", e.version),
	}
	return out
}

// checkGroup: displayName required and unique; members must be known users.
func (st *store) checkGroup(id string, r scim.Resource) *scim.Error {
	name := strings.TrimSpace(r.DisplayName())
	if name == "" {
		return scim.NewError(http.StatusBadRequest, "invalidValue", "displayName is required")
	}
	if other, ok := st.byGroup[strings.ToLower(name)]; ok && other != id {
		return scim.NewError(http.StatusConflict, "uniqueness", fmt.Sprintf("a group named %q already exists", name))
	}
	v, _ := r.Get("members")
	if v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		return scim.NewError(http.StatusBadRequest, "invalidValue", "members must be a list")
	}
	for i, it := range items {
		m, _ := it.(map[string]any)
		val, _ := scim.Resource(m).Get("value")
		s, _ := val.(string)
		if _, ok := st.users[s]; !ok {
			return scim.NewError(http.StatusBadRequest, "invalidValue", fmt.Sprintf("members[%d]: no user with id %q", i, s))
		}
	}
	return nil
}

func (st *store) createGroup(r scim.Resource, now time.Time) (*entry, *scim.Error) {
	attrs, serr := clean(r)
	if serr != nil {
		return nil, serr
	}
	if serr := st.checkGroup("", attrs); serr != nil {
		return nil, serr
	}
	st.nextGroup++
	e := &entry{id: fmt.Sprintf("group-%08d", st.nextGroup), attrs: attrs, created: now, modified: now, version: 1}
	st.groups[e.id] = e
	st.grpOrder = append(st.grpOrder, e.id)
	st.byGroup[strings.ToLower(strings.TrimSpace(attrs.DisplayName()))] = e.id
	return e, nil
}

func (st *store) updateGroup(e *entry, next scim.Resource, now time.Time) *scim.Error {
	attrs, serr := clean(next)
	if serr != nil {
		return serr
	}
	if serr := st.checkGroup(e.id, attrs); serr != nil {
		return serr
	}
	delete(st.byGroup, strings.ToLower(strings.TrimSpace(e.attrs.DisplayName())))
	e.attrs, e.modified = attrs, now
	e.version++
	st.byGroup[strings.ToLower(strings.TrimSpace(attrs.DisplayName()))] = e.id
	return nil
}

func (st *store) deleteGroup(id string) bool {
	e, ok := st.groups[id]
	if !ok {
		return false
	}
	delete(st.groups, id)
	delete(st.byGroup, strings.ToLower(strings.TrimSpace(e.attrs.DisplayName())))
	st.grpOrder = slices.DeleteFunc(st.grpOrder, func(s string) bool { return s == id })
	return true
}
