package service

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/mapping"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// timers is the service's fake waiting: each wait is announced on waits,
// and fires when the test says so, advancing the fake clock.
type timers struct {
	clk    *fakeclock.Clock
	waits  chan wait
	paused chan string
}

type wait struct {
	tenant string
	d      time.Duration
	c      chan time.Time
}

func newTimers() *timers {
	return &timers{clk: fakeclock.New(t0), waits: make(chan wait, 256), paused: make(chan string, 256)}
}

func (f *timers) after(tenant string, d time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	f.waits <- wait{tenant: tenant, d: d, c: c}
	return c
}

// next returns the next wait, failing when the service stops first.
func (f *timers) next(t *testing.T, done <-chan struct{}) wait {
	t.Helper()
	select {
	case w := <-f.waits:
		return w
	case <-done:
		t.Fatal("the service stopped while a wait was expected")
	}
	return wait{}
}

// fire lets w's time pass.
func (f *timers) fire(w wait) {
	f.clk.Advance(w.d)
	w.c <- f.clk.Now()
}

// proxy stands in front of the fake Druva: it can refuse every request
// with 401 (a revoked token) and hold writes at a gate.
type proxy struct {
	next    http.Handler
	refuse  atomic.Bool
	reject  atomic.Int32 // the next creates to answer 400
	gated   atomic.Bool
	arrived chan struct{}
	mu      sync.Mutex
	open    chan struct{}
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.refuse.Load() {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"token revoked"}`))
		return
	}
	if r.Method == http.MethodPost && p.reject.Add(-1) >= 0 {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"rejected by the test"}`))
		return
	}
	if r.Method != http.MethodGet && p.gated.Load() {
		p.mu.Lock()
		open := p.open
		p.mu.Unlock()
		select {
		case p.arrived <- struct{}{}:
		default:
		}
		<-open
	}
	p.next.ServeHTTP(w, r)
}

// hold makes writes wait until release.
func (p *proxy) hold() {
	p.mu.Lock()
	p.open = make(chan struct{})
	p.mu.Unlock()
	p.gated.Store(true)
}

func (p *proxy) release() {
	p.gated.Store(false)
	p.mu.Lock()
	if p.open != nil {
		select {
		case <-p.open:
		default:
			close(p.open)
		}
	}
	p.mu.Unlock()
}

// rig is one tenant over a fake Graph and a fake Druva.
type rig struct {
	g     *entratest.Server
	d     *druvatest.Server
	px    *proxy
	state string
	store druvascim.StateStore
	spec  Tenant
}

func newRig(t testing.TB, name string, users int) *rig {
	t.Helper()
	g, err := entratest.NewServer(entratest.WithUsers(users), entratest.WithGroups(2), entratest.WithSeed(5))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	d, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	px := &proxy{next: d, arrived: make(chan struct{}, 64)}
	hs := httptest.NewServer(px)
	t.Cleanup(hs.Close)
	t.Cleanup(px.release)
	client, err := d.NewClient(druva.WithBaseURL(hs.URL + druvatest.BasePath))
	if err != nil {
		t.Fatal(err)
	}
	set := mapping.DruvaDefault()
	reader, err := g.Client(entratestAttrs(set)...)
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), name+".state")
	store, err := druvascim.NewFileStore(state)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{g: g, d: d, px: px, state: state, store: store}
	r.spec = Tenant{Name: name, Store: store, Sidecar: SidecarPath(state), LogPath: LogPath(state),
		Interval: 40 * time.Minute, DruvaRequests: func() int64 { return client.Stats().Requests },
		NewSyncer: func(extra ...druvascim.Option) (*druvascim.Syncer, error) {
			return druvascim.NewSyncer(reader, client, set, store, extra...)
		}}
	return r
}

// running is a service started in the background.
type running struct {
	svc    *Service
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func start(t testing.TB, tm *timers, specs []Tenant, opts ...Option) *running {
	t.Helper()
	svc, err := New(specs, append([]Option{WithClock(tm.clk.Now), WithAfter(tm.after), WithJitter(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	svc.cfg.pausedWait = func(name string) { tm.paused <- name }
	ctx, cancel := context.WithCancel(t.Context())
	r := &running{svc: svc, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = svc.Run(ctx)
	}()
	t.Cleanup(func() { r.stop(t, tm) })
	return r
}

// stop ends the service and waits for Run, firing the grace period if the
// service waits for it.
func (r *running) stop(t testing.TB, tm *timers) {
	t.Helper()
	r.cancel()
	for {
		select {
		case <-r.done:
			if r.err != nil {
				t.Errorf("Run: %v", r.err)
			}
			return
		case w := <-tm.waits:
			if w.tenant == "" {
				tm.fire(w)
			}
		}
	}
}

func status(t *testing.T, s *Service, name string) control.TenantStatus {
	t.Helper()
	st, err := s.Status(name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// cycles reads the tenant's recorded cycles, oldest first.
func cycles(t *testing.T, path string) []logstore.Cycle {
	t.Helper()
	ls, err := logstore.Open(t.Context(), path, logstore.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	var out []logstore.Cycle
	for c, err := range ls.Cycles(t.Context(), logstore.CycleQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append([]logstore.Cycle{c}, out...)
	}
	return out
}

func loadState(t *testing.T, path string) *druvascim.State {
	t.Helper()
	fs, err := druvascim.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := fs.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// entratestAttrs asks the fake Graph for what the set reads.
func entratestAttrs(set *mapping.Set) []entra.Option {
	attrs := set.SourceAttributes()
	for _, a := range []string{"userPrincipalName", "displayName", "accountEnabled"} {
		if !slices.Contains(attrs, a) {
			attrs = append(attrs, a)
		}
	}
	return []entra.Option{entra.WithAttributes(attrs...)}
}

func mappingDefault() *mapping.Set { return mapping.DruvaDefault() }
