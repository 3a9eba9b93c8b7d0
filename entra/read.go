package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/druvascim/druvascim/internal/source"
)

// Snapshot is the result of one read.
type Snapshot struct {
	// Users read, in Graph's order. A full read holds every user of the
	// tenant (out-of-scope ones flagged, unless WithOutOfScopeUsers(false));
	// an incremental read holds only users that changed, in attributes or in
	// scope, since the delta link.
	Users []User
	// DeltaLink is the cursor to pass to the next Read for an incremental
	// read. Store it; it is opaque (see the package documentation).
	DeltaLink string
	// Full is true when every user was read (first read, expired delta
	// link, or changed options); FullReason says which.
	Full       bool
	FullReason string
	// Stats are the counters of this read.
	Stats Stats
}

// User is one user as read.
type User struct {
	// ID is the user's object id.
	ID string
	// Attributes are the selected Graph properties (nulls omitted) plus
	// objectId, appRoleAssignments ([]string of role values),
	// IsSoftDeleted, IsHardDeleted and scopeReason. It is assignable to
	// mapping.Attributes.
	Attributes map[string]any
	// Roles are the user's app-role assignments, direct and through
	// assigned groups, Default Access included, sorted by role id.
	Roles []Role
	// InScope is true when the user is assigned (Default Access counting
	// only when WithDefaultAccess(true)), enabled and not deleted.
	InScope bool
	// Reason says why not, one of the Reason constants; empty in scope.
	Reason string
	// HardDeleted is true when an incremental read reported the user
	// permanently deleted.
	HardDeleted bool
}

// Role is one app role of a user.
type Role struct {
	ID    string // appRoleId; DefaultAccessRoleID for Default Access
	Value string // the app role's value ("" for Default Access)
	Name  string // the app role's display name ("Default Access" for it)
}

// Stats are the figures of one read.
type Stats struct {
	Requests    int64 // logical requests this read made (GETs and POST $batch)
	Attempts    int64 // HTTP attempts, retries included
	Pages       int64 // collection pages read
	Throttled   int64 // 429 answers during the read: whole answers seen by the reader's HTTP client, and $batch items
	Retries     int64 // retries during the read: HTTP attempts, and rounds re-sending $batch items
	Users       int   // users in the snapshot
	InScope     int   // of which in scope
	Assignments int   // app-role assignments read
	Groups      int   // assigned groups whose members were read this time
	Hydrated    int   // users re-read by $batch or by listing (incremental reads)
	CursorBytes int   // length of the delta link
}

// Objects returns the users' attribute maps, the form druvascim.Source
// expects.
func (s *Snapshot) Objects() []map[string]any {
	out := make([]map[string]any, len(s.Users))
	for i := range s.Users {
		out[i] = s.Users[i].Attributes
	}
	return out
}

// Fetch reads the source objects: a full read when deltaLink is empty,
// else the objects changed since deltaLink, as typed source objects (the
// scope facts in their fields, not in the attributes). It makes *Reader
// satisfy druvascim.Source.
func (r *Reader) Fetch(ctx context.Context, deltaLink string) (source.Batch, error) {
	s, err := r.Read(ctx, deltaLink)
	if err != nil {
		return source.Batch{}, err
	}
	b := source.Batch{Objects: make([]source.Object, len(s.Users)), DeltaLink: s.DeltaLink, Full: s.Full, FullReason: s.FullReason}
	for i := range s.Users {
		b.Objects[i] = s.Users[i].object()
	}
	return b, nil
}

