package druvascim_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
	"github.com/google/go-cmp/cmp"
)

var (
	_ druvascim.Source = (*entra.Reader)(nil)
	_ interface {
		FetchObject(ctx context.Context, idOrUPN string) (druvascim.Object, error)
	} = (*entra.Reader)(nil)
	_ druvascim.Target = (*druva.Client)(nil)
)

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// druvaUser is what the test compares: the Druva state that matters.
type druvaUser struct {
	DisplayName string
	Email       string
	Active      bool
}

func druvaState(t *testing.T, srv *druvatest.Server) map[string]druvaUser {
	t.Helper()
	out := map[string]druvaUser{}
	for _, u := range srv.Users() {
		active, _ := u.Active()
		email, _ := u.Get(`emails[type eq "work"].value`)
		s, _ := email.(string)
		out[strings.ToLower(u.UserName())] = druvaUser{DisplayName: u.DisplayName(), Email: s, Active: active}
	}
	return out
}

func writes(srv *druvatest.Server) int {
	return srv.RequestCount("POST") + srv.RequestCount("PATCH") + srv.RequestCount("PUT") + srv.RequestCount("DELETE")
}

// fixture is an Entra tenant and a Druva tenant, both fakes on loopback.
type fixture struct {
	graph *entratest.Server
	druva *druvatest.Server
	ids   map[string]string // nickname → Entra object id
	asg   map[string]string // nickname → assignment id
	role  string
	sync  *druvascim.Syncer
	store druvascim.StateStore
	// reader and set build further Syncers over the same fakes and state.
	reader *entra.Reader
	set    *mapping.Set
}

func newFixture(t *testing.T, opts ...druvascim.Option) *fixture {
	t.Helper()
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(0), entratest.WithGroups(0)))
	t.Cleanup(g.Close)
	d := must[*druvatest.Server](t)(druvatest.NewServer())
	t.Cleanup(d.Close)
	f := &fixture{graph: g, druva: d, ids: map[string]string{}, asg: map[string]string{}, role: g.AppRoles()[0].ID}

	mk := func(nick string, extra map[string]any) {
		p := map[string]any{"userPrincipalName": nick + "@contoso.example", "displayName": "User " + nick,
			"mail": nick + "@contoso.example", "givenName": "Zoë", "surname": "O'Brien", "department": "Engineering",
			"mailNickname": nick}
		for k, v := range extra {
			p[k] = v
		}
		f.ids[nick] = must[string](t)(g.CreateUser(p))
	}
	for _, n := range []string{"alice", "bob", "dave", "erin", "frank", "gina", "carol", "henry"} {
		mk(n, nil)
	}
	mk("ivan", map[string]any{"accountEnabled": false})
	group := must[string](t)(g.CreateGroup("Druva users"))
	check(t, g.AddGroupMember(group, f.ids["carol"]))
	must[string](t)(g.AddAssignment(group, f.role))
	for _, n := range []string{"alice", "bob", "dave", "erin", "frank", "gina", "ivan"} {
		f.asg[n] = must[string](t)(g.AddAssignment(f.ids[n], f.role))
	}
	// henry is not assigned; ivan is assigned but disabled in Entra.

	// Druva already holds erin (created by hand, to be adopted) and zed, a
	// user this sync never managed.
	must[[]scim.Resource](t)(d.SeedUsers(
		scim.Resource{"userName": "ERIN@contoso.example", "displayName": "Erin by hand", "active": true,
			"emails": []any{map[string]any{"type": "work", "value": "erin@contoso.example", "primary": true}}},
		scim.Resource{"userName": "zed@contoso.example", "displayName": "Zed", "active": true,
			"emails": []any{map[string]any{"type": "work", "value": "zed@contoso.example", "primary": true}}},
	))

	set := fixtureSet()
	attrs := set.SourceAttributes()
	reader := must[*entra.Reader](t)(entra.NewReader(entra.StaticToken(g.Token),
		entra.WithServicePrincipalID(g.ServicePrincipalID), entra.WithGraphURL(g.URL),
		entra.WithAttributes(withAccountEnabled(attrs)...),
		entra.WithWait(func(context.Context, time.Duration) error { return nil })))
	f.store = must[druvascim.StateStore](t)(druvascim.NewFileStore(filepath.Join(t.TempDir(), "state")))
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	base := []druvascim.Option{
		druvascim.WithClock(func() time.Time { return now }),
		druvascim.WithPolicy(druvascim.Policy{Deletes: true}),
	}
	f.reader, f.set = reader, set
	f.sync = must[*druvascim.Syncer](t)(druvascim.NewSyncer(reader, d.Client(), set, f.store, append(base, opts...)...))
	return f
}

