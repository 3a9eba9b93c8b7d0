package entra_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/source"
)

// A guest's userPrincipalName reaches the mappings as the guest's own
// address, as Microsoft's provisioning service sends it; the name as Graph
// holds it is originalUserPrincipalName.
func TestGuestUserPrincipalName(t *testing.T) {
	s := newFake(t, entratest.WithUsers(200))
	guests := s.Guests()
	if len(guests) == 0 {
		t.Fatal("the generated tenant has no guests")
	}
	snap := read(t, newReader(t, s), "")
	byID := map[string]source.Object{}
	for _, o := range snap.Objects {
		byID[o.ID] = o
	}
	for _, id := range guests {
		props, err := s.User(id)
		check(t, err)
		graphUPN := props["userPrincipalName"].(string)
		want := map[string]any{"userPrincipalName": props["mail"], "originalUserPrincipalName": graphUPN}
		got := map[string]any{"userPrincipalName": byID[id].Attributes["userPrincipalName"],
			"originalUserPrincipalName": byID[id].Attributes["originalUserPrincipalName"]}
		if diff := cmp.Diff(want, got); diff != "" || !strings.Contains(graphUPN, "#EXT#") {
			t.Fatalf("guest %s (%s) (-want +got):\n%s", id, graphUPN, diff)
		}
	}
	member := snap.Objects[0]
	if member.Attributes["userPrincipalName"] != member.Attributes["originalUserPrincipalName"] {
		t.Fatalf("a member's name changed: %v", member.Attributes)
	}
	// The one-object fetch agrees, by id and by the name Graph holds.
	props, err := s.User(guests[0])
	check(t, err)
	for _, key := range []string{guests[0], props["userPrincipalName"].(string)} {
		o, err := newReader(t, s).FetchObject(t.Context(), key)
		check(t, err)
		if o.ID != guests[0] || o.Attributes["userPrincipalName"] != byID[guests[0]].Attributes["userPrincipalName"] {
			t.Fatalf("FetchObject(%q): %s %v", key, o.ID, o.Attributes)
		}
	}
}

// "Sync all users and groups": every enabled user is in scope, assigned or
// not, Default Access or not; disabled and deleted users are still out, and
// incremental reads see new and changed users.
func TestSyncAll(t *testing.T) {
	tt := newTenant(t)
	r := newReader(t, tt.s, entra.WithSyncAll(true))
	snap := read(t, r, "")
	got := rows(snap)
	for _, id := range []string{tt.direct, tt.defOnly, tt.viaGroup, tt.viaNest, tt.unassigned, tt.both, tt.noMail} {
		if !got[id].InScope {
			t.Errorf("%s: %+v, want in scope", id, got[id])
		}
	}
	if g := got[tt.disabled]; g.InScope || g.Reason != entra.ReasonAccountDisabled {
		t.Errorf("disabled: %+v", g)
	}
	for _, o := range snap.Objects {
		if !o.Assigned {
			t.Errorf("not Assigned under Sync all: %+v", o)
		}
	}
	newcomer := must(t)(tt.s.CreateUser(map[string]any{"userPrincipalName": "new@contoso.example", "displayName": "New"}))
	check(t, tt.s.SoftDelete(tt.unassigned))
	next := read(t, r, snap.DeltaLink)
	if diff := cmp.Diff(map[string]row{
		newcomer:      {InScope: true, Roles: []string{}},
		tt.unassigned: {Reason: entra.ReasonSoftDeleted, Roles: []string{}},
	}, rows(next)); diff != "" || next.Full {
		t.Fatalf("incremental (full %v) (-want +got):\n%s", next.Full, diff)
	}
	// Switching the scope makes the next read a full one.
	if s := read(t, newReader(t, tt.s), next.DeltaLink); !s.Full || s.FullReason != "reader options changed since the delta link" {
		t.Fatalf("after switching scope: full %v %q", s.Full, s.FullReason)
	}
}

// Provision on demand of a group: up to n of its user members, each with
// its scope.
func TestFetchGroupMembers(t *testing.T) {
	tt := newTenant(t)
	for i := range 7 {
		id := must(t)(tt.s.CreateUser(map[string]any{"userPrincipalName": "m" + string(rune('a'+i)) + "@contoso.example", "displayName": "M"}))
		check(t, tt.s.AddGroupMember(tt.group, id))
	}
	members, _, err := tt.s.GroupMembers(tt.group)
	check(t, err)
	objs, err := newReader(t, tt.s).FetchGroupMembers(t.Context(), tt.group, entra.DefaultGroupMembers)
	check(t, err)
	var ids []string
	for _, o := range objs {
		ids = append(ids, o.ID)
		if o.SoftDeleted || !slices.Contains(o.Attributes["appRoleAssignments"].([]string), "User") {
			t.Errorf("member %s: %+v", o.ID, o)
		}
	}
	if diff := cmp.Diff(members[:5], ids); diff != "" {
		t.Fatalf("members (-want +got):\n%s", diff)
	}
	all, err := newReader(t, tt.s).FetchGroupMembers(t.Context(), tt.group, 100)
	check(t, err)
	if len(all) != len(members) {
		t.Fatalf("%d of %d members", len(all), len(members))
	}
	_, err = newReader(t, tt.s).FetchGroupMembers(t.Context(), "00000000-0000-4000-8000-000000000404", 5)
	if !errors.Is(err, druvascim.ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
	// Members of member groups count with nested expansion, and only then.
	for nested, want := range map[bool]int{false: 0, true: 1} {
		objs, err := newReader(t, tt.s, entra.WithNestedGroups(nested)).FetchGroupMembers(t.Context(), tt.nestedParent, 5)
		check(t, err)
		if len(objs) != want || want == 1 && (objs[0].ID != tt.viaNest || objs[0].SoftDeleted != !nested) {
			t.Fatalf("nested %v: %+v", nested, objs)
		}
	}
	if _, err := newReader(t, tt.s).FetchGroupMembers(t.Context(), tt.group, 0); err == nil {
		t.Fatal("0 members accepted")
	}
}
