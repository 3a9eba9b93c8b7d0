package faulttest

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

var (
	soak      = flag.Bool("soak", false, "run the long soak (10,000 users unless -soak.users says otherwise)")
	soakUsers = flag.Int("soak.users", 0, "users in the fault soak (default 500, or 10,000 with -soak; env DRUVASCIM_SOAK_USERS)")
)

// soakSize is the number of Entra users of the soak.
func soakSize(t *testing.T) int {
	t.Helper()
	if *soakUsers > 0 {
		return *soakUsers
	}
	if v := os.Getenv("DRUVASCIM_SOAK_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("DRUVASCIM_SOAK_USERS=%q is not a positive number", v)
		}
		return n
	}
	if *soak {
		return 10_000
	}
	return 500
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// noWait is the injected wait of clients and fakes: it never sleeps.
func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// newWaits returns a clock whose Wait records every wait a client asked
// for, without sleeping.
func newWaits() *fakeclock.Clock { return fakeclock.New(fixedClock()) }

// fixedClock is a clock that never moves.
func fixedClock() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }

// graphReader returns a reader on the fake Graph tenant with the attributes
// the Druva default set needs, its limiter off and no sleeping.
func graphReader(t testing.TB, g *entratest.Server, opts ...entra.Option) *entra.Reader {
	t.Helper()
	attrs := mapping.DruvaDefault().SourceAttributes()
	base := []entra.Option{entra.WithServicePrincipalID(g.ServicePrincipalID), entra.WithGraphURL(g.URL),
		entra.WithAttributes(attrs...), entra.WithRateLimit(0, 0), entra.WithWait(noWait)}
	return must[*entra.Reader](t)(entra.NewReader(entra.StaticToken(g.Token), append(base, opts...)...))
}

// newSyncer composes one cycle the way examples/druvasync does.
func newSyncer(t testing.TB, src druvascim.Source, dst druvascim.Target, store druvascim.StateStore, opts ...druvascim.Option) *druvascim.Syncer {
	t.Helper()
	base := []druvascim.Option{druvascim.WithClock(fixedClock)}
	return must[*druvascim.Syncer](t)(druvascim.NewSyncer(src, dst, mapping.DruvaDefault(), store, append(base, opts...)...))
}

func newFileStore(t testing.TB) druvascim.StateStore {
	t.Helper()
	fs, _ := newFileStorePath(t)
	return fs
}

// newFileStorePath returns a file store in a new directory and its path.
func newFileStorePath(t testing.TB) (druvascim.StateStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state")
	return must[druvascim.StateStore](t)(druvascim.NewFileStore(path)), path
}

// unmanagedUsers seeds Druva users that no Entra user matches: the sync must
// never touch them. It returns them as stored.
func unmanagedUsers(t testing.TB, d *druvatest.Server, n int) []scim.Resource {
	t.Helper()
	var us []scim.Resource
	for i := range n {
		name := fmt.Sprintf("unmanaged-%03d@elsewhere.example", i)
		us = append(us, scim.Resource{"userName": name, "displayName": "Unmanaged " + strconv.Itoa(i), "active": true,
			"emails": []any{map[string]any{"type": "work", "value": name, "primary": true}}})
	}
	return must[[]scim.Resource](t)(d.SeedUsers(us...))
}

// want is one Druva user the source says should exist.
type want struct {
	displayName string
	email       string
	active      bool
}

// desiredState reads the tenant without faults and maps it through the Druva
// default set: the users that must exist in Druva, active, by lower-cased
// userName. It is the oracle of the convergence tests, computed without the
// planner.
func desiredState(t testing.TB, g *entratest.Server) map[string]want {
	t.Helper()
	snap := must[*entra.Snapshot](t)(graphReader(t, g).Read(t.Context(), ""))
	set := mapping.DruvaDefault()
	out := map[string]want{}
	for _, u := range snap.Objects {
		if u.SoftDeleted || u.HardDeleted {
			continue
		}
		attrs := mapping.Attributes(u.Attributes)
		attrs["objectId"], attrs["IsSoftDeleted"] = u.ID, false // what the Syncer adds
		in := must[bool](t)(set.InScope(attrs))
		if !in {
			continue
		}
		m, err := set.Map(t.Context(), attrs)
		if err != nil || len(m.Missing) > 0 {
			continue // reported by the planner, never sent
		}
		out[strings.ToLower(m.Resource.UserName())] = want{displayName: m.Resource.DisplayName(), email: m.Resource.Email(), active: true}
	}
	return out
}

