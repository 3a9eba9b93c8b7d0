package entra_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/internal/source"
)

// newWaits returns a clock whose Wait records the waits the reader asked
// for, without sleeping.
func newWaits() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)) }

func newFake(t testing.TB, opts ...entratest.Option) *entratest.Server {
	t.Helper()
	s, err := entratest.NewServer(opts...)
	if err != nil {
		t.Fatalf("entratest.NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func newReader(t testing.TB, s *entratest.Server, opts ...entra.Option) *entra.Reader {
	t.Helper()
	w := newWaits()
	base := []entra.Option{
		entra.WithServicePrincipalID(s.ServicePrincipalID),
		entra.WithGraphURL(s.URL),
		entra.WithWait(w.Wait),
	}
	r, err := entra.NewReader(entra.StaticToken(s.Token), append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return r
}

func read(t *testing.T, r *entra.Reader, link string) *entra.Snapshot {
	t.Helper()
	snap, err := r.Read(t.Context(), link)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return snap
}

// tenant is a hand-built tenant, one user per scope rule.
type tenant struct {
	s                                   *entratest.Server
	user, admin                         string // role ids
	direct, defOnly, viaGroup, viaNest  string
	disabled, unassigned, both, noMail  string
	group, nested, nestedParent, spare  string
	directAsg, groupAsg, nestedGroupAsg string
}

// must returns a function that fails t on an error and returns the id.
func must(t testing.TB) func(string, error) string {
	return func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newTenant(t *testing.T, opts ...entratest.Option) *tenant {
	t.Helper()
	s := newFake(t, append([]entratest.Option{entratest.WithUsers(0), entratest.WithGroups(0)}, opts...)...)
	tt := &tenant{s: s, user: s.AppRoles()[0].ID, admin: s.AppRoles()[1].ID}
	mk := func(nick string, extra map[string]any) string {
		p := map[string]any{"userPrincipalName": nick + "@contoso.example", "displayName": "User " + nick,
			"mail": nick + "@contoso.example", "givenName": "Zoë", "surname": "O'Brien", "department": "R&D"}
		for k, v := range extra {
			p[k] = v
		}
		return must(t)(s.CreateUser(p))
	}
	tt.direct = mk("direct", nil)
	tt.defOnly = mk("defonly", nil)
	tt.viaGroup = mk("viagroup", nil)
	tt.viaNest = mk("vianest", nil)
	tt.disabled = mk("disabled", map[string]any{"accountEnabled": false})
	tt.unassigned = mk("unassigned", nil)
	tt.both = mk("both", nil)
	tt.noMail = mk("nomail", map[string]any{"mail": nil})
	tt.group = must(t)(s.CreateGroup("Druva users"))
	tt.nestedParent = must(t)(s.CreateGroup("Druva parents"))
	tt.nested = must(t)(s.CreateGroup("Nested"))
	tt.spare = must(t)(s.CreateGroup("Spare"))
	check(t, s.AddGroupMember(tt.group, tt.viaGroup))
	check(t, s.AddGroupMember(tt.group, tt.both))
	check(t, s.AddGroupMember(tt.group, tt.noMail))
	check(t, s.AddGroupMember(tt.nestedParent, tt.nested))
	check(t, s.AddGroupMember(tt.nested, tt.viaNest))
	check(t, s.AddGroupMember(tt.spare, tt.unassigned))
	tt.directAsg = must(t)(s.AddAssignment(tt.direct, tt.user))
	must(t)(s.AddAssignment(tt.defOnly, entratest.DefaultAccessRoleID))
	must(t)(s.AddAssignment(tt.disabled, tt.user))
	must(t)(s.AddAssignment(tt.both, tt.admin))
	tt.groupAsg = must(t)(s.AddAssignment(tt.group, tt.user))
	tt.nestedGroupAsg = must(t)(s.AddAssignment(tt.nestedParent, tt.user))
	return tt
}

type row struct {
	InScope bool
	Reason  source.Reason
	Roles   []string
	Hard    bool
}

func rows(snap *entra.Snapshot) map[string]row {
	out := map[string]row{}
	for _, u := range snap.Objects {
		roles, _ := u.Attributes["appRoleAssignments"].([]string)
		out[u.ID] = row{!u.SoftDeleted && !u.HardDeleted, u.Reason, roles, u.HardDeleted}
		for _, k := range []string{"objectId", "IsSoftDeleted", "IsHardDeleted", "scopeReason"} {
			if _, ok := u.Attributes[k]; ok {
				panic("scope facts among the attributes: " + k + " of " + u.ID)
			}
		}
		if u.SoftDeleted != (u.Reason != "") || (u.Reason == "") != (u.Assigned && u.Reason == "") ||
			(u.Assigned && u.Reason != "" && u.Reason != entra.ReasonAccountDisabled) {
			panic("scope fields disagree: " + u.ID)
		}
	}
	return out
}

func TestFullReadScopeRules(t *testing.T) {
	tt := newTenant(t)
	none := []string{}
	in := func(roles ...string) row {
		if roles == nil {
			roles = none
		}
		return row{InScope: true, Roles: roles}
	}
	out := func(reason source.Reason, roles ...string) row {
		if roles == nil {
			roles = none
		}
		return row{Reason: reason, Roles: roles}
	}
	cases := []struct {
		name string
		opts []entra.Option
		want map[string]row
	}{
		{"defaults", nil, map[string]row{
			tt.direct: in("User"), tt.defOnly: out(entra.ReasonDefaultAccessOnly), tt.viaGroup: in("User"),
			tt.viaNest: out(entra.ReasonNotAssigned), tt.disabled: out(entra.ReasonAccountDisabled, "User"),
			tt.unassigned: out(entra.ReasonNotAssigned), tt.both: in("Admin", "User"), tt.noMail: in("User"),
		}},
		{"default access and nested groups included", []entra.Option{entra.WithDefaultAccess(true), entra.WithNestedGroups(true)}, map[string]row{
			tt.direct: in("User"), tt.defOnly: in(), tt.viaGroup: in("User"),
			tt.viaNest: in("User"), tt.disabled: out(entra.ReasonAccountDisabled, "User"),
			tt.unassigned: out(entra.ReasonNotAssigned), tt.both: in("Admin", "User"), tt.noMail: in("User"),
		}},
		{"out-of-scope users left out", []entra.Option{entra.WithOutOfScopeUsers(false)}, map[string]row{
			tt.direct: in("User"), tt.viaGroup: in("User"), tt.disabled: out(entra.ReasonAccountDisabled, "User"),
			tt.both: in("Admin", "User"), tt.noMail: in("User"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := read(t, newReader(t, tt.s, tc.opts...), "")
			if !snap.Full || snap.FullReason != "initial read" || snap.DeltaLink == "" {
				t.Fatalf("Full %v %q, link %d bytes", snap.Full, snap.FullReason, len(snap.DeltaLink))
			}
			if diff := cmp.Diff(tc.want, rows(snap)); diff != "" {
				t.Fatalf("scope (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAttributesAndSelect(t *testing.T) {
	tt := newTenant(t)
	r := newReader(t, tt.s, entra.WithAttributes("mail", "displayName", "surname", "objectId", "appRoleAssignments"))
	snap := read(t, r, "")
	var got map[string]any
	for _, u := range snap.Objects {
		if u.ID == tt.direct {
			got = u.Attributes
		}
	}
	want := map[string]any{
		"mail": "direct@contoso.example", "displayName": "User direct", "surname": "O'Brien", "accountEnabled": true,
		"appRoleAssignments": []string{"User"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("attributes (-want +got):\n%s", diff)
	}
	for _, u := range snap.Objects {
		if u.ID == tt.noMail {
			if _, ok := u.Attributes["mail"]; ok {
				t.Fatalf("null mail should be absent: %v", u.Attributes)
			}
		}
	}
	for _, req := range tt.s.RequestLog() {
		if strings.HasSuffix(req.Path, "/users/delta") && req.Query.Get("$skiptoken") == "" && req.Query.Get("$deltatoken") == "" {
			if sel := req.Query.Get("$select"); sel != "id,mail,displayName,surname,accountEnabled" {
				t.Fatalf("$select = %q", sel)
			}
			return
		}
	}
	t.Fatal("no users/delta request")
}

type step struct {
	name   string
	change func(t *testing.T, tt *tenant)
	want   map[string]row // users the incremental read must return, exactly
}

func TestIncrementalAfterEveryChange(t *testing.T) {
	tt := newTenant(t)
	var newcomer string
	var newAsg string
	steps := []step{
		{"nothing", func(*testing.T, *tenant) {}, map[string]row{}},
		{"selected attribute updated", func(t *testing.T, tt *tenant) {
			check(t, tt.s.UpdateUser(tt.direct, map[string]any{"mail": "renamed@contoso.example"}))
		}, map[string]row{tt.direct: {InScope: true, Roles: []string{"User"}}}},
		{"unselected attribute updated", func(t *testing.T, tt *tenant) {
			check(t, tt.s.UpdateUser(tt.direct, map[string]any{"city": "Zürich"}))
		}, map[string]row{}},
		{"user created", func(t *testing.T, tt *tenant) {
			newcomer = must(t)(tt.s.CreateUser(map[string]any{"userPrincipalName": "new@contoso.example", "displayName": "Newcomer"}))
		}, nil},
		{"assignment added", func(t *testing.T, tt *tenant) {
			newAsg = must(t)(tt.s.AddAssignment(newcomer, tt.admin))
		}, nil},
		{"assignment removed", func(t *testing.T, tt *tenant) {
			check(t, tt.s.RemoveAssignment(newAsg))
		}, nil},
		{"member added to assigned group", func(t *testing.T, tt *tenant) {
			check(t, tt.s.AddGroupMember(tt.group, tt.unassigned))
		}, map[string]row{tt.unassigned: {InScope: true, Roles: []string{"User"}}}},
		{"member removed from assigned group", func(t *testing.T, tt *tenant) {
			check(t, tt.s.RemoveGroupMember(tt.group, tt.viaGroup))
		}, map[string]row{tt.viaGroup: {Reason: entra.ReasonNotAssigned, Roles: []string{}}}},
		{"member added to unassigned group", func(t *testing.T, tt *tenant) {
			check(t, tt.s.AddGroupMember(tt.spare, tt.viaGroup))
		}, map[string]row{}},
		{"group assigned", func(t *testing.T, tt *tenant) {
			must(t)(tt.s.AddAssignment(tt.spare, tt.admin))
		}, map[string]row{
			tt.viaGroup:   {InScope: true, Roles: []string{"Admin"}},
			tt.unassigned: {InScope: true, Roles: []string{"Admin", "User"}},
		}},
		{"group unassigned", func(t *testing.T, tt *tenant) {
			check(t, tt.s.RemoveAssignment(tt.groupAsg))
		}, map[string]row{
			tt.unassigned: {InScope: true, Roles: []string{"Admin"}},
			tt.noMail:     {Reason: entra.ReasonNotAssigned, Roles: []string{}},
			tt.both:       {InScope: true, Roles: []string{"Admin"}}, // loses User, keeps its direct Admin
		}},
		{"account disabled", func(t *testing.T, tt *tenant) {
			check(t, tt.s.UpdateUser(tt.both, map[string]any{"accountEnabled": false}))
		}, map[string]row{tt.both: {Reason: entra.ReasonAccountDisabled, Roles: []string{"Admin"}}}},
		{"account enabled again", func(t *testing.T, tt *tenant) {
			check(t, tt.s.UpdateUser(tt.both, map[string]any{"accountEnabled": true}))
		}, map[string]row{tt.both: {InScope: true, Roles: []string{"Admin"}}}},
		{"soft-deleted", func(t *testing.T, tt *tenant) {
			check(t, tt.s.DeleteUser(tt.direct))
		}, map[string]row{tt.direct: {Reason: entra.ReasonSoftDeleted, Roles: []string{}}}},
		{"restored", func(t *testing.T, tt *tenant) {
			check(t, tt.s.RestoreUser(tt.direct))
		}, map[string]row{tt.direct: {InScope: true, Roles: []string{"User"}}}},
		{"soft-deleted group member", func(t *testing.T, tt *tenant) {
			check(t, tt.s.DeleteUser(tt.unassigned))
		}, map[string]row{tt.unassigned: {Reason: entra.ReasonSoftDeleted, Roles: []string{}}}},
		{"restored group member", func(t *testing.T, tt *tenant) {
			check(t, tt.s.RestoreUser(tt.unassigned))
		}, map[string]row{tt.unassigned: {InScope: true, Roles: []string{"Admin"}}}},
		{"hard-deleted", func(t *testing.T, tt *tenant) {
			check(t, tt.s.PurgeUser(tt.direct))
		}, map[string]row{tt.direct: {Reason: entra.ReasonHardDeleted, Roles: []string{}, Hard: true}}},
		{"default access only assigned", func(t *testing.T, tt *tenant) {
			must(t)(tt.s.AddAssignment(tt.viaNest, entratest.DefaultAccessRoleID))
		}, map[string]row{tt.viaNest: {Reason: entra.ReasonDefaultAccessOnly, Roles: []string{}}}},
		{"nested member added (not expanded)", func(t *testing.T, tt *tenant) {
			check(t, tt.s.AddGroupMember(tt.nested, tt.noMail))
		}, map[string]row{}},
	}
	r := newReader(t, tt.s)
	link := read(t, r, "").DeltaLink
	for _, st := range steps {
		st.change(t, tt)
		snap := read(t, r, link)
		if snap.Full {
			t.Fatalf("%s: incremental read was full (%s)", st.name, snap.FullReason)
		}
		want := st.want
		switch st.name {
		case "user created":
			want = map[string]row{newcomer: {Reason: entra.ReasonNotAssigned, Roles: []string{}}}
		case "assignment added":
			want = map[string]row{newcomer: {InScope: true, Roles: []string{"Admin"}}}
		case "assignment removed":
			want = map[string]row{newcomer: {Reason: entra.ReasonNotAssigned, Roles: []string{}}}
		}
		if diff := cmp.Diff(want, rows(snap)); diff != "" {
			t.Fatalf("%s (-want +got):\n%s", st.name, diff)
		}
		for _, u := range snap.Objects {
			if u.Reason == "" || u.Reason == entra.ReasonAccountDisabled || u.Reason == entra.ReasonNotAssigned {
				if _, ok := u.Attributes["userPrincipalName"]; !ok {
					t.Fatalf("%s: incomplete attributes for %s: %v", st.name, u.ID, u.Attributes)
				}
			}
		}
		if st.name == "selected attribute updated" && snap.Objects[0].Attributes["mail"] != "renamed@contoso.example" {
			t.Fatalf("mail not updated: %v", snap.Objects[0].Attributes)
		}
		if st.name == "nothing" && snap.Stats.Requests > 5 {
			t.Fatalf("no-change read made %d requests", snap.Stats.Requests)
		}
		link = snap.DeltaLink
	}
}

func TestIncrementalNestedGroups(t *testing.T) {
	tt := newTenant(t)
	r := newReader(t, tt.s, entra.WithNestedGroups(true))
	link := read(t, r, "").DeltaLink
	check(t, tt.s.AddGroupMember(tt.nested, tt.unassigned))
	snap := read(t, r, link)
	if diff := cmp.Diff(map[string]row{tt.unassigned: {InScope: true, Roles: []string{"User"}}}, rows(snap)); diff != "" {
		t.Fatalf("nested add (-want +got):\n%s", diff)
	}
	check(t, tt.s.RemoveGroupMember(tt.nestedParent, tt.nested))
	snap = read(t, r, snap.DeltaLink)
	want := map[string]row{
		tt.unassigned: {Reason: entra.ReasonNotAssigned, Roles: []string{}},
		tt.viaNest:    {Reason: entra.ReasonNotAssigned, Roles: []string{}},
	}
	if diff := cmp.Diff(want, rows(snap)); diff != "" {
		t.Fatalf("nested group removed (-want +got):\n%s", diff)
	}
}

func TestChangedUsersReadInBatchesOrByListing(t *testing.T) {
	s := newFake(t, entratest.WithUsers(2500), entratest.WithGroups(6))
	r := newReader(t, s)
	link := read(t, r, "").DeltaLink
	ids := s.UserIDs()
	count := func(since int) (batches, listings int) {
		for _, q := range s.RequestLog()[since:] {
			switch {
			case q.Method == http.MethodPost && strings.HasSuffix(q.Path, "/$batch"):
				batches++
			case q.Method == http.MethodGet && q.Path == "/v1.0/users":
				listings++
			}
		}
		return batches, listings
	}
	for _, n := range []int{300, 2100} {
		for _, id := range ids[:n] {
			check(t, s.UpdateUser(id, map[string]any{"department": fmt.Sprint("Moved ", n)}))
		}
		since := len(s.RequestLog())
		snap := read(t, r, link)
		link = snap.DeltaLink
		if len(snap.Objects) != n || snap.Stats.Hydrated != n {
			t.Fatalf("%d changes: users %d hydrated %d", n, len(snap.Objects), snap.Stats.Hydrated)
		}
		for _, u := range snap.Objects {
			if u.Attributes["department"] != fmt.Sprint("Moved ", n) || u.Attributes["userPrincipalName"] == nil {
				t.Fatalf("incomplete: %v", u.Attributes)
			}
		}
		batches, listings := count(since)
		switch n {
		case 300:
			if batches != 15 || listings != 0 {
				t.Fatalf("300 changes: %d batches, %d listing pages", batches, listings)
			}
		default:
			if batches != 0 || listings != 3 {
				t.Fatalf("2100 changes: %d batches, %d listing pages", batches, listings)
			}
		}
	}
}

func TestIncrementalUnderRandomFaults(t *testing.T) {
	opts := []entratest.Option{entratest.WithUsers(400), entratest.WithSeed(11)}
	clean := newFake(t, opts...)
	noisy := newFake(t, append(opts, entratest.WithFaults(entratest.Faults{Seed: 2, Throttle: 0.3, Unavailable: 0.1}))...)
	rc := newReader(t, clean)
	rn := newReader(t, noisy, entra.WithRetries(30, time.Minute))
	lc, ln := read(t, rc, "").DeltaLink, read(t, rn, "").DeltaLink
	for _, s := range []*entratest.Server{clean, noisy} {
		ids := s.UserIDs()
		for _, id := range ids[:60] {
			check(t, s.UpdateUser(id, map[string]any{"jobTitle": "Chief"}))
		}
		check(t, s.DeleteUser(ids[100]))
		check(t, s.PurgeUser(ids[101]))
	}
	before := noisy.Stats()
	a, b := read(t, rc, lc), read(t, rn, ln)
	after := noisy.Stats()
	if diff := cmp.Diff(rows(a), rows(b)); diff != "" {
		t.Fatalf("faults changed the incremental result:\n%s", diff)
	}
	if len(a.Objects) != 62 {
		t.Fatalf("users %d", len(a.Objects))
	}
	if got, want := b.Stats.Throttled, int64(after.Throttled-before.Throttled); got != want || want == 0 {
		t.Fatalf("reader saw %d 429s, fake sent %d", got, want)
	}
}

func TestFullReadMatchesTenant(t *testing.T) {
	s := newFake(t, entratest.WithUsers(1500), entratest.WithSeed(9))
	snap := read(t, newReader(t, s, entra.WithPageSize(100)), "")
	// Oracle from the fake's own state.
	roles := map[string][]string{}
	for _, a := range s.Assignments() {
		if a.PrincipalType == "User" {
			roles[a.PrincipalID] = append(roles[a.PrincipalID], a.AppRoleID)
			continue
		}
		users, _, err := s.GroupMembers(a.PrincipalID)
		check(t, err)
		for _, u := range users {
			roles[u] = append(roles[u], a.AppRoleID)
		}
	}
	if len(snap.Objects) != 1500 {
		t.Fatalf("users %d", len(snap.Objects))
	}
	counts := map[source.Reason]int{}
	for _, u := range snap.Objects {
		attrs, err := s.User(u.ID)
		check(t, err)
		var want source.Reason
		switch {
		case len(roles[u.ID]) == 0:
			want = entra.ReasonNotAssigned
		case !slices.ContainsFunc(roles[u.ID], func(r string) bool { return r != entratest.DefaultAccessRoleID }):
			want = entra.ReasonDefaultAccessOnly
		case attrs["accountEnabled"] == false:
			want = entra.ReasonAccountDisabled
		}
		if u.Reason != want {
			t.Fatalf("user %s: reason %q, want %q", u.ID, u.Reason, want)
		}
		counts[u.Reason]++
	}
	for _, reason := range []source.Reason{"", entra.ReasonNotAssigned, entra.ReasonDefaultAccessOnly, entra.ReasonAccountDisabled} {
		if counts[reason] == 0 {
			t.Errorf("no user with reason %q: %v", reason, counts)
		}
	}
	if snap.Stats.Pages < 15 {
		t.Fatalf("pages %d: paging not exercised", snap.Stats.Pages)
	}
}

func TestAppIDResolvedOnce(t *testing.T) {
	tt := newTenant(t)
	w := newWaits()
	r, err := entra.NewReader(entra.StaticToken(tt.s.Token), entra.WithAppID(tt.s.AppID), entra.WithGraphURL(tt.s.URL+"/v1.0/"), entra.WithWait(w.Wait))
	check(t, err)
	snap := read(t, r, "")
	read(t, r, snap.DeltaLink)
	n := 0
	for _, req := range tt.s.RequestLog() {
		if strings.HasSuffix(req.Path, "/servicePrincipals") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("appId resolved %d times", n)
	}
	r2, err := entra.NewReader(entra.StaticToken(tt.s.Token), entra.WithAppID("00000000-1111-2222-3333-444444444444"), entra.WithGraphURL(tt.s.URL), entra.WithWait(w.Wait))
	check(t, err)
	if _, err := r2.Read(t.Context(), ""); !errors.Is(err, entra.ErrNotFound) {
		t.Fatalf("unknown appId: %v", err)
	}
}

func TestFaultsRetried(t *testing.T) {
	for _, f := range []entratest.Fault{entratest.Throttle, entratest.Unavailable} {
		t.Run(f.String(), func(t *testing.T) {
			tt := newTenant(t, entratest.WithFaults(entratest.Faults{RetryAfter: 7 * time.Second}))
			w := newWaits()
			r := newReader(t, tt.s, entra.WithWait(w.Wait), entra.WithRateLimit(0, 0))
			want := rows(read(t, r, ""))
			check(t, tt.s.Inject(f, 3))
			snap := read(t, r, "")
			if diff := cmp.Diff(want, rows(snap)); diff != "" {
				t.Fatalf("result changed by faults:\n%s", diff)
			}
			if snap.Stats.Retries != 3 || snap.Stats.Attempts != snap.Stats.Requests+3 {
				t.Fatalf("stats %+v", snap.Stats)
			}
			if f == entratest.Throttle && snap.Stats.Throttled != 3 {
				t.Fatalf("throttled %d", snap.Stats.Throttled)
			}
			if !slices.Contains(w.Waits(), 7*time.Second) {
				t.Fatalf("Retry-After not honoured: waits %v", w.Waits())
			}
		})
	}
}

func TestThrottledBeyondRetries(t *testing.T) {
	tt := newTenant(t)
	r := newReader(t, tt.s, entra.WithRetries(2, time.Minute))
	check(t, tt.s.Inject(entratest.Throttle, 10))
	_, err := r.Read(t.Context(), "")
	var ge *entra.GraphError
	if !errors.Is(err, entra.ErrThrottled) || !errors.As(err, &ge) || ge.Status != http.StatusTooManyRequests {
		t.Fatalf("err = %v", err)
	}
}

func TestRandomFaultsGiveTheSameResult(t *testing.T) {
	clean := newFake(t, entratest.WithUsers(400), entratest.WithSeed(3))
	noisy := newFake(t, entratest.WithUsers(400), entratest.WithSeed(3),
		entratest.WithFaults(entratest.Faults{Seed: 5, Throttle: 0.2, Unavailable: 0.1}))
	a := read(t, newReader(t, clean, entra.WithPageSize(50)), "")
	b := read(t, newReader(t, noisy, entra.WithPageSize(50), entra.WithRetries(20, time.Minute)), "")
	if diff := cmp.Diff(rows(a), rows(b)); diff != "" {
		t.Fatalf("faults changed the result:\n%s", diff)
	}
	st := noisy.Stats()
	// Every 429 the fake sent, whole answers or $batch items, is counted.
	if st.Throttled == 0 || st.Unavailable == 0 || b.Stats.Throttled != int64(st.Throttled) || b.Stats.Retries == 0 {
		t.Fatalf("fake %+v, reader %+v", st, b.Stats)
	}
}

func TestForeignNextLinkNeverFollowed(t *testing.T) {
	var hits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(foreign.Close)
	s := newFake(t, entratest.WithUsers(50), entratest.WithForeignHost(foreign.URL))
	r := newReader(t, s, entra.WithPageSize(10))
	check(t, s.Inject(entratest.ForeignNextLink, 1))
	_, err := r.Read(t.Context(), "")
	if !errors.Is(err, entra.ErrOffHost) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), s.Token) {
		t.Fatal("token in error")
	}
	if hits.Load() != 0 {
		t.Fatalf("foreign host got %d requests", hits.Load())
	}
}

func TestMalformedPagesFailTheRead(t *testing.T) {
	for _, f := range []entratest.Fault{entratest.MissingValue, entratest.MalformedPage} {
		t.Run(f.String(), func(t *testing.T) {
			tt := newTenant(t)
			r := newReader(t, tt.s)
			link := read(t, r, "").DeltaLink
			for _, l := range []string{"", link} {
				check(t, tt.s.Inject(f, 1))
				snap, err := r.Read(t.Context(), l)
				if !errors.Is(err, entra.ErrMalformed) || snap != nil {
					t.Fatalf("link %v: snap %v err %v", l != "", snap, err)
				}
			}
		})
	}
}

func TestExpiredDeltaLinkFallsBackToFullRead(t *testing.T) {
	tt := newTenant(t)
	r := newReader(t, tt.s)
	first := read(t, r, "")
	check(t, tt.s.Inject(entratest.ExpiredDelta, 1))
	snap := read(t, r, first.DeltaLink)
	if !snap.Full || snap.FullReason != "delta link expired" || len(snap.Objects) != len(first.Objects) {
		t.Fatalf("full %v %q users %d", snap.Full, snap.FullReason, len(snap.Objects))
	}
	tt.s.ExpireDeltaLinks()
	snap = read(t, r, snap.DeltaLink)
	if !snap.Full || snap.FullReason != "delta link expired" {
		t.Fatalf("after expiry: full %v %q", snap.Full, snap.FullReason)
	}
	snap = read(t, r, snap.DeltaLink)
	if snap.Full || len(snap.Objects) != 0 {
		t.Fatalf("after the fallback the link works: full %v users %d", snap.Full, len(snap.Objects))
	}
	other := newReader(t, tt.s, entra.WithNestedGroups(true))
	if s2 := read(t, other, snap.DeltaLink); !s2.Full || !strings.Contains(s2.FullReason, "options changed") {
		t.Fatalf("other options: full %v %q", s2.Full, s2.FullReason)
	}
}

func TestBadInput(t *testing.T) {
	tt := newTenant(t)
	r := newReader(t, tt.s)
	for _, link := range []string{"https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x", "entra-cursor-v1.!!!", "entra-cursor-v1.AAAA"} {
		if _, err := r.Read(t.Context(), link); !errors.Is(err, entra.ErrBadDeltaLink) {
			t.Errorf("link %q: %v", link, err)
		}
	}
	bad, err := entra.NewReader(entra.StaticToken("wrong"), entra.WithServicePrincipalID(tt.s.ServicePrincipalID), entra.WithGraphURL(tt.s.URL))
	check(t, err)
	if _, err := bad.Read(t.Context(), ""); !errors.Is(err, entra.ErrUnauthorized) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("bad token: %v", err)
	}
	missing := newReader(t, tt.s, entra.WithServicePrincipalID("11111111-2222-3333-4444-555555555555"))
	if _, err := missing.Read(t.Context(), ""); !errors.Is(err, entra.ErrNotFound) {
		t.Fatalf("unknown service principal: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.Read(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	sp := entra.WithServicePrincipalID("11111111-2222-3333-4444-555555555555")
	cases := map[string][]entra.Option{
		"no service principal":  nil,
		"both ids":              {sp, entra.WithAppID("a")},
		"bad id":                {entra.WithServicePrincipalID("x/y")},
		"http graph not local":  {sp, entra.WithGraphURL("http://graph.microsoft.com")},
		"relative graph":        {sp, entra.WithGraphURL("graph")},
		"bad attribute":         {sp, entra.WithAttributes("mail", "bad name")},
		"page size":             {sp, entra.WithPageSize(1000)},
		"concurrency":           {sp, entra.WithConcurrency(0)},
		"rate":                  {sp, entra.WithRateLimit(10, 0)},
		"retries":               {sp, entra.WithRetries(-1, time.Second)},
		"nil wait":              {sp, entra.WithWait(nil)},
		"request timeout":       {sp, entra.WithRequestTimeout(0)},
		"nil logger":            {sp, entra.WithLogger(nil)},
		"nil client":            {sp, entra.WithHTTPClient(nil)},
		"empty scopes":          {sp, entra.WithScopes()},
		"nil option":            {sp, nil},
		"empty static token":    nil,
		"static token w/ space": nil,
	}
	for name, opts := range cases {
		cred := entra.StaticToken("t")
		switch name {
		case "empty static token":
			cred, opts = entra.StaticToken(""), []entra.Option{sp}
		case "static token w/ space":
			cred, opts = entra.StaticToken("a b"), []entra.Option{sp}
		}
		if _, err := entra.NewReader(cred, opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := entra.NewReader(nil, sp); err == nil {
		t.Error("nil credential accepted")
	}
	r, err := entra.NewReader(entra.StaticToken("secret-token"), sp)
	check(t, err)
	if strings.Contains(r.String(), "secret") {
		t.Fatal("token printed")
	}
}

func TestFetchObject(t *testing.T) {
	tt := newTenant(t)
	cases := []struct {
		name string
		opts []entra.Option
		who  string
		want row
	}{
		{"direct", nil, tt.direct, row{InScope: true, Roles: []string{"User"}}},
		{"by userPrincipalName", nil, "VIAGROUP@contoso.example", row{InScope: true, Roles: []string{"User"}}},
		{"group and direct", nil, tt.both, row{InScope: true, Roles: []string{"Admin", "User"}}},
		{"default access only", nil, tt.defOnly, row{Reason: entra.ReasonDefaultAccessOnly, Roles: []string{}}},
		{"default access included", []entra.Option{entra.WithDefaultAccess(true)}, tt.defOnly, row{InScope: true, Roles: []string{}}},
		{"nested not expanded", nil, tt.viaNest, row{Reason: entra.ReasonNotAssigned, Roles: []string{}}},
		{"nested expanded", []entra.Option{entra.WithNestedGroups(true)}, tt.viaNest, row{InScope: true, Roles: []string{"User"}}},
		{"disabled", nil, tt.disabled, row{Reason: entra.ReasonAccountDisabled, Roles: []string{"User"}}},
		{"unassigned", nil, tt.unassigned, row{Reason: entra.ReasonNotAssigned, Roles: []string{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := newReader(t, tt.s, tc.opts...).FetchObject(t.Context(), tc.who)
			check(t, err)
			got := rows(&entra.Snapshot{Batch: source.Batch{Objects: []source.Object{u}}})[u.ID]
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
	r := newReader(t, tt.s)
	if _, err := r.FetchObject(t.Context(), "nobody@contoso.example"); !errors.Is(err, entra.ErrNotFound) || !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := r.FetchObject(t.Context(), "../users"); err == nil {
		t.Fatal("path accepted as a user")
	}
}

func TestConcurrentReads(t *testing.T) {
	s := newFake(t, entratest.WithUsers(300))
	w := newWaits()
	r, err := entra.NewReader(entra.StaticToken(s.Token), entra.WithAppID(s.AppID), entra.WithGraphURL(s.URL), entra.WithWait(w.Wait))
	check(t, err)
	results := make([]map[string]row, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			snap, err := r.Read(t.Context(), "")
			errs[i] = err
			if err == nil {
				results[i] = rows(snap)
			}
		})
	}
	wg.Wait()
	for i := range results {
		check(t, errs[i])
		if diff := cmp.Diff(results[0], results[i]); diff != "" {
			t.Fatalf("read %d differs:\n%s", i, diff)
		}
	}
	if len(results[0]) != 300 {
		t.Fatalf("users %d", len(results[0]))
	}
}

// credential is an azcore.TokenCredential that counts its calls.
type credential struct {
	token  string
	calls  atomic.Int64
	scopes atomic.Value
}

func (c *credential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	c.scopes.Store(strings.Join(o.Scopes, " "))
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestTokenCredential(t *testing.T) {
	tt := newTenant(t)
	cred := &credential{token: tt.s.Token}
	w := newWaits()
	r, err := entra.NewReader(cred, entra.WithServicePrincipalID(tt.s.ServicePrincipalID), entra.WithGraphURL(tt.s.URL), entra.WithWait(w.Wait))
	check(t, err)
	snap := read(t, r, "")
	if got := cred.calls.Load(); got != snap.Stats.Attempts {
		t.Fatalf("credential asked %d times for %d attempts", got, snap.Stats.Attempts)
	}
	if got := cred.scopes.Load(); got != tt.s.URL+"/.default" {
		t.Fatalf("scopes %v", got)
	}
}

func TestHugeRetryAfterIsCapped(t *testing.T) {
	tt := newTenant(t, entratest.WithFaults(entratest.Faults{RetryAfter: 7 * 24 * time.Hour}))
	w := newWaits()
	r := newReader(t, tt.s, entra.WithWait(w.Wait), entra.WithRateLimit(0, 0), entra.WithRetries(3, 30*time.Second))
	check(t, tt.s.Inject(entratest.Throttle, 2))
	read(t, r, "")
	if len(w.Waits()) < 2 {
		t.Fatalf("waits %v", w.Waits())
	}
	for _, d := range w.Waits() {
		if d > 30*time.Second {
			t.Fatalf("waited %v, cap is 30s", d)
		}
	}
}

func TestLoggerNeverShowsToken(t *testing.T) {
	tt := newTenant(t)
	var buf strings.Builder
	var mu sync.Mutex
	h := slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug})
	r := newReader(t, tt.s, entra.WithLogger(slog.New(h)))
	check(t, tt.s.Inject(entratest.Throttle, 1))
	read(t, r, "")
	mu.Lock()
	defer mu.Unlock()
	if buf.Len() == 0 || strings.Contains(buf.String(), tt.s.Token) {
		t.Fatalf("log (%d bytes) empty or holds the token", buf.Len())
	}
	if !strings.Contains(buf.String(), "read done") {
		t.Fatalf("no summary in the log:\n%s", buf.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestNestedGroupCycle(t *testing.T) {
	tt := newTenant(t)
	check(t, tt.s.AddGroupMember(tt.nested, tt.nestedParent)) // parent ⊃ nested ⊃ parent
	check(t, tt.s.AddGroupMember(tt.nestedParent, tt.unassigned))
	snap := read(t, newReader(t, tt.s, entra.WithNestedGroups(true), entra.WithPageSize(1)), "")
	got := rows(snap)
	for _, id := range []string{tt.viaNest, tt.unassigned} {
		if !got[id].InScope {
			t.Fatalf("user %s through a cycle of groups: %+v", id, got[id])
		}
	}
}

// TestProgress: WithProgress hears of every decoded page, from however many
// goroutines read them, and its counts end at the read's own: every page,
// and at least every user and assignment the pages held.
func TestProgress(t *testing.T) {
	s := newFake(t, entratest.WithUsers(700), entratest.WithSeed(4))
	var mu sync.Mutex
	var calls int
	var last entra.Progress
	r := newReader(t, s, entra.WithPageSize(50), entra.WithProgress(func(p entra.Progress) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		last.Pages, last.Items = max(last.Pages, p.Pages), max(last.Items, p.Items)
	}))
	snap := read(t, r, "")
	if int64(calls) != snap.Stats.Pages || last.Pages != snap.Stats.Pages {
		t.Errorf("%d progress calls reaching %d pages, read %d pages", calls, last.Pages, snap.Stats.Pages)
	}
	if want := int64(len(snap.Objects) + snap.Stats.Assignments); last.Items < want {
		t.Errorf("progress reached %d items, want at least %d users and assignments", last.Items, want)
	}
	if snap.Stats.Pages < 20 {
		t.Fatalf("%d pages: paging not exercised", snap.Stats.Pages)
	}
	if _, err := entra.NewReader(entra.StaticToken("t"), entra.WithServicePrincipalID(s.ServicePrincipalID), entra.WithProgress(nil)); err == nil {
		t.Error("WithProgress(nil) accepted")
	}
}
