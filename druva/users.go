package druva

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/druvascim/druvascim/scim"
)

// CreateUser creates a user (POST /Users) and returns it as Druva stored it,
// with its id. Druva's rules are checked first and a user without
// userName, displayName or an email fails with a [*ValidationError] naming
// the attribute, without a request. The core User schema is added to
// "schemas" when missing; u itself is not modified.
//
// A create whose response was lost may have happened: a retry then answers
// 409 ([ErrConflict]), and the caller should look the user up and adopt it.
func (c *Client) CreateUser(ctx context.Context, u scim.Resource) (scim.Resource, error) {
	body, err := checkUser("CreateUser", u)
	if err != nil {
		return nil, err
	}
	resp, err := c.call(ctx, http.MethodPost, "Users", nil, body, http.StatusCreated, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeResource(resp)
}

// ReplaceUser replaces a user (PUT /Users/{id}) with u, checked like
// [Client.CreateUser], and returns the stored user.
func (c *Client) ReplaceUser(ctx context.Context, id string, u scim.Resource) (scim.Resource, error) {
	path, err := resourcePath("ReplaceUser", "Users", id)
	if err != nil {
		return nil, err
	}
	body, err := checkUser("ReplaceUser", u)
	if err != nil {
		return nil, err
	}
	if got := body.ID(); got != "" && got != id {
		return nil, &ValidationError{Op: "ReplaceUser", Attribute: "id", Reason: fmt.Sprintf("the body's id %q differs from %q", got, id)}
	}
	resp, err := c.call(ctx, http.MethodPut, path, nil, body, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeResource(resp)
}

// checkUser applies Druva's documented rules and returns u when its
// "schemas" already lists the core User schema (as mapped users do), else a
// shallow copy of u with the schema added; u itself is never modified.
func checkUser(op string, u scim.Resource) (scim.Resource, error) {
	if u == nil {
		return nil, &ValidationError{Op: op, Attribute: "user", Reason: "nil resource"}
	}
	if strings.TrimSpace(u.UserName()) == "" {
		return nil, &ValidationError{Op: op, Attribute: "userName", Reason: "required by Druva and missing or empty"}
	}
	if strings.TrimSpace(u.DisplayName()) == "" {
		return nil, &ValidationError{Op: op, Attribute: "displayName", Reason: "required by Druva and missing or empty"}
	}
	if strings.TrimSpace(u.Email()) == "" {
		return nil, &ValidationError{Op: op, Attribute: "emails", Reason: "Druva requires an email address and none was given"}
	}
	schemasKey := ""
	if _, ok := u["schemas"]; ok {
		schemasKey = "schemas"
	} else {
		for k := range u {
			if strings.EqualFold(k, "schemas") {
				schemasKey = k
				break
			}
		}
	}
	var list []any
	if schemasKey != "" {
		switch v := u[schemasKey].(type) {
		case []any:
			list = v
		case []string:
			for _, s := range v {
				list = append(list, s)
			}
		default:
			return nil, &ValidationError{Op: op, Attribute: "schemas", Reason: fmt.Sprintf("must be a list of URNs, not %T", v)}
		}
		for _, s := range list {
			if str, _ := s.(string); strings.EqualFold(str, scim.UserSchema) {
				return u, nil
			}
		}
	}
	out := make(scim.Resource, len(u)+1)
	for k, v := range u {
		out[k] = v
	}
	if schemasKey == "" {
		out["schemas"] = []any{scim.UserSchema}
	} else {
		out[schemasKey] = append([]any{scim.UserSchema}, list...)
	}
	return out, nil
}

// GetUser reads one user (GET /Users/{id}). A preserved (deactivated or
// deleted) Druva user is still returned, with active false; an unknown id
// matches [ErrNotFound].
func (c *Client) GetUser(ctx context.Context, id string) (scim.Resource, error) {
	path, err := resourcePath("GetUser", "Users", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.call(ctx, http.MethodGet, path, nil, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeResource(resp)
}

// FindUsers returns the users whose attribute equals value, with the filter
// `attribute eq "value"` (value quoted so it can never widen the query).
// attribute is a SCIM path such as "userName", "externalId" or
// `emails[type eq "work"].value`. All pages of the result are read.
func (c *Client) FindUsers(ctx context.Context, attribute, value string) ([]scim.Resource, error) {
	f, err := scim.EqualityFilter(attribute, value)
	if err != nil {
		return nil, &ValidationError{Op: "FindUsers", Attribute: "attribute", Reason: err.Error()}
	}
	var out []scim.Resource
	for r, err := range c.list(ctx, "Users", url.Values{"filter": {f}}) {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ListUsers yields every user, page by page in the server's order
// (startIndex/count, [WithPageSize] per page). It reads until totalResults
// users have been seen, follows a server that returns fewer than asked, and
// yields an error (then stops) when the server stops short, repeats a
// user, returns more than it announced, changes totalResults midway or
// announces more than [WithMaxListSize]: a truncated listing never looks
// complete, and an endless one ends.
func (c *Client) ListUsers(ctx context.Context) iter.Seq2[scim.Resource, error] {
	return c.list(ctx, "Users", nil)
}

// PatchUser applies PATCH operations to a user (PATCH /Users/{id}, RFC 7644
// §3.5.2). Druva may answer 200 with the user or 204; both succeed. No
// operations means no request.
func (c *Client) PatchUser(ctx context.Context, id string, ops ...scim.PatchOperation) error {
	return c.patch(ctx, "PatchUser", "Users", id, ops)
}

func (c *Client) patch(ctx context.Context, op, kind, id string, ops []scim.PatchOperation) error {
	path, err := resourcePath(op, kind, id)
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	for i, o := range ops {
		switch strings.ToLower(o.Op) {
		case "add", "replace", "remove":
		default:
			return &ValidationError{Op: op, Attribute: fmt.Sprintf("Operations[%d].op", i), Reason: fmt.Sprintf("%q is not add, replace or remove", o.Op)}
		}
		if strings.EqualFold(o.Op, "remove") && o.Path == "" {
			return &ValidationError{Op: op, Attribute: fmt.Sprintf("Operations[%d].path", i), Reason: "remove needs a path"}
		}
	}
	body := scim.NewPatchRequest(ops...)
	_, err = c.call(ctx, http.MethodPatch, path, nil, body, http.StatusOK, http.StatusNoContent)
	return err
}

// DisableUser deactivates a user with a PATCH replacing active with false,
// as Entra does. Druva then preserves the user (keeps its backups).
func (c *Client) DisableUser(ctx context.Context, id string) error {
	return c.PatchUser(ctx, id, scim.PatchOperation{Op: "replace", Path: "active", Value: false})
}

// EnableUser reactivates a user with a PATCH replacing active with true.
func (c *Client) EnableUser(ctx context.Context, id string) error {
	return c.PatchUser(ctx, id, scim.PatchOperation{Op: "replace", Path: "active", Value: true})
}

// DeleteUser deletes a user (DELETE /Users/{id}). Druva does not remove the
// user: it preserves it, and GetUser still returns it with active false.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	path, err := resourcePath("DeleteUser", "Users", id)
	if err != nil {
		return err
	}
	_, err = c.call(ctx, http.MethodDelete, path, nil, nil, http.StatusNoContent, http.StatusOK)
	return err
}
