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

// GroupsOffered reports whether the tenant offers /Groups: what
// [WithGroupsEndpoint] said, else what discovery finds (asked once and cached).
// Druva documents users only, so without either this is usually false.
func (c *Client) GroupsOffered(ctx context.Context) (bool, error) {
	if c.groups != nil {
		return *c.groups, nil
	}
	c.discMu.Lock()
	defer c.discMu.Unlock()
	if c.disc == nil {
		d, err := c.Discover(ctx)
		if err != nil {
			return false, err
		}
		c.disc = d
	}
	return c.disc.Groups, nil
}

func (c *Client) needGroups(ctx context.Context) error {
	ok, err := c.GroupsOffered(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return ErrGroupsUnsupported
	}
	return nil
}

// CreateGroup creates a group (POST /Groups) with a displayName and no
// members, as Entra does; add members with [Client.PatchGroupMembers].
func (c *Client) CreateGroup(ctx context.Context, g scim.Resource) (scim.Resource, error) {
	if g == nil || strings.TrimSpace(g.DisplayName()) == "" {
		return nil, &ValidationError{Op: "CreateGroup", Attribute: "displayName", Reason: "required and missing or empty"}
	}
	if err := c.needGroups(ctx); err != nil {
		return nil, err
	}
	body := make(scim.Resource, len(g)+1)
	for k, v := range g {
		body[k] = v
	}
	if _, ok := body["schemas"]; !ok {
		body["schemas"] = []any{scim.GroupSchema}
	}
	resp, err := c.call(ctx, http.MethodPost, "Groups", nil, body, http.StatusCreated, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeResource(resp)
}

// GetGroup reads one group (GET /Groups/{id}) with its members.
func (c *Client) GetGroup(ctx context.Context, id string) (scim.Resource, error) {
	path, err := resourcePath("GetGroup", "Groups", id)
	if err != nil {
		return nil, err
	}
	if err := c.needGroups(ctx); err != nil {
		return nil, err
	}
	resp, err := c.call(ctx, http.MethodGet, path, nil, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeResource(resp)
}

// ListGroups yields every group without members
// (excludedAttributes=members), with the paging guarantees of
// [Client.ListUsers].
func (c *Client) ListGroups(ctx context.Context) iter.Seq2[scim.Resource, error] {
	return func(yield func(scim.Resource, error) bool) {
		if err := c.needGroups(ctx); err != nil {
			yield(nil, err)
			return
		}
		for r, err := range c.list(ctx, "Groups", url.Values{"excludedAttributes": {"members"}}) {
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// PatchGroupMembers adds and removes members (user ids) of a group, at most
// 100 members per PATCH request: additions as one
// "add" of the members list, removals as "remove" operations with a
// members[value eq "…"] path. Requests are sent in order; on an error the
// earlier ones have been applied.
func (c *Client) PatchGroupMembers(ctx context.Context, id string, add, remove []string) error {
	if _, err := resourcePath("PatchGroupMembers", "Groups", id); err != nil {
		return err
	}
	for i, m := range append(append([]string(nil), add...), remove...) {
		if strings.TrimSpace(m) == "" {
			return &ValidationError{Op: "PatchGroupMembers", Attribute: fmt.Sprintf("members[%d]", i), Reason: "empty member id"}
		}
	}
	if len(add)+len(remove) == 0 {
		return nil
	}
	if err := c.needGroups(ctx); err != nil {
		return err
	}
	type change struct {
		add bool
		id  string
	}
	all := make([]change, 0, len(add)+len(remove))
	for _, m := range add {
		all = append(all, change{true, m})
	}
	for _, m := range remove {
		all = append(all, change{false, m})
	}
	for len(all) > 0 {
		n := min(len(all), maxMembersPerPatch)
		chunk := all[:n]
		all = all[n:]
		var ops []scim.PatchOperation
		var adds []any
		for _, ch := range chunk {
			if ch.add {
				adds = append(adds, map[string]any{"value": ch.id})
			}
		}
		if len(adds) > 0 {
			ops = append(ops, scim.PatchOperation{Op: "add", Path: "members", Value: adds})
		}
		for _, ch := range chunk {
			if !ch.add {
				ops = append(ops, scim.PatchOperation{Op: "remove", Path: "members[value eq " + scim.Quote(ch.id) + "]"})
			}
		}
		if err := c.patch(ctx, "PatchGroupMembers", "Groups", id, ops); err != nil {
			return err
		}
	}
	return nil
}

// DeleteGroup deletes a group (DELETE /Groups/{id}).
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	path, err := resourcePath("DeleteGroup", "Groups", id)
	if err != nil {
		return err
	}
	if err := c.needGroups(ctx); err != nil {
		return err
	}
	_, err = c.call(ctx, http.MethodDelete, path, nil, nil, http.StatusNoContent, http.StatusOK)
	return err
}
