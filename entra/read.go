package entra

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/druvascim/druvascim/internal/parallel"
	"github.com/druvascim/druvascim/internal/source"
	"golang.org/x/sync/errgroup"
)

// Snapshot is the result of one [Reader.Read]: the objects read, the delta
// link to store, whether the read was full and why, and the read's figures.
// A full read holds every user of the tenant (out-of-scope ones flagged,
// unless WithOutOfScopeUsers(false)); an incremental read holds only users
// that changed, in attributes or in scope, since the delta link. Objects are
// in Graph's order. The embedded batch is druvascim.Batch (Objects,
// DeltaLink, Full, FullReason), its objects druvascim.Object.
type Snapshot struct {
	source.Batch
	// Stats are the counters of this read.
	Stats Stats
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

// Fetch reads the source objects: a full read when deltaLink is empty,
// else the objects changed since deltaLink. It is [Reader.Read] without the
// figures, and makes *Reader a druvascim.Source (the batch is
// druvascim.Batch).
func (r *Reader) Fetch(ctx context.Context, deltaLink string) (source.Batch, error) {
	s, err := r.Read(ctx, deltaLink)
	if err != nil {
		return source.Batch{}, err
	}
	return s.Batch, nil
}

// Read reads the tenant: in full when deltaLink is empty, incrementally
// otherwise. An expired Graph delta link, or a delta link made with other
// options, for another service principal or for another Graph URL, falls
// back to a full read (Snapshot.Full, FullReason). Any failed request or
// malformed page fails the whole read.
func (r *Reader) Read(ctx context.Context, deltaLink string) (*Snapshot, error) {
	before := r.client.Stats()
	rd := r.newRead()
	snap, err := rd.run(ctx, deltaLink)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return nil, err
	}
	after := r.client.Stats()
	st := &snap.Stats
	st.Requests, st.Attempts, st.Pages = rd.c.requests.Load(), rd.c.attempts.Load(), rd.c.pages.Load()
	st.Throttled = after.Throttled - before.Throttled + rd.c.throttled.Load()
	st.Retries = after.Retries - before.Retries + rd.c.retries.Load()
	st.Users = len(snap.Objects)
	for _, o := range snap.Objects {
		if !o.SoftDeleted && !o.HardDeleted {
			st.InScope++
		}
	}
	st.CursorBytes = len(snap.DeltaLink)
	r.log(ctx, "entra: read done", "full", snap.Full, "users", st.Users, "inScope", st.InScope,
		"requests", st.Requests, "pages", st.Pages, "throttled", st.Throttled)
	return snap, nil
}

func (r *Reader) newRead() *read {
	return &read{r: r, c: &counters{progress: r.cfg.progress}}
}

// run decides between a full and an incremental read and does it.
func (rd *read) run(ctx context.Context, deltaLink string) (*Snapshot, error) {
	if deltaLink == "" {
		return rd.full(ctx, "initial read")
	}
	cur, err := decodeCursor(deltaLink)
	if err != nil {
		return nil, err
	}
	sp, err := rd.r.servicePrincipal(ctx, rd.c)
	switch {
	case err != nil:
		return nil, err
	case cur.SP != sp:
		return rd.full(ctx, "delta link is for another service principal")
	case cur.Cfg != rd.r.fingerprint():
		return rd.full(ctx, "reader options changed since the delta link")
	case rd.r.onHost(cur.U) != nil || rd.r.onHost(cur.G) != nil:
		rd.r.log(ctx, "entra: delta link is for another Graph URL, reading everything", "graph", rd.r.cfg.graph)
		return rd.full(ctx, "delta link is for another Graph URL than "+rd.r.cfg.graph)
	}
	snap, err := rd.incremental(ctx, cur)
	if errors.Is(err, errDeltaExpired) {
		rd.r.log(ctx, "entra: delta link expired, reading everything", "error", err)
		rd = &read{r: rd.r, c: rd.c}
		return rd.full(ctx, "delta link expired")
	}
	return snap, err
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
	roles map[string]appRole
}