// Read reads the tenant: in full when deltaLink is empty, incrementally
// otherwise. An expired Graph delta link, or a delta link made with other
// options or for another service principal, falls back to a full read
// (Snapshot.Full, FullReason). Any failed request or malformed page fails
// the whole read.
func (r *Reader) Read(ctx context.Context, deltaLink string) (*Snapshot, error) {
	before := r.client.Stats()
	rd := &read{r: r, c: &counters{progress: r.cfg.progress}}
	var snap *Snapshot
	var err error
	if deltaLink == "" {
		snap, err = rd.full(ctx, "initial read")
	} else {
		var cur *cursor
		cur, err = decodeCursor(deltaLink)
		if err != nil {
			return nil, err
		}
		var sp string
		sp, err = r.servicePrincipal(ctx, rd.c)
		switch {
		case err != nil:
		case cur.SP != sp:
			snap, err = rd.full(ctx, "delta link is for another service principal")
		case cur.Cfg != r.fingerprint():
			snap, err = rd.full(ctx, "reader options changed since the delta link")
		default:
			snap, err = rd.incremental(ctx, cur)
			if errors.Is(err, ErrDeltaExpired) {
				r.log(ctx, "entra: delta link expired, reading everything", "error", err)
				rd = &read{r: r, c: rd.c}
				snap, err = rd.full(ctx, "delta link expired")
			}
		}
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return nil, err
	}
	after := r.client.Stats()
	snap.Stats.Requests = rd.c.requests.Load()
	snap.Stats.Attempts = rd.c.attempts.Load()
	snap.Stats.Pages = rd.c.pages.Load()
	snap.Stats.Throttled = after.Throttled - before.Throttled + rd.c.throttled.Load()
	snap.Stats.Retries = after.Retries - before.Retries + rd.c.retries.Load()
	snap.Stats.Users = len(snap.Users)
	for _, u := range snap.Users {
		if u.InScope {
			snap.Stats.InScope++
		}
	}
	snap.Stats.CursorBytes = len(snap.DeltaLink)
	r.log(ctx, "entra: read done", "full", snap.Full, "users", snap.Stats.Users, "inScope", snap.Stats.InScope,
		"requests", snap.Stats.Requests, "pages", snap.Stats.Pages, "throttled", snap.Stats.Throttled)
	return snap, nil
}

func (r *Reader) log(ctx context.Context, msg string, args ...any) {
	if r.cfg.logger != nil {
		r.cfg.logger.DebugContext(ctx, msg, args...)
	}
}

// read is the state of one Read.
type read struct {
	r     *Reader
	c     *counters
	sp    string
	roles map[string]Role
}

// servicePrincipal returns the service principal object id, resolving an
// appId once per Reader.
func (r *Reader) servicePrincipal(ctx context.Context, c *counters) (string, error) {
	r.mu.Lock()
	sp := r.resolvedSP
	r.mu.Unlock()
	if sp != "" {
		return sp, nil
	}
	q := url.Values{"$filter": {"appId eq '" + r.cfg.appID + "'"}, "$select": {"id,appId"}}
	var ids []string
	if _, err := r.pages(ctx, c, "servicePrincipals", q, nil, func(items []map[string]any) error {
		for _, it := range items {
			id, err := objectID(it)
			if err != nil {
				return fmt.Errorf("entra: servicePrincipals: %w", err)
			}
			ids = append(ids, id)
		}
		return nil
	}); err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("%w: no service principal has appId %s in this tenant", ErrNotFound, r.cfg.appID)
	case 1:
	default:
		return "", fmt.Errorf("%w: %d service principals have appId %s", ErrMalformed, len(ids), r.cfg.appID)
	}
	r.mu.Lock()
	r.resolvedSP = ids[0]
	r.mu.Unlock()
	return ids[0], nil
}

