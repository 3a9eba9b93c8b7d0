package faulttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/scim"
)

// processFixture is a tenant, a fake Druva and a file store; its syncers
// send every Graph and Druva request through one counting transport.
type processFixture struct {
	g         *entratest.Server
	d         *druvatest.Server
	store     druvascim.StateStore
	file      druvascim.StateStore
	path      string // the state file of file
	unmanaged []scim.Resource
	ct        *countingTransport
}

func newProcessFixture(t *testing.T, seed uint64) *processFixture {
	t.Helper()
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(250), entratest.WithGroups(8), entratest.WithSeed(seed)))
	t.Cleanup(g.Close)
	d := must[*druvatest.Server](t)(druvatest.NewServer())
	t.Cleanup(d.Close)
	file, path := newFileStorePath(t)
	return &processFixture{g: g, d: d, store: file, file: file, path: path, unmanaged: unmanagedUsers(t, d, 5),
		ct: &countingTransport{base: http.DefaultTransport}}
}

func (f *processFixture) syncer(t *testing.T) *druvascim.Syncer {
	t.Helper()
	hc := &http.Client{Transport: f.ct}
	c := must[*druva.Client](t)(f.d.NewClient(druva.WithHTTPClient(hc), druva.WithWait(noWait)))
	r := graphReader(t, f.g, entra.WithHTTPClient(hc))
	return newSyncer(t, r, c, f.store, druvascim.WithConcurrency(4))
}

// change makes new hires, unassignments and renames in the tenant and
// returns the new desired state.
func (f *processFixture) change(t *testing.T, before map[string]want, seed uint64) map[string]want {
	t.Helper()
	role := f.g.AppRoles()[0].ID
	for i := range 4 {
		name := fmt.Sprintf("hire-%d-%d@contoso.example", seed, i)
		id := must[string](t)(f.g.CreateUser(map[string]any{"userPrincipalName": name, "displayName": "New hire " + name,
			"mail": name, "givenName": "New", "surname": "Hire", "mailNickname": fmt.Sprintf("hire%d%d", seed, i)}))
		must[string](t)(f.g.AddAssignment(id, role))
	}
	step := 0
	for _, a := range f.g.Assignments() {
		if a.PrincipalType != "User" {
			continue
		}
		step++
		switch step % 25 {
		case 3:
			check(t, f.g.RemoveAssignment(a.ID))
		case 11:
			check(t, f.g.UpdateUser(a.PrincipalID, map[string]any{"displayName": "Renamed " + a.PrincipalID}))
		}
	}
	after := desiredState(t, f.g)
	for name, w := range before {
		if _, ok := after[name]; !ok {
			w.active = false
			after[name] = w
		}
	}
	return after
}

// TestCancelAtRandomPoint cancels a cycle's context at a seeded random
// request (during the Graph read, the Druva listing or the writes); the next
// cycle converges without duplicates or lost links.
func TestCancelAtRandomPoint(t *testing.T) {
	seeds := 8
	if *soak {
		seeds = 40
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			f := newProcessFixture(t, seed+1)
			desired := desiredState(t, f.g)
			rng := rand.New(rand.NewPCG(seed, 99))
			canceledCycle := 1 + int(seed%2)
			if canceledCycle == 2 {
				if _, err := f.syncer(t).Run(t.Context()); err != nil {
					t.Fatal(err)
				}
				desired = f.change(t, desired, seed)
			}
			// About 180 requests make the first cycle, about 15 the
			// second: the cancel point falls anywhere in them.
			at := 1 + rng.Int64N(map[int]int64{1: 170, 2: 12}[canceledCycle])
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			start := f.ct.n.Load()
			var fired atomic.Bool
			f.ct.before = func(n int64, r *http.Request) *http.Request {
				if n-start == at {
					fired.Store(true)
					cancel()
				}
				return r
			}
			canceled, err := f.syncer(t).Run(ctx)
			f.ct.before = nil
			logNotable(t, "canceled cycle", canceled)
			if !fired.Load() {
				t.Fatalf("the cycle made fewer than %d requests: the cancel never fired", at)
			}
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, druvascim.ErrIncompleteSource) {
				t.Fatalf("canceled cycle: %v", err)
			}
			t.Logf("cycle %d canceled at request %d: %v (druva writes %d)", canceledCycle, at, err, writesTo(f.d))

			res, err := f.syncer(t).Run(t.Context())
			if err != nil {
				t.Fatalf("cycle after the cancellation: %v", err)
			}
			logNotable(t, "next cycle", res)
			if n := len(res.Report.Failed()); n != 0 {
				t.Fatalf("%d failures after the cancellation: %+v", n, res.Report.Failed())
			}
			checkConverged(t, f.d, desired, f.unmanaged)
			checkLinks(t, f.d, must[*druvascim.State](t)(f.store.Load(t.Context())), desired)
		})
	}
}

// logNotable logs what a cycle did other than leave users unchanged: each
// write and each entry that is not a plain success, with its change id,
// source, target, status, code and detail, so that a failure of a later
// check can be traced to the entries that led to it.
func logNotable(t *testing.T, what string, res *druvascim.Result) {
	t.Helper()
	if res == nil || res.Report == nil {
		t.Logf("%s: no report", what)
		return
	}
	s := res.Report.Summary
	t.Logf("%s: full %v, canceled %v, actions %v, statuses %v, target calls %d", what, s.Full, s.Canceled, s.Actions, s.Statuses, s.TargetCalls)
	for _, e := range res.Report.Entries {
		if e.Action == druvascim.ActionSkip && e.Status == druvascim.StatusSkipped && e.ErrorCode == "" {
			continue
		}
		t.Logf("  %s %s %s→%s %s/%s %s %s", e.ChangeID, e.Action, e.SourceID, e.TargetID, e.Status, e.ErrorCode, e.Reason, e.Detail)
	}
}