// appRole is one app role of the service principal.
type appRole struct {
	value string // the app role's value ("" for Default Access)
	name  string // its display name ("Default Access" for it)
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
	rd.roles = map[string]appRole{DefaultAccessRoleID: {name: "Default Access"}}
	for _, ar := range v.AppRoles {
		rd.roles[ar.ID] = appRole{value: ar.Value, name: ar.DisplayName}
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

// chunks runs fn for every chunk [lo, hi) of n items, batchSize items a
// chunk, at most the reader's concurrency at once; the first error cancels
// the rest and is returned.
func (rd *read) chunks(ctx context.Context, n int, fn func(ctx context.Context, lo, hi int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rd.r.cfg.concurrency)
	for lo := 0; lo < n && gctx.Err() == nil; lo += batchSize {
		g.Go(func() error { return fn(gctx, lo, min(lo+batchSize, n)) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
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

// userList is the users a listing or delta round returned, in first-seen
// order, each with its decoded Graph properties.
type userList struct {
	order []string
	props map[string]map[string]any
}

// add records obj under id. A user met twice in one round is merged, the
// later properties winning; a removal replaces it.
func (l *userList) add(id string, obj map[string]any) {
	prev, seen := l.props[id]
	if !seen {
		l.order = append(l.order, id)
		l.props[id] = obj
		return
	}
	if _, removed := obj["@removed"]; removed || prev == nil {
		l.props[id] = obj
		return
	}
	delete(prev, "@removed")
	maps.Copy(prev, obj)
}

// listUsers follows users/delta from path (a first request or a stored
// Graph delta link) to its end. Without keepRemoved, tombstones are
// dropped (a full round lists live users).
func (rd *read) listUsers(ctx context.Context, path string, q url.Values, keepRemoved bool) (*userList, string, error) {
	l := &userList{props: map[string]map[string]any{}}
	link, err := rd.r.pages(ctx, rd.c, path, q, rd.deltaHeader(), func(items []map[string]any) error {
		for _, obj := range items {
			id, err := objectID(obj)
			if err != nil {
				return fmt.Errorf("entra: users/delta: %w", err)
			}
			if _, removed := obj["@removed"]; removed && !keepRemoved {
				continue
			}
			l.add(id, obj)
		}
		return nil
	})
	if err == nil && link == "" {
		err = fmt.Errorf("%w: users/delta ended without @odata.deltaLink", ErrMalformed)
	}
	return l, link, err
}

// scope is what decides who is assigned: app-role assignments of users and
// groups, and the membership of the assigned groups.
type scope struct {
	au, ag map[string][]string
	m      map[string]membership
	n      int // assignments read
}

// readScope reads the app roles, the assignments and the members of every
// assigned group.
func (rd *read) readScope(ctx context.Context) (*scope, error) {
	if err := rd.appRoles(ctx); err != nil {
		return nil, err
	}
	au, ag, n, err := rd.assignments(ctx)
	if err != nil {
		return nil, err
	}
	sc := &scope{au: au, ag: ag, n: n, m: map[string]membership{}}
	return sc, rd.readMembers(ctx, slices.Sorted(maps.Keys(ag)), sc.m)
}

// full reads everything: users on one side, scope (app roles, assignments,
// members) on the other, at the same time; the first failure cancels both.
func (rd *read) full(ctx context.Context, reason string) (*Snapshot, error) {
	gLink, err := rd.latestGroups(ctx)
	if err != nil {
		return nil, err
	}
	var users *userList
	var uLink string
	var sc *scope
	var cw *cursorWriter
	var roles map[string][]string
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		users, uLink, err = rd.listUsers(gctx, "users/delta", rd.selectQuery(), false)
		return err
	})
	g.Go(func() (err error) {
		if sc, err = rd.readScope(gctx); err != nil {
			return err
		}
		// The scope is usually read before the users are: what needs it
		// alone is done while they still arrive.
		cw = startCursor(&cursor{V: 1, SP: rd.sp, Cfg: rd.r.fingerprint(), G: gLink, AU: sc.au, AG: sc.ag, M: sc.m})
		roles = effectiveRoles(sc.au, sc.ag, sc.m)
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	link, err := cw.finish(uLink)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Batch: source.Batch{Full: true, FullReason: reason, DeltaLink: link}}
	snap.Stats.Assignments, snap.Stats.Groups = sc.n, len(sc.ag)
	workers := parallel.Workers(len(users.order), 2_048, min(runtime.GOMAXPROCS(0), 8))
	if snap.Objects, err = rd.objects(ctx, users, roles, workers); err != nil {
		return nil, err
	}
	return snap, nil
}

// objects builds the objects of a full read's users, in their order, on
// workers goroutines; the users out of scope are left out unless the
// reader keeps them.
func (rd *read) objects(ctx context.Context, users *userList, roles map[string][]string, workers int) ([]source.Object, error) {
	parts := make([][]source.Object, max(workers, 1))
	err := parallel.Chunks(ctx, len(users.order), len(parts), func(_ context.Context, c, lo, hi int) error {
		for _, id := range users.order[lo:hi] {
			o := rd.object(id, users.props[id], roles[id], "")
			if !rd.r.cfg.outOfScope && notAssigned(o) {
				continue
			}
			parts[c] = append(parts[c], o)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case len(parts) == 1:
		return parts[0], nil
	}
	return slices.Concat(parts...), nil
}

// notAssigned reports an object out of scope only for want of an
// assignment that counts.
func notAssigned(o source.Object) bool {
	return o.Reason == ReasonNotAssigned || o.Reason == ReasonDefaultAccessOnly
}

// changedGroups follows the groups/delta link and returns the ids of the
// groups that changed, and the next link.
func (rd *read) changedGroups(ctx context.Context, link string) (map[string]bool, string, error) {
	changed := map[string]bool{}
	next, err := rd.r.pages(ctx, rd.c, link, nil, rd.deltaHeader(), func(items []map[string]any) error {
		for _, it := range items {
			id, err := objectID(it)
			if err != nil {
				return fmt.Errorf("entra: groups/delta: %w", err)
			}
			changed[id] = true
		}
		return nil
	})
	if err == nil && next == "" {
		err = fmt.Errorf("%w: groups/delta ended without @odata.deltaLink", ErrMalformed)
	}
	return changed, next, err
}

// rescope reads the assignments again and the membership of the assigned
// groups that changed or are new; the others keep the membership of cur.
// It returns the new scope and how many groups were read.
func (rd *read) rescope(ctx context.Context, cur *cursor, changedGroups map[string]bool) (*scope, int, error) {
	if err := rd.appRoles(ctx); err != nil {
		return nil, 0, err
	}
	au, ag, n, err := rd.assignments(ctx)
	if err != nil {
		return nil, 0, err
	}
	sc := &scope{au: au, ag: ag, n: n, m: map[string]membership{}}
	var reread []string
	for g := range ag {
		old, known := cur.M[g]
		if !known || changedGroups[g] || slices.ContainsFunc(old.Nested, func(n string) bool { return changedGroups[n] }) {
			reread = append(reread, g)
		} else {
			sc.m[g] = old
		}
	}
	slices.Sort(reread)
	return sc, len(reread), rd.readMembers(ctx, reread, sc.m)
}

// roleChanges adds to users the users whose effective roles differ
// between before and now: those known before first, each part in id order.
// Only the few that differ are sorted, not every user.
func roleChanges(users *userList, before, now map[string][]string) {
	for _, pass := range [2][2]map[string][]string{{before, now}, {now, before}} {
		var diff []string
		for id, roles := range pass[0] {
			if _, ok := users.props[id]; !ok && !slices.Equal(roles, pass[1][id]) {
				diff = append(diff, id)
			}
		}
		slices.Sort(diff)
		for _, id := range diff {
			users.add(id, nil)
		}
	}
}

// incremental reads what changed since cur: the groups and users Graph's
// delta rounds report, the assignments, and the users whose roles changed
// with them; users with incomplete properties are read again.
func (rd *read) incremental(ctx context.Context, cur *cursor) (*Snapshot, error) {
	changedGroups, gLink, err := rd.changedGroups(ctx, cur.G)
	if err != nil {
		return nil, err
	}
	users, uLink, err := rd.listUsers(ctx, cur.U, nil, true)
	if err != nil {
		return nil, err
	}
	sc, reread, err := rd.rescope(ctx, cur, changedGroups)
	if err != nil {
		return nil, err
	}
	now := effectiveRoles(sc.au, sc.ag, sc.m)
	// With the same assignments and no group read again, every user has
	// the roles of the last read: nothing to compare.
	before := now
	if reread > 0 || !maps.EqualFunc(sc.au, cur.AU, slices.Equal[[]string]) || !maps.EqualFunc(sc.ag, cur.AG, slices.Equal[[]string]) {
		before = effectiveRoles(cur.AU, cur.AG, cur.M)
		roleChanges(users, before, now)
	}
	snap := &Snapshot{}
	snap.Stats.Assignments, snap.Stats.Groups = sc.n, reread
	if snap.Objects, snap.Stats.Hydrated, err = rd.changedObjects(ctx, users, before, now); err != nil {
		return nil, err
	}
	dropHardDeleted(snap.Objects, sc.m)
	next := &cursor{V: 1, SP: rd.sp, Cfg: rd.r.fingerprint(), U: uLink, G: gLink, AU: sc.au, AG: sc.ag, M: sc.m}
	if snap.DeltaLink, err = next.encode(); err != nil {
		return nil, err
	}
	return snap, nil
}

// changedObjects builds the objects of an incremental read, reading again
// the users whose properties are incomplete. It returns how many were read
// again.
func (rd *read) changedObjects(ctx context.Context, users *userList, before, now map[string][]string) ([]source.Object, int, error) {
	var need []string
	for _, id := range users.order {
		if obj := users.props[id]; removed(obj) == "" && !rd.complete(obj) {
			need = append(need, id)
		}
	}
	full, err := rd.hydrate(ctx, need)
	if err != nil {
		return nil, 0, err
	}
	var out []source.Object
	for _, id := range users.order {
		obj := users.props[id]
		gone := removed(obj)
		if gone == "" && !rd.complete(obj) {
			if f, ok := full[id]; ok {
				obj = f
			} else {
				gone = ReasonSoftDeleted // listed nowhere: deleted since the delta round
			}
		}
		o := rd.object(id, obj, now[id], gone)
		if !rd.r.cfg.outOfScope && notAssigned(o) && !rd.assignedEffectively(before[id]) {
			continue
		}
		out = append(out, o)
	}
	return out, len(need), nil
}

// removed returns the reason of a delta item's @removed annotation:
// ReasonHardDeleted for reason "deleted", ReasonSoftDeleted otherwise, and
// "" when the item is not a removal.
func removed(obj map[string]any) source.Reason {
	rm, ok := obj["@removed"]
	if !ok {
		return ""
	}
	if m, _ := rm.(map[string]any); m != nil && m["reason"] == "deleted" {
		return ReasonHardDeleted
	}
	return ReasonSoftDeleted
}

// dropHardDeleted removes the hard-deleted objects from the stored
// membership.
func dropHardDeleted(objects []source.Object, m map[string]membership) {
	for _, o := range objects {
		if !o.HardDeleted {
			continue
		}
		for g, mm := range m {
			if i := slices.Index(mm.Users, o.ID); i >= 0 {
				mm.Users = slices.Delete(slices.Clone(mm.Users), i, i+1)
				m[g] = mm
			}
		}
	}
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
				id, err := objectID(it)
				if err != nil {
					return fmt.Errorf("entra: users: %w", err)
				}
				if want[id] {
					out[id] = it
				}
			}
			return nil
		})
		return out, err
	}
	var mu sync.Mutex
	err := rd.chunks(ctx, len(ids), func(ctx context.Context, lo, hi int) error {
		got, err := rd.batchUsers(ctx, ids[lo:hi])
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

// object builds one source object. obj holds Graph properties (nil for
// removed users); gone is ReasonSoftDeleted or ReasonHardDeleted for
// removed users.
func (rd *read) object(id string, obj map[string]any, roleIDs []string, gone source.Reason) source.Object {
	// obj was decoded for this read alone: it becomes the attribute map.
	attrs := obj
	if attrs == nil {
		attrs = make(map[string]any, 2)
	}
	for k, v := range attrs {
		if v == nil || k == "id" || strings.HasPrefix(k, "@") {
			delete(attrs, k)
		}
	}
	guestUPN(attrs)
	attrs[attrAppRoleAssignments] = rd.roleValues(roleIDs)
	o := source.Object{ID: id, Attributes: attrs}
	enabled, _ := attrs["accountEnabled"].(bool)
	switch {
	case gone == ReasonHardDeleted:
		o.Reason, o.HardDeleted = gone, true
	case gone != "":
		o.Reason = gone
	case rd.r.cfg.all && !enabled:
		o.Assigned, o.Reason = true, ReasonAccountDisabled
	case rd.r.cfg.all:
		o.Assigned = true
	case len(roleIDs) == 0:
		o.Reason = ReasonNotAssigned
	case !rd.assignedEffectively(roleIDs):
		o.Reason = ReasonDefaultAccessOnly
	case !enabled:
		o.Assigned, o.Reason = true, ReasonAccountDisabled
	default:
		o.Assigned = true
	}
	o.SoftDeleted = o.Reason != "" // hard-deleted too: it must not be active either
	return o
}

// roleValues returns the values of the app roles (display names for roles
// without a value), Default Access left out, sorted.
func (rd *read) roleValues(roleIDs []string) []string {
	values := []string{}
	for _, r := range roleIDs {
		if r == DefaultAccessRoleID {
			continue
		}
		role := rd.roles[r]
		v := cmp.Or(role.value, role.name)
		if v != "" && !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	slices.Sort(values)
	return values
}