// appRoles reads the service principal's app roles.
func (rd *read) appRoles(ctx context.Context) error {
	sp, err := rd.r.servicePrincipal(ctx, rd.c)
	if err != nil {
		return err
	}
	rd.sp = sp
	body, err := rd.r.get(ctx, rd.c, "servicePrincipals/"+url.PathEscape(sp), url.Values{"$select": {"id,appId,appRoles"}}, nil)
	if err != nil {
		return fmt.Errorf("entra: reading the service principal: %w", err)
	}
	var v struct {
		ID       string `json:"id"`
		AppRoles []struct {
			ID          string `json:"id"`
			Value       string `json:"value"`
			DisplayName string `json:"displayName"`
		} `json:"appRoles"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.ID != sp {
		return fmt.Errorf("%w: service principal %s: not the expected object: %s", ErrMalformed, sp, snippet(body))
	}
	rd.roles = map[string]Role{DefaultAccessRoleID: {ID: DefaultAccessRoleID, Name: "Default Access"}}
	for _, ar := range v.AppRoles {
		rd.roles[ar.ID] = Role{ID: ar.ID, Value: ar.Value, Name: ar.DisplayName}
	}
	return nil
}

// assignments reads appRoleAssignedTo: principal id → app role ids.
func (rd *read) assignments(ctx context.Context) (au, ag map[string][]string, n int, err error) {
	au, ag = map[string][]string{}, map[string][]string{}
	q := url.Values{"$select": {"id,appRoleId,principalId,principalType"}, "$top": {strconv.Itoa(rd.r.cfg.pageSize)}}
	_, err = rd.r.pages(ctx, rd.c, "servicePrincipals/"+url.PathEscape(rd.sp)+"/appRoleAssignedTo", q, nil, func(items []map[string]any) error {
		for _, it := range items {
			role, ok1 := it["appRoleId"].(string)
			principal, ok2 := it["principalId"].(string)
			typ, ok3 := it["principalType"].(string)
			if !ok1 || !ok2 || !ok3 || principal == "" {
				return fmt.Errorf("%w: appRoleAssignment without string appRoleId, principalId and principalType (id %.60v)", ErrMalformed, it["id"])
			}
			n++
			switch typ {
			case "User":
				au[principal] = appendUnique(au[principal], role)
			case "Group":
				ag[principal] = appendUnique(ag[principal], role)
			}
		}
		return nil
	})
	return au, ag, n, err
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// parallel runs fn for every key with bounded concurrency; the first error
// cancels the rest and is returned.
func (rd *read) parallel(ctx context.Context, keys []string, fn func(ctx context.Context, key string) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, rd.r.cfg.concurrency)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, k := range keys {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, k); err != nil {
				once.Do(func() { first = err; cancel(err) })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// both runs a and b at the same time and returns the first error; the
// first failure cancels the other.
func (rd *read) both(ctx context.Context, a, b func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	for _, f := range []func(context.Context) error{a, b} {
		go func() {
			err := f(ctx)
			if err != nil {
				cancel()
			}
			errs <- err
		}()
	}
	e1, e2 := <-errs, <-errs
	switch {
	case e1 != nil && !errors.Is(e1, context.Canceled):
		return e1
	case e2 != nil && !errors.Is(e2, context.Canceled):
		return e2
	case e1 != nil:
		return e1
	}
	return e2
}

func (rd *read) selectQuery() url.Values {
	return url.Values{"$select": {"id," + strings.Join(rd.r.cfg.attrs, ",")}}
}

func (rd *read) deltaHeader() http.Header {
	return http.Header{"Prefer": {"odata.maxpagesize=" + strconv.Itoa(rd.r.cfg.pageSize)}}
}

// latestGroups starts tracking group changes from now.
func (rd *read) latestGroups(ctx context.Context) (string, error) {
	q := url.Values{"$select": {"displayName,members"}, "$deltatoken": {"latest"}}
	link, err := rd.r.pages(ctx, rd.c, "groups/delta", q, rd.deltaHeader(), func([]map[string]any) error { return nil })
	if err == nil && link == "" {
		err = fmt.Errorf("%w: groups/delta ended without @odata.deltaLink", ErrMalformed)
	}
	return link, err
}

// full reads everything.
func (rd *read) full(ctx context.Context, reason string) (*Snapshot, error) {
	gLink, err := rd.latestGroups(ctx)
	if err != nil {
		return nil, err
	}
	// Users on one side, scope (app roles, assignments, members) on the
	// other, at the same time; the first failure cancels both.
	var order []string
	attrs := map[string]map[string]any{}
	var uLink string
	var au, ag map[string][]string
	var n int
	m := map[string]membership{}
	err = rd.both(ctx, func(ctx context.Context) error {
		var err error
		uLink, err = rd.r.pages(ctx, rd.c, "users/delta", rd.selectQuery(), rd.deltaHeader(), func(items []map[string]any) error {
			for _, obj := range items {
				id, err := objectID(obj)
				if err != nil {
					return fmt.Errorf("entra: users/delta: %w", err)
				}
				if _, removed := obj["@removed"]; removed {
					continue // a full round lists live users; be lenient with a stray tombstone
				}
				if _, dup := attrs[id]; !dup {
					order = append(order, id)
				}
				attrs[id] = obj
			}
			return nil
		})
		if err == nil && uLink == "" {
			err = fmt.Errorf("%w: users/delta ended without @odata.deltaLink", ErrMalformed)
		}
		return err
	}, func(ctx context.Context) error {
		if err := rd.appRoles(ctx); err != nil {
			return err
		}
		var err error
		if au, ag, n, err = rd.assignments(ctx); err != nil {
			return err
		}
		return rd.readMembers(ctx, slices.Sorted(maps.Keys(ag)), m)
	})
	if err != nil {
		return nil, err
	}
	roles := effectiveRoles(au, ag, m)
	snap := &Snapshot{Full: true, FullReason: reason}
	snap.Stats.Assignments, snap.Stats.Groups = n, len(ag)
	for _, id := range order {
		u := rd.user(id, attrs[id], roles[id], "")
		if !rd.r.cfg.outOfScope && (u.Reason == ReasonNotAssigned || u.Reason == ReasonDefaultAccessOnly) {
			continue
		}
		snap.Users = append(snap.Users, u)
	}
	cur := &cursor{V: 1, SP: rd.sp, Cfg: rd.r.fingerprint(), U: uLink, G: gLink, AU: au, AG: ag, M: m}
	if snap.DeltaLink, err = cur.encode(); err != nil {
		return nil, err
	}
	return snap, nil
}

// incremental reads what changed since cur.
func (rd *read) incremental(ctx context.Context, cur *cursor) (*Snapshot, error) {
	// Groups whose membership changed.
	changedGroups := map[string]bool{}
	gLink, err := rd.r.pages(ctx, rd.c, cur.G, nil, rd.deltaHeader(), func(items []map[string]any) error {
		for _, it := range items {
			id, err := objectID(it)
			if err != nil {
				return fmt.Errorf("entra: groups/delta: %w", err)
			}
			changedGroups[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if gLink == "" {
		return nil, fmt.Errorf("%w: groups/delta ended without @odata.deltaLink", ErrMalformed)
	}
	// Users that changed.
	var order []string
	changed := map[string]map[string]any{}
	uLink, err := rd.r.pages(ctx, rd.c, cur.U, nil, rd.deltaHeader(), func(items []map[string]any) error {
		for _, it := range items {
			obj := it
			id, err := objectID(it)
			if err != nil {
				return fmt.Errorf("entra: users/delta: %w", err)
			}
			if _, seen := changed[id]; !seen {
				order = append(order, id)
				changed[id] = obj
				continue
			}
			// The same user twice in one round: merge, the later wins.
			if _, removed := obj["@removed"]; removed {
				changed[id] = obj
			} else {
				prev := changed[id]
				delete(prev, "@removed")
				maps.Copy(prev, obj)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if uLink == "" {
		return nil, fmt.Errorf("%w: users/delta ended without @odata.deltaLink", ErrMalformed)
	}
	if err := rd.appRoles(ctx); err != nil {
		return nil, err
	}
	au, ag, n, err := rd.assignments(ctx)
	if err != nil {
		return nil, err
	}
	// Reuse the membership of assigned groups that did not change.
	m := map[string]membership{}
	var reread []string
	for g := range ag {
		old, known := cur.M[g]
		touched := !known || changedGroups[g] || slices.ContainsFunc(old.Nested, func(n string) bool { return changedGroups[n] })
		if touched {
			reread = append(reread, g)
		} else {
			m[g] = old
		}
	}
	slices.Sort(reread)
	if err := rd.readMembers(ctx, reread, m); err != nil {
		return nil, err
	}
	now := effectiveRoles(au, ag, m)
	// With the same assignments and no group read again, every user has
	// the roles of the last read (effectiveRoles reads m only for the
	// groups of ag, all reused from cur.M): nothing to compare.
	before := now
	if len(reread) > 0 || !maps.EqualFunc(au, cur.AU, slices.Equal[[]string]) || !maps.EqualFunc(ag, cur.AG, slices.Equal[[]string]) {
		before = effectiveRoles(cur.AU, cur.AG, cur.M)
		// Users whose roles changed, those known before first, each group
		// in id order. Only the few that differ are sorted, not every user.
		var diff []string
		for id, roles := range before {
			if _, ok := changed[id]; !ok && !slices.Equal(roles, now[id]) {
				diff = append(diff, id)
			}
		}
		slices.Sort(diff)
		for _, id := range diff {
			order = append(order, id)
			changed[id] = nil
		}
		diff = diff[:0]
		for id, roles := range now {
			if _, ok := changed[id]; !ok && !slices.Equal(before[id], roles) {
				diff = append(diff, id)
			}
		}
		slices.Sort(diff)
		for _, id := range diff {
			order = append(order, id)
			changed[id] = nil
		}
	}
	// Users whose attributes are incomplete are read again.
	var need []string
	for _, id := range order {
		obj := changed[id]
		if obj != nil {
			if _, removed := obj["@removed"]; removed {
				continue
			}
		}
		if !rd.complete(obj) {
			need = append(need, id)
		}
	}
	full, err := rd.hydrate(ctx, need)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{}
	snap.Stats.Assignments, snap.Stats.Groups, snap.Stats.Hydrated = n, len(reread), len(need)
	for _, id := range order {
		obj := changed[id]
		var gone string
		if obj != nil {
			if rm, removed := obj["@removed"]; removed {
				gone = ReasonSoftDeleted
				if m, _ := rm.(map[string]any); m != nil && m["reason"] == "deleted" {
					gone = ReasonHardDeleted
				}
			}
		}
		if gone == "" && !rd.complete(obj) {
			if f, ok := full[id]; ok {
				obj = f
			} else {
				gone = ReasonSoftDeleted // listed nowhere: deleted since the delta round
			}
		}
		u := rd.user(id, obj, now[id], gone)
		if !rd.r.cfg.outOfScope && (u.Reason == ReasonNotAssigned || u.Reason == ReasonDefaultAccessOnly) &&
			!rd.assignedEffectively(before[id]) {
			continue
		}
		snap.Users = append(snap.Users, u)
	}
	// A hard-deleted user leaves the stored membership.
	for _, u := range snap.Users {
		if u.HardDeleted {
			for g, mm := range m {
				if i := slices.Index(mm.Users, u.ID); i >= 0 {
					mm.Users = slices.Delete(slices.Clone(mm.Users), i, i+1)
					m[g] = mm
				}
			}
		}
	}
	next := &cursor{V: 1, SP: rd.sp, Cfg: rd.r.fingerprint(), U: uLink, G: gLink, AU: au, AG: ag, M: m}
	if snap.DeltaLink, err = next.encode(); err != nil {
		return nil, err
	}
	return snap, nil
}

// complete reports whether a delta item holds every selected property.
func (rd *read) complete(obj map[string]any) bool {
	if obj == nil {
		return false
	}
	for _, a := range rd.r.cfg.attrs {
		if _, ok := obj[a]; !ok {
			return false
		}
	}
	return true
}

// hydrate reads the given users' selected properties: by JSON $batch (20
// users a request) when few, by listing all users when many. Users not
// found are left out.
func (rd *read) hydrate(ctx context.Context, ids []string) (map[string]map[string]any, error) {
	out := make(map[string]map[string]any, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > hydrateBulk {
		want := make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
		q := rd.selectQuery()
		q.Set("$top", strconv.Itoa(rd.r.cfg.pageSize))
		_, err := rd.r.pages(ctx, rd.c, "users", q, nil, func(items []map[string]any) error {
			for _, it := range items {
				obj := it
				id, err := objectID(it)
				if err != nil {
					return fmt.Errorf("entra: users: %w", err)
				}
				if want[id] {
					out[id] = obj
				}
			}
			return nil
		})
		return out, err
	}
	var chunks []string
	for i := 0; i < len(ids); i += batchSize {
		chunks = append(chunks, strconv.Itoa(i))
	}
	var mu sync.Mutex
	err := rd.parallel(ctx, chunks, func(ctx context.Context, start string) error {
		i, _ := strconv.Atoi(start)
		got, err := rd.batchUsers(ctx, ids[i:min(i+batchSize, len(ids))])
		if err != nil {
			return err
		}
		mu.Lock()
		maps.Copy(out, got)
		mu.Unlock()
		return nil
	})
	return out, err
}

// effectiveRoles computes every user's app role ids (sorted) from direct
// assignments and assigned groups' memberships.
func effectiveRoles(au, ag map[string][]string, m map[string]membership) map[string][]string {
	out := make(map[string][]string, len(au))
	for u, rs := range au {
		out[u] = slices.Clone(rs)
	}
	for g, rs := range ag {
		for _, u := range m[g].Users {
			for _, r := range rs {
				out[u] = appendUnique(out[u], r)
			}
		}
	}
	for u := range out {
		slices.Sort(out[u])
	}
	return out
}

// assignedEffectively reports whether role ids put a user in scope.
func (rd *read) assignedEffectively(roleIDs []string) bool {
	for _, r := range roleIDs {
		if r != DefaultAccessRoleID || rd.r.cfg.defaultAccess {
			return true
		}
	}
	return false
}

// user builds one User. obj holds Graph properties (nil for removed users);
// gone is ReasonSoftDeleted or ReasonHardDeleted for removed users.
func (rd *read) user(id string, obj map[string]any, roleIDs []string, gone string) User {
	// obj was decoded for this read alone: it becomes the attribute map.
	attrs := obj
	if attrs == nil {
		attrs = make(map[string]any, 5)
	}
	for k, v := range attrs {
		if v == nil || k == "id" || strings.HasPrefix(k, "@") {
			delete(attrs, k)
		}
	}
	u := User{ID: id, Attributes: attrs}
	values := []string{}
	for _, r := range roleIDs {
		role, ok := rd.roles[r]
		if !ok {
			role = Role{ID: r}
		}
		u.Roles = append(u.Roles, role)
		if r != DefaultAccessRoleID {
			v := role.Value
			if v == "" {
				v = role.Name
			}
			if v != "" && !slices.Contains(values, v) {
				values = append(values, v)
			}
		}
	}
	slices.Sort(values)
	enabled, _ := attrs["accountEnabled"].(bool)
	switch {
	case gone == ReasonHardDeleted:
		u.Reason, u.HardDeleted = gone, true
	case gone != "":
		u.Reason = gone
	case len(roleIDs) == 0:
		u.Reason = ReasonNotAssigned
	case !rd.assignedEffectively(roleIDs):
		u.Reason = ReasonDefaultAccessOnly
	case !enabled:
		u.Reason = ReasonDisabled
	default:
		u.InScope = true
	}
	attrs[KeyObjectID] = id
	attrs[KeyAppRoleAssignments] = values
	attrs[KeySoftDeleted] = !u.InScope
	attrs[KeyHardDeleted] = u.HardDeleted
	attrs[KeyScopeReason] = u.Reason
	return u
}
