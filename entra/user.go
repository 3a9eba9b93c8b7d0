package entra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/druvascim/druvascim/internal/source"
)

// FetchObject reads one user, by object id or userPrincipalName, with its
// app roles and scope computed as a full read would: for on-demand
// provisioning of a single user (it makes *Reader a
// druvascim.Source that fetches one object; the object is a druvascim.Object). It reads the user, the app's assignments
// (all pages) and the user's groups (users/{id}/memberOf, or
// transitiveMemberOf with nested expansion). A user that does not exist is
// an error matching both [ErrNotFound] and the root package's ErrNotFound.
func (r *Reader) FetchObject(ctx context.Context, idOrUPN string) (source.Object, error) {
	if err := checkKey("FetchObject", idOrUPN); err != nil {
		return source.Object{}, err
	}
	rd := r.newRead()
	obj, id, err := rd.readUser(ctx, idOrUPN)
	if err != nil {
		return source.Object{}, err
	}
	if err := rd.appRoles(ctx); err != nil {
		return source.Object{}, err
	}
	au, ag, _, err := rd.assignments(ctx)
	if err != nil {
		return source.Object{}, err
	}
	roles, err := rd.userRoles(ctx, id, au, ag)
	if err != nil {
		return source.Object{}, err
	}
	return rd.object(id, obj, roles, ""), nil
}

// checkKey checks an object id or userPrincipalName given to op. A guest's
// name as Graph holds it ("alias_theirdomain#EXT#@tenant") is accepted: the
// path escapes its '#'.
func checkKey(op, idOrUPN string) error {
	if idOrUPN == "" || len(idOrUPN) > 1024 || strings.ContainsAny(idOrUPN, "/?\\") {
		return fmt.Errorf("entra: %s(%q): want an object id or a userPrincipalName", op, idOrUPN)
	}
	return nil
}

// readUser reads one user's selected properties.
func (rd *read) readUser(ctx context.Context, idOrUPN string) (map[string]any, string, error) {
	body, err := rd.r.get(ctx, rd.c, "users/"+url.PathEscape(idOrUPN), rd.selectQuery(), nil)
	if errors.Is(err, ErrNotFound) {
		return nil, "", fmt.Errorf("entra: user %q: %w (%w)", idOrUPN, source.ErrNotFound, err)
	}
	if err != nil {
		return nil, "", err
	}
	obj, id, err := decodeObject(body)
	if err != nil {
		return nil, "", fmt.Errorf("entra: user %q: %w", idOrUPN, err)
	}
	return obj, id, nil
}

// userRoles returns the app role ids of user id, sorted: its direct
// assignments (au) and those of the assigned groups (ag) it is a member of.
func (rd *read) userRoles(ctx context.Context, id string, au, ag map[string][]string) ([]string, error) {
	roles := slices.Clone(au[id])
	rel := "memberOf"
	if rd.r.cfg.nested {
		rel = "transitiveMemberOf"
	}
	q := url.Values{"$select": {"id"}, "$top": {strconv.Itoa(rd.r.cfg.pageSize)}}
	_, err := rd.r.pages(ctx, rd.c, "users/"+url.PathEscape(id)+"/"+rel+"/microsoft.graph.group", q, nil, func(items []map[string]any) error {
		for _, it := range items {
			gid, err := objectID(it)
			if err != nil {
				return fmt.Errorf("entra: groups of user %s: %w", id, err)
			}
			for _, role := range ag[gid] {
				roles = appendUnique(roles, role)
			}
		}
		return nil
	})
	slices.Sort(roles)
	return roles, err
}

// DefaultGroupMembers is how many members of a group Entra's provision on
// demand provisions.
const DefaultGroupMembers = 5

