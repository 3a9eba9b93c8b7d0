package statuspage

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
)

const testToken = "s3cret-admin-token-0123456789"

// t0 is the start of the seeded history.
var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// fakeCtl is a Controller whose status the test sets and which records
// the operations it is asked for.
type fakeCtl struct {
	mu    sync.Mutex
	st    map[string]control.TenantStatus
	ops   []string
	doErr error // what Do returns for a known tenant, when set
}

func newFakeCtl(tenants ...string) *fakeCtl {
	f := &fakeCtl{st: map[string]control.TenantStatus{}}
	for _, t := range tenants {
		f.st[t] = control.TenantStatus{Tenant: t, State: control.StateIdle, Ready: true, NextCycle: t0.Add(40 * time.Minute)}
	}
	return f
}

func (f *fakeCtl) Tenants() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ts []string
	for t := range f.st {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

func (f *fakeCtl) Status(t string) (control.TenantStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.st[t]
	if !ok {
		return control.TenantStatus{}, fmt.Errorf("%w: %q", control.ErrUnknownTenant, t)
	}
	return st, nil
}

func (f *fakeCtl) Do(_ context.Context, t string, op control.Operation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.st[t]
	if !ok {
		return fmt.Errorf("%w: %q", control.ErrUnknownTenant, t)
	}
	if f.doErr != nil {
		return f.doErr
	}
	f.ops = append(f.ops, t+":"+string(op))
	switch op {
	case control.OpPause:
		st.Paused, st.State = true, control.StatePaused
	case control.OpResume:
		st.Paused, st.State = false, control.StateIdle
	}
	f.st[t] = st
	return nil
}

func (f *fakeCtl) set(t string, edit func(*control.TenantStatus)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.st[t]
	edit(&st)
	f.st[t] = st
}

func (f *fakeCtl) operations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ops)
}

// seedStore opens a log store in a temporary directory with cycles
// cycles of tenant "contoso": each creates one user and fails another,
// and the last updates Alice's department.
func seedStore(t testing.TB, cycles int) *logstore.SQLite {
	t.Helper()
	ctx := context.Background()
	s, err := logstore.Open(ctx, filepath.Join(t.TempDir(), "contoso.log.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i := range cycles {
		start := t0.Add(time.Duration(i) * 40 * time.Minute)
		kind := logstore.KindIncremental
		if i == 0 {
			kind = logstore.KindInitial
		}
		id, err := s.BeginCycle(ctx, logstore.CycleStart{Tenant: "contoso", Kind: kind, Started: start})
		if err != nil {
			t.Fatal(err)
		}
		entries := []logstore.Entry{
			{Time: start, SourceID: fmt.Sprintf("src-%d", i), DisplayName: fmt.Sprintf("User %d", i),
				UserName: fmt.Sprintf("user%d@contoso.example", i), Action: "Create", Status: "Success",
				Steps: []logstore.Step{{Name: "Import", Status: "Success"}, {Name: "Action", Status: "Success"}}},
			{Time: start, SourceID: fmt.Sprintf("bad-%d", i), DisplayName: fmt.Sprintf("Broken %d", i),
				UserName: fmt.Sprintf("broken%d@contoso.example", i), Action: "Create", Status: "Failure",
				ErrorCode: "HttpConflict", Detail: "409 uniqueness"},
		}
		if i == cycles-1 {
			entries = append(entries, logstore.Entry{Time: start, SourceID: "alice-src", DruvaID: "druva-alice",
				DisplayName: "Alice Example", UserName: "alice@contoso.example", Action: "Update", Status: "Success",
				Steps:    []logstore.Step{{Name: "Import", Status: "Success", Detail: "read from Entra"}, {Name: "Action", Status: "Success", Detail: "PATCH"}},
				Modified: []logstore.PropertyChange{{Path: "department", Old: `"Sales"`, New: `"Marketing"`}}})
		}
		if err := s.AddEntries(ctx, id, entries); err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{"Create": 2}
		if i == cycles-1 {
			actions["Update"] = 1
		}
		err = s.EndCycle(ctx, id, logstore.CycleEnd{Ended: start.Add(time.Duration(10+i) * time.Second), Outcome: logstore.OutcomeSucceeded,
			Actions: actions, Statuses: map[string]int{"Success": len(entries) - 1, "Failure": 1}, DruvaRequests: 3, GraphRequests: 2})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// newTestServer serves a handler over ctl and store on loopback.
func newTestServer(t testing.TB, ctl control.Controller, store logstore.Store, opts ...Option) *httptest.Server {
	t.Helper()
	h, err := New(ctl, func(tenant string) logstore.Store {
		if tenant == "contoso" && store != nil {
			return store
		}
		return nil
	}, append([]Option{WithAdminToken(testToken), WithClock(func() time.Time { return t0.Add(48 * time.Hour) })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// running is a progress of the apply phase.
func running(done, total int) *druvascim.Progress {
	return &druvascim.Progress{Phase: druvascim.PhaseApply, Done: done, Total: total}
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
