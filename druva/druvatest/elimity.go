package druvatest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	escim "github.com/elimity-com/scim"
	eerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/druvascim/druvascim/scim"
)

// newElimity builds the elimity-com/scim server that answers discovery,
// reads (GET one, GET list with startIndex/count/filter) and DELETE. Its
// schemas validate filters; the handlers below evaluate them with package
// scim and apply Druva's rules.
func (s *Server) newElimity() (escim.Server, error) {
	user := schema.CoreUserSchema()
	// Attributes Druva's SCIM mappings commonly filter on travel as
	// top-level attributes; declare them so filters on them validate.
	for _, name := range []string{"department", "companyName", "company"} {
		user.Attributes = append(user.Attributes, schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: name})))
	}
	types := []escim.ResourceType{{
		ID:          optional.NewString("User"),
		Name:        "User",
		Endpoint:    "/Users",
		Description: optional.NewString("Druva inSync user"),
		Schema:      user,
		SchemaExtensions: []escim.SchemaExtension{
			{Schema: schema.ExtensionEnterpriseUser()},
		},
		Handler: &handler{s: s, kind: "Users"},
	}}
	if s.cfg.groups {
		types = append(types, escim.ResourceType{
			ID:          optional.NewString("Group"),
			Name:        "Group",
			Endpoint:    "/Groups",
			Description: optional.NewString("Group"),
			Schema:      schema.CoreGroupSchema(),
			Handler:     &handler{s: s, kind: "Groups"},
		})
	}
	return escim.NewServer(&escim.ServerArgs{
		ServiceProviderConfig: &escim.ServiceProviderConfig{
			MaxResults:       s.cfg.maxPage,
			SupportFiltering: true,
			SupportPatch:     true,
			AuthenticationSchemes: []escim.AuthenticationScheme{{
				Type:        escim.AuthenticationTypeOauthBearerToken,
				Name:        "OAuth Bearer Token",
				Description: "The Druva inSync SCIM token",
				Primary:     true,
			}},
		},
		ResourceTypes: types,
	}, escim.WithBaseURL(s.URL))
}

// handler is the elimity ResourceHandler over the fake's store. Create,
// Replace and Patch are never reached: dispatch answers those itself (with
// generic decoding, which elimity's schema validation would not allow for
// Entra's string booleans and Druva's free-form attributes).
type handler struct {
	s    *Server
	kind string
}

func (h *handler) entries() (map[string]*entry, []string) {
	if h.kind == "Groups" {
		return h.s.st.groups, h.s.st.grpOrder
	}
	return h.s.st.users, h.s.st.userOrder
}

// toElimity hands elimity a shallow copy: it reads the resource after the
// server's lock is released, and the store never changes nested values in
// place (a PATCH or PUT replaces the whole attribute map; only top-level
// keys are set in place).
func toElimity(e *entry, excludeMembers bool) escim.Resource {
	attrs := make(escim.ResourceAttributes, len(e.attrs))
	for k, v := range e.attrs {
		if excludeMembers && strings.EqualFold(k, "members") {
			continue
		}
		attrs[k] = v
	}
	created, modified := e.created.UTC(), e.modified.UTC()
	return escim.Resource{
		ID:         e.id,
		Attributes: attrs,
		Meta:       escim.Meta{Created: &created, LastModified: &modified, Version: versionTag(e.version)},
	}
}

func versionTag(v int) string {
	b, _ := json.Marshal(v)
	return "W/\"" + string(b) + "\""
}

func notFound(id string) error { return eerrors.ScimErrorResourceNotFound(id) }

func (h *handler) Get(r *http.Request, id string) (escim.Resource, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	m, _ := h.entries()
	e, ok := m[id]
	if !ok {
		return escim.Resource{}, notFound(id)
	}
	return toElimity(e, excluded(r, "members")), nil
}

func excluded(r *http.Request, attr string) bool {
	for _, v := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(v), attr) {
			return true
		}
	}
	return false
}

// GetAll lists in creation order (ids sort the same way), filtered with
// package scim. A userName equality filter uses the index.
func (h *handler) GetAll(r *http.Request, params escim.ListRequestParams) (escim.Page, error) {
	raw := strings.TrimSpace(r.URL.Query().Get("filter"))
	var f *scim.Filter
	if raw != "" {
		var err error
		if f, err = scim.ParseFilter(raw); err != nil {
			return escim.Page{}, eerrors.ScimErrorInvalidFilter
		}
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	m, order := h.entries()
	candidates := order
	if f != nil && h.kind == "Users" {
		// The lookups Entra and the client make use the indexes; the filter
		// still decides on every candidate.
		if attr, v, ok := equality(raw); ok {
			switch strings.ToLower(attr) {
			case "username":
				candidates = nil
				if id, ok := h.s.st.byName[strings.ToLower(v)]; ok {
					candidates = []string{id}
				}
			case "externalid":
				candidates = slices.Clone(h.s.st.byExt[v])
				slices.Sort(candidates)
			case "id":
				candidates = nil
				if _, ok := m[v]; ok {
					candidates = []string{v}
				}
			}
		}
	}
	matched := candidates
	if f != nil {
		matched = nil
		for _, id := range candidates {
			e := m[id]
			// The filter may name id, which attrs does not hold: add it for
			// the evaluation (under the server's lock) and take it out again.
			e.attrs["id"] = e.id
			ok := f.Matches(e.attrs)
			delete(e.attrs, "id")
			if ok {
				matched = append(matched, id)
			}
		}
	}
	page := escim.Page{TotalResults: len(matched), Resources: []escim.Resource{}}
	start := params.StartIndex - 1
	if start < len(matched) && params.Count > 0 {
		end := min(len(matched), start+params.Count)
		for _, id := range matched[start:end] {
			page.Resources = append(page.Resources, toElimity(m[id], excluded(r, "members")))
		}
	}
	return page, nil
}

// equality recognises `attr eq "value"` for a plain attribute name.
func equality(filter string) (attr, value string, ok bool) {
	attr, rest, ok := strings.Cut(filter, " ")
	if !ok || strings.ContainsAny(attr, ".[:") {
		return "", "", false
	}
	op, lit, ok := strings.Cut(rest, " ")
	if !ok || !strings.EqualFold(op, "eq") {
		return "", "", false
	}
	if err := json.Unmarshal([]byte(lit), &value); err != nil {
		return "", "", false
	}
	return attr, value, true
}

// Delete preserves a user (Druva keeps it, inactive) and removes a group.
func (h *handler) Delete(r *http.Request, id string) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if h.kind == "Groups" {
		if !h.s.st.deleteGroup(id) {
			return notFound(id)
		}
		return nil
	}
	e, ok := h.s.st.users[id]
	if !ok {
		return notFound(id)
	}
	h.s.st.preserve(e, h.s.cfg.now())
	return nil
}

func (h *handler) Create(r *http.Request, _ escim.ResourceAttributes) (escim.Resource, error) {
	return escim.Resource{}, unreachable()
}

func (h *handler) Replace(r *http.Request, _ string, _ escim.ResourceAttributes) (escim.Resource, error) {
	return escim.Resource{}, unreachable()
}

func (h *handler) Patch(r *http.Request, _ string, _ []escim.PatchOperation) (escim.Resource, error) {
	return escim.Resource{}, unreachable()
}

func unreachable() error {
	return eerrors.ScimError{Status: http.StatusInternalServerError, Detail: "druvatest: routed to the wrong handler"}
}
