package faulttest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/scim"
)

// graphFixture is a fake Graph tenant paging in small pages, a fault-free
// fake Druva after one clean cycle, and the desired state.
type graphFixture struct {
	g         *entratest.Server
	d         *druvatest.Server
	store     druvascim.StateStore
	desired   map[string]want
	unmanaged []scim.Resource
	foreign   *foreignHost
}

// foreignHost is a second listener standing for a host that must never
// receive a request carrying a credential.
type foreignHost struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string // Authorization headers received ("" when none)
}

func newForeignHost(t *testing.T) *foreignHost {
	f := &foreignHost{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Header.Get("Authorization"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"value":[]}`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *foreignHost) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

func newGraphFixture(t *testing.T) *graphFixture {
	t.Helper()
	foreign := newForeignHost(t)
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(400), entratest.WithGroups(10),
		entratest.WithSeed(5), entratest.WithMaxPageSize(40), entratest.WithForeignHost(foreign.srv.URL)))
	t.Cleanup(g.Close)
	d := must[*druvatest.Server](t)(druvatest.NewServer())
	t.Cleanup(d.Close)
	f := &graphFixture{g: g, d: d, store: newFileStore(t), foreign: foreign}
	f.unmanaged = unmanagedUsers(t, d, 5)
	f.desired = desiredState(t, g)
	if _, err := f.syncer(t, false).Run(t.Context()); err != nil {
		t.Fatalf("clean first cycle: %v", err)
	}
	checkConverged(t, d, f.desired, f.unmanaged)
	return f
}

func (f *graphFixture) syncer(t *testing.T, full bool) *druvascim.Syncer {
	var opts []druvascim.Option
	if full {
		opts = append(opts, druvascim.WithFullRead())
	}
	return newSyncer(t, graphReader(t, f.g, entra.WithPageSize(40)), f.d.Client(), f.store, opts...)
}

// unassign removes the direct assignments of k users and returns the new
// desired state (those users wanted inactive).
func (f *graphFixture) unassign(t *testing.T, k int) map[string]want {
	t.Helper()
	for _, a := range f.g.Assignments() {
		if k == 0 {
			break
		}
		if a.PrincipalType == "User" {
			check(t, f.g.RemoveAssignment(a.ID))
			k--
		}
	}
	after := desiredState(t, f.g)
	for name, w := range f.desired {
		if _, ok := after[name]; !ok {
			w.active = false
			after[name] = w
		}
	}
	return after
}

// refused runs a cycle that must be refused because the source read was
// partial: ErrIncompleteSource, nothing written to Druva, nothing disabled,
// the stored state unchanged.
func (f *graphFixture) refused(t *testing.T, s *druvascim.Syncer, also error) {
	t.Helper()
	if err := f.attempt(t, s, also); err == nil {
		t.Fatal("cycle on a partial read: err = nil, want ErrIncompleteSource")
	}
}

// attempt runs a cycle; when it fails, it must have failed as refused says.
// It returns the cycle's error.
func (f *graphFixture) attempt(t *testing.T, s *druvascim.Syncer, also error) error {
	t.Helper()
	before := must[*druvascim.State](t)(f.store.Load(t.Context()))
	writes, active := writesTo(f.d), activeNames(f.d)
	res, err := s.Run(t.Context())
	if err == nil {
		return nil
	}
	if !errors.Is(err, druvascim.ErrIncompleteSource) {
		t.Fatalf("cycle on a partial read: err = %v, want ErrIncompleteSource", err)
	}
	if also != nil && !errors.Is(err, also) {
		t.Errorf("err = %v, want it to match %v too", err, also)
	}
	if res != nil && res.Plan != nil && writesOf(res.Plan) > 0 {
		t.Errorf("a plan with %d writes was made from a partial read", writesOf(res.Plan))
	}
	if w := writesTo(f.d) - writes; w != 0 {
		t.Fatalf("%d writes to Druva after a partial read", w)
	}
	if got := activeNames(f.d); !slices.Equal(got, active) {
		t.Fatalf("active Druva users changed after a partial read: %d → %d", len(active), len(got))
	}
	after := must[*druvascim.State](t)(f.store.Load(t.Context()))
	if after.DeltaLink != before.DeltaLink || len(after.Links) != len(before.Links) {
		t.Fatalf("state changed after a refused cycle")
	}
	return err
}

// TestGraphThrottlingStorm: a short 429/503 storm is absorbed by retries and
// the cycle converges; a storm longer than the retries fails the read, and no
// cycle plans from it, until the storm passes.
func TestGraphThrottlingStorm(t *testing.T) {
	for _, full := range []bool{false, true} {
		t.Run(map[bool]string{false: "incremental", true: "full"}[full], func(t *testing.T) {
			f := newGraphFixture(t)
			desired := f.unassign(t, 4)
			check(t, f.g.Inject(entratest.Throttle, 3))
			check(t, f.g.Inject(entratest.Unavailable, 2))
			if _, err := f.syncer(t, full).Run(t.Context()); err != nil {
				t.Fatalf("short storm not absorbed: %v", err)
			}
			checkConverged(t, f.d, desired, f.unmanaged)
			if st := f.g.Stats(); st.Throttled < 3 || st.Unavailable < 2 {
				t.Fatalf("storm not injected: %+v", st)
			}

			// A long storm: every read fails for a while.
			desired2 := f.unassign(t, 3)
			check(t, f.g.Inject(entratest.Throttle, 40))
			check(t, f.g.Inject(entratest.Unavailable, 40))
			refusedRuns := 0
			for f.attempt(t, f.syncer(t, full), nil) != nil {
				refusedRuns++
				if refusedRuns > 40 {
					t.Fatal("the storm never ended")
				}
			}
			if refusedRuns == 0 {
				t.Fatal("the long storm never failed a read")
			}
			if st := f.g.Stats(); st.Throttled+st.Unavailable < 80 {
				t.Fatalf("a cycle succeeded while the storm was still queued: %+v", st)
			}
			checkConverged(t, f.d, desired2, f.unmanaged)
			t.Logf("long storm: %d cycles refused, graph stats %+v", refusedRuns, f.g.Stats())
		})
	}
}

// TestGraphMalformedPage: a page without "value", or an HTML page with
// status 200, fails the read; the cycle disables nobody, and the next clean
// cycle does exactly what the source says.
func TestGraphMalformedPage(t *testing.T) {
	for _, fault := range []entratest.Fault{entratest.MissingValue, entratest.MalformedPage} {
		for _, full := range []bool{false, true} {
			t.Run(fault.String()+map[bool]string{false: "/incremental", true: "/full"}[full], func(t *testing.T) {
				f := newGraphFixture(t)
				desired := f.unassign(t, 5)
				check(t, f.g.Inject(fault, 1))
				f.refused(t, f.syncer(t, full), entra.ErrMalformed)
				if _, err := f.syncer(t, full).Run(t.Context()); err != nil {
					t.Fatal(err)
				}
				checkConverged(t, f.d, desired, f.unmanaged)
			})
		}
	}
}

// TestGraphForeignNextLink: a nextLink to another host fails the read and
// the token never reaches that host (a second listener stands for it).
func TestGraphForeignNextLink(t *testing.T) {
	f := newGraphFixture(t)
	desired := f.unassign(t, 2)
	check(t, f.g.Inject(entratest.ForeignNextLink, 1))
	// A full read of 400 users in pages of 40 pages for sure (an
	// incremental read with few changes may fit on one page).
	f.refused(t, f.syncer(t, true), entra.ErrOffHost)
	if f.g.Stats().ForeignLinks == 0 {
		t.Fatal("no foreign nextLink was served")
	}
	for _, auth := range f.foreign.requests() {
		if auth != "" {
			t.Fatalf("the foreign host received Authorization %q", auth)
		}
	}
	if n := len(f.foreign.requests()); n != 0 {
		t.Errorf("the foreign host received %d requests (none carried a credential)", n)
	}
	if _, err := f.syncer(t, false).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkConverged(t, f.d, desired, f.unmanaged)
}

// TestGraphExpiredDeltaLink: an expired delta link makes the cycle a full
// read; the cycle converges and disables only the users the source dropped.
func TestGraphExpiredDeltaLink(t *testing.T) {
	t.Run("all links expired", func(t *testing.T) {
		f := newGraphFixture(t)
		desired := f.unassign(t, 5)
		f.g.ExpireDeltaLinks()
		res, err := f.syncer(t, false).Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !res.Report.Summary.Full {
			t.Error("an expired delta link did not make the cycle a full read")
		}
		if c := res.Plan.Counts; c[druvascim.ActionDisable] != newlyInactive(f.desired, desired) || c[druvascim.ActionCreate] != 0 || c[druvascim.ActionDelete] != 0 {
			t.Errorf("plan after an expired delta link: %+v\n%s", c, res.Plan.Format())
		}
		checkConverged(t, f.d, desired, f.unmanaged)
	})
	t.Run("injected 410", func(t *testing.T) {
		f := newGraphFixture(t)
		desired := f.unassign(t, 3)
		check(t, f.g.Inject(entratest.ExpiredDelta, 1))
		res, err := f.syncer(t, false).Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if f.g.Stats().ExpiredDelta == 0 || !res.Report.Summary.Full {
			t.Errorf("expired delta not served or not read fully: %+v full=%v", f.g.Stats(), res.Report.Summary.Full)
		}
		checkConverged(t, f.d, desired, f.unmanaged)
	})
}

// newlyInactive counts the users wanted active before and inactive after.
func newlyInactive(before, after map[string]want) int {
	n := 0
	for name, w := range before {
		if w.active && !after[name].active {
			n++
		}
	}
	return n
}
