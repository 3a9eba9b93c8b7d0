package druva

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/druvascim/druvascim/scim"
)

// User is a typed view of a Druva SCIM user, for programs that build and
// read users without map plumbing. Convert with [UserFromResource] and
// [User.Resource]; attributes without a field of their own travel in Extra,
// so a round trip keeps them.
type User struct {
	ID          string
	ExternalID  string
	UserName    string
	DisplayName string
	Name        *Name
	Emails      []Email
	// Active is nil when the attribute is absent.
	Active *bool
	// Extra holds every other attribute by its JSON name (schemas, meta,
	// enterprise extension, Druva mapping attributes such as department).
	Extra map[string]any
}

// Name is the SCIM "name" complex attribute.
type Name struct {
	Formatted  string `json:"formatted,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
}

// Email is one value of the SCIM "emails" attribute.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Ptr returns a pointer to v, for optional fields such as [User].Active.
func Ptr[T any](v T) *T { return &v }

// Email returns the primary email, else the "work" one, else the first.
func (u User) Email() string {
	for _, e := range u.Emails {
		if e.Primary && e.Value != "" {
			return e.Value
		}
	}
	for _, e := range u.Emails {
		if strings.EqualFold(e.Type, "work") && e.Value != "" {
			return e.Value
		}
	}
	for _, e := range u.Emails {
		if e.Value != "" {
			return e.Value
		}
	}
	return ""
}

// Resource returns the user as a SCIM resource (with the core User schema
// when Extra holds no "schemas").
func (u User) Resource() scim.Resource {
	r := make(scim.Resource, len(u.Extra)+8)
	for k, v := range u.Extra {
		r[k] = v
	}
	if _, ok := r["schemas"]; !ok {
		r["schemas"] = []any{scim.UserSchema}
	}
	set := func(k, v string) {
		if v != "" {
			r[k] = v
		}
	}
	set("id", u.ID)
	set("externalId", u.ExternalID)
	set("userName", u.UserName)
	set("displayName", u.DisplayName)
	if u.Name != nil {
		n := map[string]any{}
		for k, v := range map[string]string{"formatted": u.Name.Formatted, "familyName": u.Name.FamilyName, "givenName": u.Name.GivenName, "middleName": u.Name.MiddleName} {
			if v != "" {
				n[k] = v
			}
		}
		r["name"] = n
	}
	if len(u.Emails) > 0 {
		es := make([]any, len(u.Emails))
		for i, e := range u.Emails {
			m := map[string]any{"value": e.Value}
			if e.Type != "" {
				m["type"] = e.Type
			}
			if e.Primary {
				m["primary"] = true
			}
			es[i] = m
		}
		r["emails"] = es
	}
	if u.Active != nil {
		r["active"] = *u.Active
	}
	return r
}

// UserFromResource reads a SCIM user into a [User]. Attribute names match
// without regard to case; a known attribute of the wrong JSON type is an
// error naming it.
func UserFromResource(r scim.Resource) (User, error) {
	var u User
	for k, v := range r {
		var err error
		switch strings.ToLower(k) {
		case "id":
			u.ID, err = str(k, v)
		case "externalid":
			u.ExternalID, err = str(k, v)
		case "username":
			u.UserName, err = str(k, v)
		case "displayname":
			u.DisplayName, err = str(k, v)
		case "name":
			if v != nil {
				u.Name = &Name{}
				err = remarshal(k, v, u.Name)
			}
		case "emails":
			u.Emails, err = emails(k, v)
		case "active":
			switch b := v.(type) {
			case bool:
				u.Active = Ptr(b)
			case string: // Entra's legacy "True"/"False"
				switch strings.ToLower(b) {
				case "true":
					u.Active = Ptr(true)
				case "false":
					u.Active = Ptr(false)
				default:
					err = fmt.Errorf("druva: user attribute %q: %q is not a boolean", k, b)
				}
			case nil:
			default:
				err = fmt.Errorf("druva: user attribute %q: %T is not a boolean", k, v)
			}
		default:
			if u.Extra == nil {
				u.Extra = map[string]any{}
			}
			u.Extra[k] = v
		}
		if err != nil {
			return User{}, err
		}
	}
	return u, nil
}

func str(k string, v any) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("druva: user attribute %q: %T is not a string", k, v)
}

// remarshal converts a generic JSON value into a typed one.
func remarshal(k string, v any, dst any) error {
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, dst)
	}
	if err != nil {
		return fmt.Errorf("druva: user attribute %q: %w", k, err)
	}
	return nil
}

// emails reads the emails attribute; primary may be a boolean or Entra's
// "True"/"False".
func emails(k string, v any) ([]Email, error) {
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("druva: user attribute %q: %T is not a list", k, v)
	}
	out := make([]Email, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("druva: user attribute %s[%d]: %T is not an object", k, i, it)
		}
		var e Email
		for sk, sv := range m {
			var err error
			switch strings.ToLower(sk) {
			case "value":
				e.Value, err = str(k+".value", sv)
			case "type":
				e.Type, err = str(k+".type", sv)
			case "primary":
				switch b := sv.(type) {
				case bool:
					e.Primary = b
				case string:
					e.Primary = strings.EqualFold(b, "true")
				case nil:
				default:
					err = fmt.Errorf("druva: user attribute %s[%d].primary: %T is not a boolean", k, i, sv)
				}
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, nil
}