// FetchGroupMembers reads up to max user members of a group (direct
// members; members of member groups too with [WithNestedGroups]), in
// Graph's order, each with its roles and scope computed as [Reader.FetchObject]
// does: Entra's provision on demand of a group, which provisions up to
// [DefaultGroupMembers] of them. A group that does not exist is an error
// matching [ErrNotFound] and the root package's ErrNotFound.
func (r *Reader) FetchGroupMembers(ctx context.Context, groupID string, max int) ([]source.Object, error) {
	if err := checkID("FetchGroupMembers", groupID); err != nil {
		return nil, err
	}
	if max < 1 || max > 1000 {
		return nil, fmt.Errorf("entra: FetchGroupMembers(%q, %d): want 1..1000 members", groupID, max)
	}
	rd := r.newRead()
	ids, err := rd.someMembers(ctx, groupID, max)
	if err != nil {
		return nil, err
	}
	if err := rd.appRoles(ctx); err != nil {
		return nil, err
	}
	au, ag, _, err := rd.assignments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]source.Object, 0, len(ids))
	for _, id := range ids {
		obj, _, err := rd.readUser(ctx, id)
		if errors.Is(err, source.ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, err
		}
		roles, err := rd.userRoles(ctx, id, au, ag)
		if err != nil {
			return nil, err
		}
		out = append(out, rd.object(id, obj, roles, ""))
	}
	return out, nil
}

// errEnough ends a member listing that has found enough users.
var errEnough = errors.New("enough members")

// someMembers lists the user ids of up to max members of group g.
func (rd *read) someMembers(ctx context.Context, g string, max int) ([]string, error) {
	if rd.r.cfg.nested {
		m := map[string]membership{}
		err := rd.readMembers(ctx, []string{g}, m)
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("entra: group %s: %w (%w)", g, source.ErrNotFound, err)
		}
		return m[g].Users[:min(max, len(m[g].Users))], err
	}
	rel := "/members/microsoft.graph.user"
	q := url.Values{"$select": {"id"}, "$top": {strconv.Itoa(min(max, rd.r.cfg.pageSize))}}
	var ids []string
	_, err := rd.r.pages(ctx, rd.c, "groups/"+url.PathEscape(g)+rel, q, nil, func(items []map[string]any) error {
		for _, it := range items {
			id, err := objectID(it)
			if err != nil {
				return fmt.Errorf("entra: members of group %s: %w", g, err)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			if len(ids) == max {
				return errEnough
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errEnough):
	case errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("entra: group %s: %w (%w)", g, source.ErrNotFound, err)
	case err != nil:
		return nil, err
	}
	return ids, nil
}

// guestUPN rewrites the userPrincipalName of a B2B guest, which Graph
// holds as "alias_theirdomain#EXT#@yourtenant", to the guest's own address
// "alias@theirdomain", as Microsoft's provisioning service does when
// userPrincipalName is a source attribute
// (https://learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works#b2b-guest-users).
// The name as Graph holds it stays available as originalUserPrincipalName,
// for every user.
func guestUPN(attrs map[string]any) {
	upn, ok := attrs["userPrincipalName"].(string)
	if !ok {
		return
	}
	attrs[attrOriginalUPN] = upn
	i := extMarker(upn)
	if i <= 0 {
		return
	}
	ext := upn[:i]
	j := strings.LastIndexByte(ext, '_')
	if j <= 0 || j == len(ext)-1 {
		return // not of the documented form: left as Graph has it
	}
	attrs["userPrincipalName"] = ext[:j] + "@" + ext[j+1:]
}

// extMarker returns the index of the first "#EXT#@" in upn, in any letter
// case, or -1. It compares bytes in place: an upper-cased copy would cost
// an allocation per user, and its indexes would not be upn's when a
// character changes length in upper case.
func extMarker(upn string) int {
	const marker = "#EXT#@"
	for i := 0; i+len(marker) <= len(upn); i++ {
		j := strings.IndexByte(upn[i:len(upn)-len(marker)+1], '#')
		if j < 0 {
			return -1
		}
		i += j
		if strings.EqualFold(upn[i:i+len(marker)], marker) {
			return i
		}
	}
	return -1
}
