package entra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ReadUser reads one user, by object id or userPrincipalName, with its app
// roles and scope, computed as a full read would: for on-demand
// provisioning of a single user. It reads the user, the app's assignments
// (all pages) and the user's groups (users/{id}/memberOf, or
// transitiveMemberOf with nested expansion). A user that does not exist is
// an error matching [ErrNotFound].
func (r *Reader) ReadUser(ctx context.Context, idOrUPN string) (*User, error) {
	if idOrUPN == "" || len(idOrUPN) > 1024 || strings.ContainsAny(idOrUPN, "/?#\\") {
		return nil, fmt.Errorf("entra: ReadUser(%q): want an object id or a userPrincipalName", idOrUPN)
	}
	rd := &read{r: r, c: &counters{progress: r.cfg.progress}}
	body, err := r.get(ctx, rd.c, "users/"+url.PathEscape(idOrUPN), rd.selectQuery(), nil)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("entra: user %q: %w", idOrUPN, err)
		}
		return nil, err
	}
	obj, id, err := decodeObject(body)
	if err != nil {
		return nil, fmt.Errorf("entra: user %q: %w", idOrUPN, err)
	}
	if err := rd.appRoles(ctx); err != nil {
		return nil, err
	}
	au, ag, _, err := rd.assignments(ctx)
	if err != nil {
		return nil, err
	}
	roles := append([]string(nil), au[id]...)
	rel := "memberOf"
	if r.cfg.nested {
		rel = "transitiveMemberOf"
	}
	q := url.Values{"$select": {"id"}, "$top": {strconv.Itoa(r.cfg.pageSize)}}
	_, err = r.pages(ctx, rd.c, "users/"+url.PathEscape(id)+"/"+rel+"/microsoft.graph.group", q, nil, func(items []map[string]any) error {
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
	if err != nil {
		return nil, err
	}
	slices.Sort(roles)
	u := rd.user(id, obj, roles, "")
	return &u, nil
}