// checkConverged compares Druva with the desired state: every desired user
// present once with the desired values, nothing else but the unmanaged users,
// which must be exactly as seeded.
func checkConverged(t testing.TB, d *druvatest.Server, desired map[string]want, unmanaged []scim.Resource) (missing, duplicated, wrong, extra int) {
	t.Helper()
	seen := map[string]int{}
	byID := map[string]scim.Resource{}
	for _, u := range d.Users() {
		byID[u.ID()] = u
		name := strings.ToLower(u.UserName())
		seen[name]++
		w, ok := desired[name]
		if !ok {
			continue
		}
		active, _ := u.Active()
		if u.DisplayName() != w.displayName || !strings.EqualFold(u.Email(), w.email) || active != w.active {
			wrong++
			if wrong <= 5 {
				t.Errorf("%s: got %q %q active=%v, want %q %q", name, u.DisplayName(), u.Email(), active, w.displayName, w.email)
			}
		}
	}
	for name := range desired {
		switch seen[name] {
		case 0:
			missing++
			if missing <= 5 {
				t.Errorf("missing in Druva: %s", name)
			}
		case 1:
		default:
			duplicated++
			t.Errorf("duplicated in Druva: %s ×%d", name, seen[name])
		}
	}
	managed := map[string]bool{}
	for _, u := range unmanaged {
		managed[strings.ToLower(u.UserName())] = true
		got, ok := byID[u.ID()]
		if !ok {
			t.Errorf("unmanaged user %s vanished", u.UserName())
			continue
		}
		active, _ := got.Active()
		if !active || got.DisplayName() != u.DisplayName() {
			t.Errorf("unmanaged user %s was changed: %v", u.UserName(), got)
		}
	}
	for name := range seen {
		if _, ok := desired[name]; !ok && !managed[name] {
			extra++
			if extra <= 5 {
				t.Errorf("Druva holds %s, which the source does not want", name)
			}
		}
	}
	for _, r := range d.Requests() {
		if r.Method == "GET" {
			continue
		}
		for _, u := range unmanaged {
			if strings.Contains(r.Path, u.ID()) {
				t.Errorf("request %s %s touched an unmanaged user", r.Method, r.Path)
			}
		}
	}
	return missing, duplicated, wrong, extra
}

// checkLinks asserts that every desired user is linked in the state to the
// Druva user of the same userName, and no link points at a user that is not
// desired or at an unmanaged user.
func checkLinks(t testing.TB, d *druvatest.Server, st *druvascim.State, desired map[string]want) {
	t.Helper()
	byID := map[string]string{}
	for _, u := range d.Users() {
		byID[u.ID()] = strings.ToLower(u.UserName())
	}
	linked := map[string]int{}
	for src, id := range st.Links {
		name, ok := byID[id]
		if !ok {
			t.Errorf("link %s → %s points at no Druva user", src, id)
			continue
		}
		linked[name]++
	}
	lost := 0
	for name := range desired {
		switch linked[name] {
		case 1:
		case 0:
			lost++
			if lost <= 5 {
				t.Errorf("no link to %s", name)
			}
		default:
			t.Errorf("%d links to %s", linked[name], name)
		}
	}
	for name := range linked {
		if _, ok := desired[name]; !ok {
			t.Errorf("link to %s, which the source does not want", name)
		}
	}
}

// countingTransport counts requests and runs a hook before each one.
type countingTransport struct {
	base   http.RoundTripper
	n      atomic.Int64
	before func(n int64, r *http.Request) *http.Request
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := c.n.Add(1)
	if c.before != nil {
		r = c.before(n, r)
	}
	return c.base.RoundTrip(r)
}

// writesTo counts the write requests a fake Druva received.
func writesTo(d *druvatest.Server) int {
	n := 0
	for _, m := range []string{"POST", "PATCH", "PUT", "DELETE"} {
		n += d.RequestCount(m)
	}
	return n
}

// activeNames returns the lower-cased userNames of the active Druva users.
func activeNames(d *druvatest.Server) []string {
	var out []string
	for _, u := range d.Users() {
		if a, _ := u.Active(); a {
			out = append(out, strings.ToLower(u.UserName()))
		}
	}
	slices.Sort(out)
	return out
}

var _ = druva.ErrUnauthorized

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func lower(s string) string { return strings.ToLower(s) }

// writesOf counts a plan's operations that change the target.
func writesOf(p *druvascim.Plan) int {
	c := p.Counts
	return c[druvascim.ActionCreate] + c[druvascim.ActionUpdate] + c[druvascim.ActionDisable] + c[druvascim.ActionDelete]
}