func withAccountEnabled(attrs []string) []string {
	out := slices.Clone(attrs)
	for _, a := range []string{"accountEnabled", "mailNickname"} {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func TestTwoCyclesEndInDesiredState(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	// Cycle 1: initial, full.
	res, err := f.sync.Run(ctx)
	if err != nil {
		t.Fatalf("cycle 1: %v", err)
	}
	if !res.Report.Summary.Full || len(res.Report.Failed()) != 0 {
		t.Fatalf("cycle 1 summary %+v failed %+v", res.Report.Summary, res.Report.Failed())
	}
	u := func(name string, active bool) druvaUser {
		return druvaUser{DisplayName: "User " + name, Email: name + "@contoso.example", Active: active}
	}
	want := map[string]druvaUser{
		"alice@contoso.example": u("alice", true),
		"bob@contoso.example":   u("bob", true),
		"carol@contoso.example": u("carol", true),
		"dave@contoso.example":  u("dave", true),
		"erin@contoso.example":  u("erin", true), // adopted: display name and userName case fixed
		"frank@contoso.example": u("frank", true),
		"gina@contoso.example":  u("gina", true),
		"zed@contoso.example":   {DisplayName: "Zed", Email: "zed@contoso.example", Active: true},
	}
	if d := cmp.Diff(want, druvaState(t, f.druva)); d != "" {
		t.Fatalf("after cycle 1 (-want +got):\n%s\nplan:\n%s", d, res.Plan.Format())
	}
	if c := res.Plan.Counts; c[druvascim.ActionCreate] != 6 || c[druvascim.ActionUpdate] != 1 {
		t.Errorf("cycle 1 counts %+v", c)
	}

	// Changes of every kind in Entra.
	g := f.graph
	check(t, g.RemoveAssignment(f.asg["bob"]))                                                         // unassign
	check(t, g.UpdateUser(f.ids["alice"], map[string]any{"displayName": "Alice Renamed"}))             // rename
	check(t, g.UpdateUser(f.ids["dave"], map[string]any{"accountEnabled": false}))                     // disable
	check(t, g.PurgeUser(f.ids["frank"]))                                                              // hard delete
	check(t, g.DeleteUser(f.ids["carol"]))                                                             // soft delete
	check(t, g.UpdateUser(f.ids["gina"], map[string]any{"department": "Contractors"}))                 // scope change
	check(t, g.UpdateUser(f.ids["ivan"], map[string]any{"accountEnabled": true}))                      // enabled: now provisioned
	newbie := must[string](t)(g.CreateUser(map[string]any{"userPrincipalName": "nina@contoso.example", // new hire
		"displayName": "User nina", "mail": "nina@contoso.example", "givenName": "Nina", "surname": "New",
		"department": "Sales", "mailNickname": "nina"}))
	must[string](t)(g.AddAssignment(newbie, f.role))

	// Cycle 2: incremental.
	res, err = f.sync.Run(ctx)
	if err != nil {
		t.Fatalf("cycle 2: %v", err)
	}
	if res.Report.Summary.Full || len(res.Report.Failed()) != 0 {
		t.Fatalf("cycle 2 should be incremental and clean: %+v %+v", res.Report.Summary, res.Report.Failed())
	}
	want["alice@contoso.example"] = druvaUser{DisplayName: "Alice Renamed", Email: "alice@contoso.example", Active: true}
	want["bob@contoso.example"] = u("bob", false)
	want["carol@contoso.example"] = u("carol", false)
	want["dave@contoso.example"] = u("dave", false)
	want["frank@contoso.example"] = u("frank", false) // deleted: Druva preserves it
	want["gina@contoso.example"] = u("gina", false)
	want["ivan@contoso.example"] = u("ivan", true)
	want["nina@contoso.example"] = u("nina", true)
	if d := cmp.Diff(want, druvaState(t, f.druva)); d != "" {
		t.Fatalf("after cycle 2 (-want +got):\n%s\nplan:\n%s", d, res.Plan.Format())
	}
	c := res.Plan.Counts
	if c[druvascim.ActionCreate] != 2 || c[druvascim.ActionUpdate] != 1 || c[druvascim.ActionDisable] != 4 || c[druvascim.ActionDelete] != 1 {
		t.Errorf("cycle 2 counts %+v\n%s", c, res.Plan.Format())
	}
	st := must[*druvascim.State](t)(f.store.Load(ctx))
	if _, ok := st.Links[f.ids["frank"]]; ok {
		t.Error("link of the deleted user kept")
	}
	if len(st.Links) != 8 || st.DeltaLink == "" {
		t.Errorf("state: %d links, delta link %q", len(st.Links), st.DeltaLink)
	}

	// Cycle 3: nothing changed, nothing written.
	before := writes(f.druva)
	res, err = f.sync.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(f.druva) - before; w != 0 || writesOf(res.Plan) != 0 {
		t.Fatalf("idle cycle wrote %d times:\n%s", w, res.Plan.Format())
	}
	// A full re-read converges too.
	full := must[*druvascim.Syncer](t)(druvascim.NewSyncer(mustReader(t, g), f.druva.Client(), fixtureSet(), f.store,
		druvascim.WithFullRead(), druvascim.WithPolicy(druvascim.Policy{Deletes: true})))
	res, err = full.Run(ctx)
	if err != nil || writesOf(res.Plan) != 0 || !res.Report.Summary.Full {
		t.Fatalf("full re-read: %v\n%s", err, res.Plan.Format())
	}
}

func fixtureSet() *mapping.Set {
	set, err := mapping.DruvaDefault().WithOptions(mapping.WithScope(mapping.ScopingFilter{{mapping.NotEquals("department", "Contractors")}}))
	if err != nil {
		panic(err) // a fixed, valid filter
	}
	return set
}

func mustReader(t *testing.T, g *entratest.Server) *entra.Reader {
	attrs := fixtureSet().SourceAttributes()
	return must[*entra.Reader](t)(entra.NewReader(entra.StaticToken(g.Token),
		entra.WithServicePrincipalID(g.ServicePrincipalID), entra.WithGraphURL(g.URL),
		entra.WithAttributes(withAccountEnabled(attrs)...),
		entra.WithWait(func(context.Context, time.Duration) error { return nil })))
}

func TestDryRunWritesNothing(t *testing.T) {
	f := newFixture(t)
	res, err := f.sync.DryRun(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if writes(f.druva) != 0 || res.Plan.Counts[druvascim.ActionCreate] != 6 || !res.Report.Summary.DryRun {
		t.Fatalf("dry run wrote %d, plan %+v", writes(f.druva), res.Plan.Counts)
	}
	st := must[*druvascim.State](t)(f.store.Load(t.Context()))
	if len(st.Links) != 0 || st.DeltaLink != "" {
		t.Fatal("dry run saved state")
	}
	// The real run applies exactly the dry run's plan.
	real, err := f.sync.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(res.Plan.Counts, real.Plan.Counts); d != "" {
		t.Fatalf("dry run and run differ: %s", d)
	}
}

func TestDeletionThresholdHoldsCycle(t *testing.T) {
	f := newFixture(t, druvascim.WithPolicy(druvascim.Policy{Deletes: true, DeletionThreshold: 2}))
	if _, err := f.sync.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"alice", "bob", "dave"} {
		check(t, f.graph.RemoveAssignment(f.asg[n]))
	}
	before := writes(f.druva)
	res, err := f.sync.Run(t.Context())
	if !errors.Is(err, druvascim.ErrHeld) {
		t.Fatalf("err = %v", err)
	}
	if writes(f.druva) != before || res.Plan.Counts[druvascim.ActionDisable] != 3 || res.Report.Summary.Held == nil {
		t.Fatalf("held cycle wrote or lost the plan: %+v", res.Plan.Counts)
	}
	staged := 0
	for _, e := range res.Report.Entries {
		if e.Action == druvascim.ActionStagedDelete {
			staged++
		}
	}
	if staged != 3 {
		t.Fatalf("%d StagedDelete entries, want 3", staged)
	}
	// Nothing saved: the same changes are read again and held again.
	if _, err := f.sync.Run(t.Context()); !errors.Is(err, druvascim.ErrHeld) {
		t.Fatalf("second try: %v", err)
	}
}

func TestExpiredTokenStopsCycle(t *testing.T) {
	f := newFixture(t)
	c := must[*druva.Client](t)(druva.NewClient("expired-token", druva.WithBaseURL(f.druva.URL)))
	s := must[*druvascim.Syncer](t)(druvascim.NewSyncer(mustReader(t, f.graph), c, fixtureSet(), f.store))
	_, err := s.Run(t.Context())
	if !errors.Is(err, druva.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	if f.druva.Len() != 2 || writes(f.druva) != 0 {
		t.Fatal("wrote with a bad token")
	}
}

// applyFixture plans the first cycle of the fixture against the fake Druva.
func applyFixture(t *testing.T) (*fixture, *druvascim.Plan, *druvascim.State) {
	f := newFixture(t)
	res, err := f.sync.DryRun(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return f, res.Plan, &druvascim.State{}
}

func TestApplyQuarantineOverHTTP(t *testing.T) {
	t.Run("token rejected", func(t *testing.T) {
		f, plan, st := applyFixture(t)
		c := must[*druva.Client](t)(druva.NewClient("regenerated-token", druva.WithBaseURL(f.druva.URL)))
		rep, err := druvascim.Apply(t.Context(), c, plan, st, druvascim.WithConcurrency(1))
		var se *scim.Error
		if !errors.Is(err, druvascim.ErrQuarantined) || !errors.As(err, &se) || se.Status != 401 || !rep.Summary.Quarantined {
			t.Fatalf("err = %v", err)
		}
		if got := rep.Summary.Statuses[druvascim.StatusFailure]; got != 1 {
			t.Fatalf("%d failures before stopping, want 1", got)
		}
	})
	t.Run("most calls fail", func(t *testing.T) {
		f, plan, st := applyFixture(t)
		check(t, f.druva.SetFaults(druvatest.Faults{Seed: 1, ServerErrors: 1}))
		c := must[*druva.Client](t)(f.druva.NewClient(druva.WithWait(func(context.Context, time.Duration) error { return nil })))
		rep, err := druvascim.Apply(t.Context(), c, plan, st, druvascim.WithConcurrency(1), druvascim.WithQuarantineForTest(0.4, 3))
		if !errors.Is(err, druvascim.ErrQuarantined) || rep.Summary.Statuses[druvascim.StatusFailure] != 3 {
			t.Fatalf("err = %v summary %+v", err, rep.Summary)
		}
		// Every operation failing alike is a cycle-wide cause: retried
		// next cycle, not escrowed.
		if len(st.Escrows) != 0 || st.Quarantine == nil {
			t.Fatalf("%d escrows, quarantine %+v", len(st.Escrows), st.Quarantine)
		}
	})
}

func TestApplyOverHTTPAdoptsAndDropsLinks(t *testing.T) {
	f, plan, st := applyFixture(t)
	// Every write's response is lost after the write happened: the client's
	// retried POST meets 409 and the executor adopts the user.
	check(t, f.druva.SetFaults(druvatest.Faults{Seed: 3, ResponseLost: 0.5}))
	c := must[*druva.Client](t)(f.druva.NewClient(druva.WithWait(func(context.Context, time.Duration) error { return nil })))
	rep, err := druvascim.Apply(t.Context(), c, plan, st)
	if err != nil {
		t.Fatal(err)
	}
	check(t, f.druva.SetFaults(druvatest.Faults{}))
	if len(rep.Failed()) != 0 {
		t.Fatalf("failures: %+v", rep.Failed())
	}
	if f.druva.Len() != 8 || len(st.Links) != 7 {
		t.Fatalf("druva has %d users, %d links", f.druva.Len(), len(st.Links))
	}
	adopted := 0
	for _, e := range rep.Entries {
		if strings.Contains(e.Steps[len(e.Steps)-1].Detail, "adopted") {
			adopted++
		}
	}
	if adopted == 0 || f.druva.Stats().Lost == 0 {
		t.Fatalf("no create was adopted after a lost response (stats %+v)", f.druva.Stats())
	}
	// A link to a user that no longer exists: 404 on update drops it.
	st.Links["ghost"] = "no-such-id"
	ghost := druvascim.Plan{Operations: []druvascim.Operation{{Action: druvascim.ActionUpdate, SourceID: "ghost", TargetID: "no-such-id",
		MatchedBy: "link", Patch: []scim.PatchOperation{{Op: "replace", Path: "displayName", Value: "x"}}}}}
	rep, err = druvascim.Apply(t.Context(), c, &ghost, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Links["ghost"]; ok || rep.Entries[0].ErrorCode != "InvalidAnchor" {
		t.Fatalf("entry %+v", rep.Entries[0])
	}
}

func TestProvisionOnDemand(t *testing.T) {
	f := newFixture(t)
	res, err := f.sync.ProvisionOnDemand(t.Context(), "alice@contoso.example", false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range res.Steps {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"Import", "Scope", "Match", "Action"}) || res.Entry == nil || res.Entry.Status != druvascim.StatusSuccess {
		t.Fatalf("steps %+v entry %+v", res.Steps, res.Entry)
	}
	if _, err := f.druva.UserByName("alice@contoso.example"); err != nil {
		t.Fatal(err)
	}
	st := must[*druvascim.State](t)(f.store.Load(t.Context()))
	if st.Links[f.ids["alice"]] == "" {
		t.Fatal("on-demand did not save the link")
	}
	// Again: linked, unchanged.
	res, err = f.sync.ProvisionOnDemand(t.Context(), f.ids["alice"], false)
	if err != nil || res.Operation.Reason != druvascim.ReasonUnchanged || res.Steps[2].Detail == "" {
		t.Fatalf("%v %+v", err, res.Operation)
	}
	// Unassigned and never provisioned: out of scope, nothing written.
	res, err = f.sync.ProvisionOnDemand(t.Context(), "henry@contoso.example", false)
	if err != nil || res.Steps[1].Status != druvascim.StatusSkipped || res.Operation.Action != druvascim.ActionSkip {
		t.Fatalf("%v %+v", err, res)
	}
	if _, err := f.sync.ProvisionOnDemand(t.Context(), "nobody@contoso.example", false); !errors.Is(err, druvascim.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestProgressAndSummary(t *testing.T) {
	var mu sync.Mutex
	phases := map[druvascim.Phase]int{}
	f := newFixture(t, druvascim.WithProgress(func(p druvascim.Progress) {
		mu.Lock()
		defer mu.Unlock()
		phases[p.Phase]++
	}))
	res, err := f.sync.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	for _, p := range []druvascim.Phase{"read source", "read target", "plan", "apply"} {
		if phases[p] == 0 {
			t.Errorf("no progress for %q: %v", p, phases)
		}
	}
	mu.Unlock()
	s := res.Report.Summary
	if s.SourceObjects != 9 || s.TargetUsers != 2 || s.TargetCalls < 7 || s.Actions[druvascim.ActionCreate] != 6 {
		t.Errorf("summary %+v", s)
	}
	// druva.Client counts its requests: the Syncer reports them unasked.
	if s.Requests < s.TargetCalls {
		t.Errorf("summary: %d HTTP requests for %d target calls", s.Requests, s.TargetCalls)
	}
}

// badSource misbehaves in the ways a Source must not: it fails, or it
// answers a full read with a partial one.
type badSource struct {
	err     error
	partial bool
}

func (b badSource) Fetch(ctx context.Context, deltaLink string) (druvascim.Batch, error) {
	if b.err != nil {
		return druvascim.Batch{}, b.err
	}
	return druvascim.Batch{Objects: []druvascim.Object{{ID: "x"}}, DeltaLink: "d", Full: !b.partial}, nil
}

func TestSyncerRefusesIncompleteSource(t *testing.T) {
	d := must[*druvatest.Server](t)(druvatest.NewServer())
	defer d.Close()
	for name, src := range map[string]druvascim.Source{
		"read failed":  badSource{err: errors.New("graph: 503 after retries")},
		"partial read": badSource{partial: true},
		"no object id": staticSource{{Attributes: map[string]any{"userPrincipalName": "a@x"}}},
	} {
		store := druvascim.NewMemoryStore()
		s := must[*druvascim.Syncer](t)(druvascim.NewSyncer(src, d.Client(), mapping.DruvaDefault(), store))
		if _, err := s.Run(t.Context()); !errors.Is(err, druvascim.ErrIncompleteSource) {
			t.Errorf("%s: err = %v", name, err)
		}
		if writes(d) != 0 {
			t.Fatalf("%s: wrote to Druva", name)
		}
	}
}

// oneObject adds the one-object fetch (FetchObject) to a Source, counting
// its use.
type oneObject struct {
	druvascim.Source
	calls *int
}

func (o oneObject) FetchObject(ctx context.Context, id string) (druvascim.Object, error) {
	*o.calls++
	b, err := o.Fetch(ctx, "")
	if err != nil {
		return druvascim.Object{}, err
	}
	for _, obj := range b.Objects {
		if obj.ID == id || obj.Attributes["userPrincipalName"] == id {
			return obj, nil
		}
	}
	return druvascim.Object{}, fmt.Errorf("%w: %s", druvascim.ErrNotFound, id)
}

func TestProvisionOnDemandUsesObjectFetcher(t *testing.T) {
	f := newFixture(t)
	calls := 0
	src := oneObject{Source: mustReader(t, f.graph), calls: &calls}
	s := must[*druvascim.Syncer](t)(druvascim.NewSyncer(src, f.druva.Client(), fixtureSet(), f.store))
	res, err := s.ProvisionOnDemand(t.Context(), "bob@contoso.example", true)
	if err != nil || calls != 1 || res.Operation.Action != druvascim.ActionCreate || writes(f.druva) != 0 {
		t.Fatalf("dry on-demand: %v calls %d op %+v", err, calls, res.Operation)
	}
	if last := res.Steps[len(res.Steps)-1]; last.Status != druvascim.StatusSkipped || !strings.Contains(last.Detail, "dry run") {
		t.Fatalf("last step %+v", last)
	}
}

// On-demand provisioning through the Entra reader reads the one user, not
// the tenant's users: no request lists /users or reads users/delta.
func TestProvisionOnDemandReadsOneUser(t *testing.T) {
	f := newFixture(t)
	before := len(f.graph.RequestLog())
	res, err := f.sync.ProvisionOnDemand(t.Context(), "bob@contoso.example", true)
	if err != nil || res.Operation == nil || res.Operation.Action != druvascim.ActionCreate {
		t.Fatalf("on demand: %v %+v", err, res)
	}
	for _, r := range f.graph.RequestLog()[before:] {
		if strings.HasSuffix(r.Path, "/users") || strings.HasSuffix(r.Path, "/users/delta") {
			t.Errorf("on-demand provisioning read the tenant: %s %s", r.Method, r.Path)
		}
	}
}

// TestVetoedOperationIsPlannedAgain: an operation a hook vetoed is planned
// again on the next incremental cycle, although the source did not change,
// so that it runs once the hook lets it through.
func TestVetoedOperationIsPlannedAgain(t *testing.T) {
	veto := true
	hook := func(op druvascim.Operation) (druvascim.Operation, bool) {
		return op, !(veto && op.Action == druvascim.ActionDisable)
	}
	f := newFixture(t, druvascim.WithPolicy(druvascim.Policy{Deletes: true}), druvascim.WithHook(hook))
	if _, err := f.sync.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	check(t, f.graph.RemoveAssignment(f.asg["bob"]))
	res, err := f.sync.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Summary.Full || res.Plan.Counts[druvascim.ActionDisable] != 0 || !druvaState(t, f.druva)["bob@contoso.example"].Active {
		t.Fatalf("cycle 2 should be incremental and veto bob's disable:\n%s", res.Plan.Format())
	}

	veto = false
	res, err = f.sync.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.Counts[druvascim.ActionDisable] != 1 || druvaState(t, f.druva)["bob@contoso.example"].Active {
		t.Fatalf("cycle 3: the vetoed disable was not planned again:\n%s", res.Plan.Format())
	}
	// Done: the next cycle is incremental again.
	res, err = f.sync.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Summary.Full || writesOf(res.Plan) != 0 {
		t.Fatalf("cycle 4 should be an incremental cycle without writes:\n%s", res.Plan.Format())
	}
}

// countingPlanner wraps the standard planner and counts its calls.
type countingPlanner struct {
	std   druvascim.Planner
	calls *int
}

func (c countingPlanner) Plan(in druvascim.PlanInput) (*druvascim.Plan, error) {
	*c.calls++
	return c.std.Plan(in)
}

func TestSyncerUsesTheGivenPlanner(t *testing.T) {
	calls := 0
	std := must[druvascim.Planner](t)(druvascim.NewPlanner(druvascim.WithPolicy(druvascim.Policy{Deletes: true})))
	f := newFixture(t)
	f.sync = must[*druvascim.Syncer](t)(druvascim.NewSyncer(f.reader, f.druva.Client(), f.set, f.store,
		druvascim.WithPlanner(countingPlanner{std: std, calls: &calls})))
	res, err := f.sync.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || res.Plan.Counts[druvascim.ActionCreate] == 0 {
		t.Fatalf("the Syncer called the given planner %d times (plan %+v)", calls, res.Plan.Counts)
	}
}

// TestPlanPolicyPacesDisables: a policy that lets one disable through per
// cycle disables three unassigned users over three cycles, without a
// counter of its own, and the sync then returns to incremental reads.
func TestPlanPolicyPacesDisables(t *testing.T) {
	onePerCycle := func(p *druvascim.Plan) error {
		n := 0
		for i, op := range p.Operations {
			if op.Action == druvascim.ActionDisable {
				if n++; n > 1 {
					p.Veto(i, "one disable per cycle")
				}
			}
		}
		return nil
	}
	f := newFixture(t, druvascim.WithPolicy(druvascim.Policy{Deletes: true}), druvascim.WithPlanPolicy(onePerCycle))
	if _, err := f.sync.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"alice", "bob", "dave"} {
		check(t, f.graph.RemoveAssignment(f.asg[n]))
	}
	var disabled []int
	for range 4 {
		res, err := f.sync.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		disabled = append(disabled, res.Report.Summary.Actions[druvascim.ActionDisable])
	}
	if d := cmp.Diff([]int{1, 1, 1, 0}, disabled); d != "" {
		t.Fatalf("disables per cycle (-want +got):\n%s", d)
	}
	res, err := f.sync.Run(t.Context())
	if err != nil || res.Report.Summary.Full {
		t.Fatalf("after the last veto the sync should read incrementally again (err %v, full %v)", err, res.Report.Summary.Full)
	}
	for _, n := range []string{"alice", "bob", "dave"} {
		if druvaState(t, f.druva)[n+"@contoso.example"].Active {
			t.Errorf("%s is still active", n)
		}
	}
}

// writesOf counts a plan's operations that change the target.
func writesOf(p *druvascim.Plan) int {
	c := p.Counts
	return c[druvascim.ActionCreate] + c[druvascim.ActionUpdate] + c[druvascim.ActionDisable] + c[druvascim.ActionDelete]
}