// failingStore is the real file store whose Save fails when told to.
type failingStore struct {
	druvascim.StateStore
	fail atomic.Bool
}

var errDiskFull = errors.New("state store: no space left on device")

func (s *failingStore) Save(ctx context.Context, st *druvascim.State) error {
	if s.fail.Load() {
		return errDiskFull
	}
	return s.StateStore.Save(ctx, st)
}

// TestStateSaveFails: when the state cannot be saved (after the writes of
// the cycle happened), the cycle says so and the next cycle picks up: no
// duplicates, every link back, nothing lost.
func TestStateSaveFails(t *testing.T) {
	for _, failing := range []int{1, 2} {
		t.Run(fmt.Sprintf("cycle %d", failing), func(t *testing.T) {
			f := newProcessFixture(t, 3)
			fs := &failingStore{StateStore: f.file}
			f.store = fs
			desired := desiredState(t, f.g)
			if failing == 2 {
				if _, err := f.syncer(t).Run(t.Context()); err != nil {
					t.Fatal(err)
				}
				desired = f.change(t, desired, 3)
			}
			saved := must[*druvascim.State](t)(f.file.Load(t.Context()))
			fs.fail.Store(true)
			res, err := f.syncer(t).Run(t.Context())
			if !errors.Is(err, errDiskFull) {
				t.Fatalf("cycle whose state save failed: err = %v, want the store's error", err)
			}
			if res == nil || res.Plan == nil || writesOf(res.Plan) == 0 {
				t.Fatal("the failing cycle wrote nothing: the test proves nothing")
			}
			fs.fail.Store(false)
			if after := must[*druvascim.State](t)(f.file.Load(t.Context())); after.DeltaLink != saved.DeltaLink || len(after.Links) != len(saved.Links) {
				t.Fatal("the state on disk changed although Save failed")
			}
			before := d2(f.d)
			res, err = f.syncer(t).Run(t.Context())
			if err != nil {
				t.Fatalf("cycle after the failed save: %v", err)
			}
			if n := len(res.Report.Failed()); n != 0 {
				t.Fatalf("%d failures: %+v", n, res.Report.Failed())
			}
			if created := f.d.RequestCount("POST") - before; created != 0 {
				t.Errorf("the cycle after the failed save created %d users again", created)
			}
			checkConverged(t, f.d, desired, f.unmanaged)
			checkLinks(t, f.d, must[*druvascim.State](t)(f.store.Load(t.Context())), desired)
		})
	}
}

func d2(d *druvatest.Server) int { return d.RequestCount("POST") }

// TestStateSaveFailsSyncerKeepsLinks: a Syncer whose state save failed
// keeps that state. Users it created in the failed cycle and that are
// unassigned before the next one are still known as ours and disabled, which
// a restarted process (TestStateSaveFails) cannot do; the next save holds
// every link.
func TestStateSaveFailsSyncerKeepsLinks(t *testing.T) {
	f := newProcessFixture(t, 5)
	fs := &failingStore{StateStore: f.file}
	f.store = fs
	desired := desiredState(t, f.g)
	s := f.syncer(t)
	fs.fail.Store(true)
	res, err := s.Run(t.Context())
	if !errors.Is(err, errDiskFull) || res == nil || res.Plan.Counts[druvascim.ActionCreate] == 0 {
		t.Fatalf("first cycle: err = %v; want creates and the store's error", err)
	}
	fs.fail.Store(false)
	if st := must[*druvascim.State](t)(f.file.Load(t.Context())); len(st.Links) != 0 {
		t.Fatalf("the store holds %d links after the failed save", len(st.Links))
	}
	// Unassign directly assigned users created in the failed cycle.
	unassigned := 0
	for _, a := range f.g.Assignments() {
		if a.PrincipalType != "User" || unassigned == 3 {
			continue
		}
		check(t, f.g.RemoveAssignment(a.ID))
		unassigned++
	}
	after := desiredState(t, f.g)
	gone := 0 // created in the failed cycle, now out of scope
	for name, w := range desired {
		if _, ok := after[name]; !ok {
			w.active = false
			after[name] = w
			gone++
		}
	}
	if gone == 0 {
		t.Fatal("no created user left the scope: the test proves nothing")
	}
	res, err = s.Run(t.Context())
	if err != nil {
		t.Fatalf("second cycle: %v", err)
	}
	if res.Plan.Counts[druvascim.ActionDisable] != gone {
		t.Errorf("second cycle disabled %d users, want the %d that left the scope:\n%s", res.Plan.Counts[druvascim.ActionDisable], gone, res.Plan.Format())
	}
	if res.Plan.Counts[druvascim.ActionCreate] != 0 {
		t.Errorf("second cycle created %d users again", res.Plan.Counts[druvascim.ActionCreate])
	}
	checkConverged(t, f.d, after, f.unmanaged)
	checkLinks(t, f.d, must[*druvascim.State](t)(f.file.Load(t.Context())), after)
}
