package druvascim_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/mapping"
)

// TestIncrementalCycleLooksUsersUp shows that an incremental cycle with few
// changed objects reads their Druva users one by one (by link, or by
// matching key) instead of listing every Druva user, and still converges;
// with many changes it lists.
func TestIncrementalCycleLooksUsersUp(t *testing.T) {
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(900), entratest.WithGroups(6), entratest.WithSeed(3)))
	defer g.Close()
	d := must[*druvatest.Server](t)(druvatest.NewServer(druvatest.WithMaxPageSize(50)))
	defer d.Close()
	set := mapping.DruvaDefault()
	attrs := set.SourceAttributes()
	reader := must[*entra.Reader](t)(entra.NewReader(entra.StaticToken(g.Token), entra.WithGraphURL(g.URL),
		entra.WithServicePrincipalID(g.ServicePrincipalID), entra.WithAttributes(attrs...),
		entra.WithWait(func(context.Context, time.Duration) error { return nil })))
	store := must[druvascim.StateStore](t)(druvascim.NewFileStore(filepath.Join(t.TempDir(), "state")))
	s := must[*druvascim.Syncer](t)(druvascim.NewSyncer(reader, d.Client(), set, store))
	ctx := t.Context()

	res := must[*druvascim.Result](t)(s.Run(ctx))
	if links := res.Plan.Counts[druvascim.ActionCreate]; links < 2*200 {
		t.Fatalf("only %d users created; the test needs at least 400 links", links)
	}
	// requests returns the Druva requests since the last call, as
	// "METHOD kind": list (a page of every user), get (one user by id),
	// find (a filtered query) or a write.
	seen := len(d.Requests())
	requests := func() []string {
		all := d.Requests()
		var out []string
		for _, r := range all[seen:] {
			kind := r.Method
			switch {
			case r.Method == "GET" && strings.Contains(r.Query, "filter="):
				kind += " find"
			case r.Method == "GET" && r.Path == "/Users":
				kind += " list"
			case r.Method == "GET":
				kind += " get"
			}
			out = append(out, kind)
		}
		seen = len(all)
		return out
	}

	// Idle: nothing changed, nothing read from Druva.
	res = must[*druvascim.Result](t)(s.Run(ctx))
	if got := requests(); len(got) != 0 || writesOf(res.Plan) != 0 {
		t.Fatalf("idle incremental cycle sent %v and planned %d writes", got, writesOf(res.Plan))
	}

	// One rename and one new hire: the linked user is read by id, the new
	// one is looked up by its matching key, and nothing is listed.
	st := must[*druvascim.State](t)(store.Load(ctx))
	var linked []string
	for src := range st.Links {
		linked = append(linked, src)
	}
	check(t, g.UpdateUser(linked[0], map[string]any{"displayName": "Renamed In Entra"}))
	hire := must[string](t)(g.CreateUser(map[string]any{"userPrincipalName": "lookup.hire@contoso.example",
		"displayName": "Lookup Hire", "mail": "lookup.hire@contoso.example", "mailNickname": "lookup.hire", "accountEnabled": true}))
	must[string](t)(g.AddAssignment(hire, g.AppRoles()[0].ID))
	must[*druvascim.Result](t)(s.Run(ctx))
	counts := map[string]int{}
	got := requests()
	for _, k := range got {
		counts[k]++
	}
	for k, n := range map[string]int{"GET get": 1, "GET find": 1, "PATCH": 1, "POST": 1, "GET list": 0} {
		if counts[k] != n {
			t.Errorf("%s: %d requests, want %d (all: %v)", k, counts[k], n, got)
		}
	}
	if _, err := d.UserByName("lookup.hire@contoso.example"); err != nil {
		t.Errorf("the new hire was not created: %v", err)
	}
	if u := must[*druvascim.State](t)(store.Load(ctx)); d.Len() == 0 || u.Links[linked[0]] == "" {
		t.Fatal("lost the renamed user's link")
	}
	if u, err := d.User(must[*druvascim.State](t)(store.Load(ctx)).Links[linked[0]]); err != nil || u.DisplayName() != "Renamed In Entra" {
		t.Errorf("the rename did not reach Druva: %v %v", u, err)
	}

	// Many changes (more than one object per 200 links): the cycle lists.
	many := linked[1 : 1+len(linked)/100]
	for _, id := range many {
		check(t, g.UpdateUser(id, map[string]any{"displayName": "Changed " + id}))
	}
	must[*druvascim.Result](t)(s.Run(ctx))
	counts = map[string]int{}
	for _, k := range requests() {
		counts[k]++
	}
	if counts["GET list"] == 0 || counts["GET get"] != 0 || counts["PATCH"] != len(many) {
		t.Errorf("%d changes against %d links: requests %v, want a listing and %d PATCHes", len(many), len(linked), counts, len(many))
	}
}
