package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/scim"
)

// Tokens of the leak test: long and unmistakable.
const (
	druvaSecret   = "druva-SECRET-0f9e8d7c6b5a4938271605f4e3d2c1b0"
	graphSecret   = "graph-SECRET-a1b2c3d4e5f60718293a4b5c6d7e8f90"
	revokedSecret = "revoked-SECRET-5566778899aabbccddeeff0011223344"
)

// TestTokensNeverLeak runs the demo's path in-process — fake tenant, fake
// Druva with faults, two cycles with tenant changes in between, a dry run,
// a cycle with a revoked Druva token and one with a broken Graph page —
// with every logger at debug level, and looks for the tokens in every output:
// logs, errors (all fmt verbs), plans, reports (JSON lines, CSV, summary),
// the state file, and the clients printed with every verb.
func TestTokensNeverLeak(t *testing.T) {
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(300), entratest.WithGroups(6),
		entratest.WithToken(graphSecret), entratest.WithMaxPageSize(50)))
	defer g.Close()
	d := must[*druvatest.Server](t)(druvatest.NewServer(druvatest.WithToken(druvaSecret), druvatest.WithSleep(noWait),
		druvatest.WithFaults(druvatest.Faults{Seed: 7, ServerErrors: 0.1, TooManyRequests: 0.05, ResponseLost: 0.03})))
	defer d.Close()

	// Two handlers write to one buffer: each locks only itself, so the
	// buffer needs its own lock.
	var logs lockedBuffer
	text := slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	logger := slog.New(text)
	jsonLogger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	c := must[*druva.Client](t)(d.NewClient(druva.WithWait(noWait), druva.WithLogger(logger)))
	r := graphReader(t, g, entra.WithLogger(jsonLogger), entra.WithPageSize(50))
	store, statePath := newFileStorePath(t)
	s := newSyncer(t, r, c, store, druvascim.WithLogger(logger),
		druvascim.WithLogger(jsonLogger))

	var out bytes.Buffer // every other output
	dump := func(res *druvascim.Result, err error) {
		if err != nil {
			fmt.Fprintf(&out, "%v\n%+v\n%#v\n%s\n", err, err, err, err.Error())
			for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
				fmt.Fprintf(&out, "%#v\n", u)
			}
		}
		if res == nil {
			return
		}
		if res.Plan != nil {
			out.WriteString(res.Plan.Format())
			check(t, json.NewEncoder(&out).Encode(res.Plan))
		}
		if res.Report != nil {
			check(t, json.NewEncoder(&out).Encode(res.Report.Entries))
			check(t, json.NewEncoder(&out).Encode(res.Report.Summary))
		}
	}
	dump(s.Run(t.Context()))
	// Real life, then an incremental cycle and a dry run.
	role := g.AppRoles()[0].ID
	hire := must[string](t)(g.CreateUser(map[string]any{"userPrincipalName": "hire@contoso.example", "displayName": "New Hire",
		"mail": "hire@contoso.example", "mailNickname": "hire"}))
	must[string](t)(g.AddAssignment(hire, role))
	for i, a := range g.Assignments() {
		if a.PrincipalType == "User" && i%10 == 0 {
			check(t, g.RemoveAssignment(a.ID))
		}
	}
	dump(s.Run(t.Context()))
	dump(s.DryRun(t.Context()))
	od, err := s.ProvisionOnDemand(t.Context(), "hire@contoso.example", true)
	fmt.Fprintf(&out, "%+v %v\n", od, err)
	// A revoked Druva token and a broken Graph page: error paths.
	revoked := must[*druva.Client](t)(druva.NewClient(revokedSecret, druva.WithBaseURL(d.URL), druva.WithRateLimit(0, 0),
		druva.WithWait(noWait), druva.WithLogger(logger)))
	dump(newSyncer(t, r, revoked, store, druvascim.WithLogger(logger)).Run(t.Context()))
	_, err = revoked.GetUser(t.Context(), "x")
	dump(nil, err)
	check(t, g.Inject(entratest.MissingValue, 1))
	dump(newSyncer(t, r, c, store, druvascim.WithLogger(logger), druvascim.WithFullRead()).Run(t.Context()))
	badGraph := graphReader(t, g, entra.WithLogger(logger))
	_, err = entra.NewReader(entra.StaticToken(graphSecret), entra.WithServicePrincipalID("nope"), entra.WithGraphURL("http://graph.example.com"))
	dump(nil, err)
	_, err = druva.NewClient(druvaSecret, druva.WithBaseURL("http://druva.example.com/scim"))
	dump(nil, err)
	// The clients and reader printed with every verb (what a panic with
	// them as its value would show).
	for _, v := range []any{c, revoked, r, badGraph} {
		fmt.Fprintf(&out, "%v %+v %#v %s\n", v, v, v, v)
	}
	func() {
		defer func() { fmt.Fprintf(&out, "panic: %v\n", recover()) }()
		panic(c)
	}()
	state := must[[]byte](t)(os.ReadFile(statePath))

	if d.Stats().Injected5xx == 0 || d.Stats().Lost == 0 || d.Stats().Unauthorized == 0 {
		t.Fatalf("the error paths were not exercised: %+v", d.Stats())
	}
	if !strings.Contains(logs.String(), "level=DEBUG") || logs.Len() < 1000 {
		t.Fatalf("the loggers wrote almost nothing (%d bytes): the test proves nothing", logs.Len())
	}
	for name, b := range map[string][]byte{"logs": logs.Bytes(), "outputs": out.Bytes(), "state file": state} {
		for _, secret := range []string{druvaSecret, graphSecret, revokedSecret} {
			if i := bytes.Index(b, []byte(secret)); i >= 0 {
				lo := max(0, i-200)
				t.Errorf("%s holds a token: …%s…", name, b[lo:min(len(b), i+len(secret)+50)])
			}
		}
	}
	t.Logf("searched %d bytes of logs, %d bytes of other output, %d bytes of state", logs.Len(), out.Len(), len(state))
}

// TestDemoPrintsNoTokens runs the reference tool's demo as a separate
// process and searches its whole output for the fakes' tokens: the Graph
// fake's (derived from its seed) and anything shaped like the Druva fake's
// random token (48 hex digits).
func TestDemoPrintsNoTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs examples/druvasync")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root := must[string](t)(filepath.Abs("../.."))
	for _, args := range [][]string{{"demo", "--json", "--users", "60", "--groups", "4", "--faults", "0.2"}, {"demo", "--users", "60", "--groups", "4"}} {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, gobin, append([]string{"run", "./examples/druvasync"}, args...)...)
		cmd.Dir = root
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		if err != nil {
			t.Fatalf("druvasync %v: %v\n%s", args, err, stderr.String())
		}
		all := stdout.String() + stderr.String()
		if len(stdout.String()) < 200 {
			t.Fatalf("the demo printed almost nothing:\n%s", all)
		}
		if strings.Contains(all, "entratest-token-") {
			t.Errorf("druvasync %v printed the Graph fake's token", args)
		}
		if m := regexp.MustCompile(`[0-9a-f]{48}`).FindString(all); m != "" {
			t.Errorf("druvasync %v printed something shaped like the Druva fake's token: %s", args, m)
		}
		if strings.Contains(strings.ToLower(all), "bearer ") {
			t.Errorf("druvasync %v printed a bearer header", args)
		}
	}
}

// TestFilterInjection: values that try to widen a SCIM filter find no user,
// or exactly the one whose userName is that very string.
func TestFilterInjection(t *testing.T) {
	d := must[*druvatest.Server](t)(druvatest.NewServer())
	defer d.Close()
	mk := func(name string) scim.Resource {
		return scim.Resource{"userName": name, "displayName": "D " + name, "active": true,
			"emails": []any{map[string]any{"type": "work", "value": fmt.Sprintf("m%d@x.example", len(name)*7919+int(name[0])), "primary": true}}}
	}
	tricky := []string{`o"brien@x.example`, `back\slash@x.example`, `end\`, `x" or userName pr or userName eq "y`}
	seeded := []scim.Resource{mk("x"), mk("y"), mk("alice@x.example")}
	for _, n := range tricky {
		seeded = append(seeded, mk(n))
	}
	must[[]scim.Resource](t)(d.SeedUsers(seeded...))
	c := d.Client()
	attacks := []string{
		`x" or userName pr or userName eq "y`,
		`x" or userName pr or "`,
		`x\" or userName pr or userName eq \"y`,
		`x\\" or userName pr or userName eq \\"y`,
		`x") or (userName pr`,
		`x" or true or "`,
		`*`, `%`, `x%22 or userName pr`,
		`" pr`,
		`\`, `\\`, `\"`, `"`,
		"x\" or userName pr\x00",
		`alice@x.example" or userName ne "`,
	}
	for _, v := range attacks {
		for _, attr := range []string{"userName", "externalId", `emails[type eq "work"].value`} {
			us, err := c.FindUsers(t.Context(), attr, v)
			if err != nil {
				continue // refused: fine, nothing widened
			}
			for _, u := range us {
				got, _ := u.Get(attr)
				if s, _ := got.(string); !strings.EqualFold(s, v) {
					t.Errorf("FindUsers(%s, %q) widened the query: it returned %s", attr, v, u.UserName())
				}
			}
			if len(us) > 1 {
				t.Errorf("FindUsers(%s, %q) returned %d users", attr, v, len(us))
			}
		}
	}
	// The tricky names themselves are found, once each.
	for _, n := range tricky {
		us, err := c.FindUsers(t.Context(), "userName", n)
		if err != nil {
			t.Errorf("FindUsers(userName, %q): %v", n, err)
			continue
		}
		if len(us) != 1 || us[0].UserName() != n {
			t.Errorf("FindUsers(userName, %q) = %d users, want exactly that one", n, len(us))
		}
	}
}

// TestInsecureEndpointsRefused: a plain-HTTP endpoint is refused unless it
// is loopback, for Druva and for Graph; loopback spellings are accepted.
func TestInsecureEndpointsRefused(t *testing.T) {
	refused := []string{"http://example.com/insync/scim", "http://apis.druva.com/insync/scim", "http://127.0.0.1.nip.io/scim",
		"http://localhost.example.com/scim", "http://10.0.0.1/scim", "http://[fe80::1]/scim", "ftp://127.0.0.1/scim", "//example.com/scim"}
	accepted := []string{"https://apis.druva.com/insync/scim", "http://127.0.0.1:8080/scim", "http://[::1]:9/scim", "http://localhost:1/scim"}
	for _, u := range refused {
		if _, err := druva.NewClient("t", druva.WithBaseURL(u)); err == nil {
			t.Errorf("druva.NewClient accepted %s", u)
		}
		g := strings.TrimSuffix(strings.TrimSuffix(u, "/insync/scim"), "/scim")
		if _, err := entra.NewReader(entra.StaticToken("t"), entra.WithServicePrincipalID("sp"), entra.WithGraphURL(g)); err == nil {
			t.Errorf("entra.NewReader accepted %s", g)
		}
	}
	for _, u := range accepted {
		if _, err := druva.NewClient("t", druva.WithBaseURL(u)); err != nil {
			t.Errorf("druva.NewClient refused %s: %v", u, err)
		}
		g := strings.TrimSuffix(strings.TrimSuffix(u, "/insync/scim"), "/scim")
		if _, err := entra.NewReader(entra.StaticToken("t"), entra.WithServicePrincipalID("sp"), entra.WithGraphURL(g)); err != nil {
			t.Errorf("entra.NewReader refused %s: %v", g, err)
		}
	}
}

// TestRetryAfterCapped: a Retry-After of a week (in seconds or as an HTTP
// date) is waited for at most the cap, by the Druva client and the Graph
// reader; nothing sleeps (the waits are recorded).
func TestRetryAfterCapped(t *testing.T) {
	week := 7 * 24 * time.Hour
	for _, header := range []string{"604800", time.Now().Add(week).UTC().Format(http.TimeFormat)} {
		t.Run("druva "+header, func(t *testing.T) {
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n++
				if n <= 2 {
					w.Header().Set("Retry-After", header)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = w.Write([]byte(`{"id":"u1","userName":"a@x"}`))
			}))
			defer srv.Close()
			w := newWaits()
			c := must[*druva.Client](t)(druva.NewClient("t", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0), druva.WithWait(w.Wait)))
			if _, err := c.GetUser(t.Context(), "u1"); err != nil {
				t.Fatal(err)
			}
			if m := w.MaxWait(); m == 0 || m > time.Minute {
				t.Fatalf("longest wait %v, want (0, 60s]", m)
			}
			w2 := newWaits()
			c2 := must[*druva.Client](t)(druva.NewClient("t", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0),
				druva.WithWait(w2.Wait), druva.WithMaxRetryAfter(5*time.Second)))
			n = 0
			if _, err := c2.GetUser(t.Context(), "u1"); err != nil {
				t.Fatal(err)
			}
			if m := w2.MaxWait(); m == 0 || m > 5*time.Second {
				t.Fatalf("longest wait %v with a 5 s cap", m)
			}
		})
	}
	t.Run("graph", func(t *testing.T) {
		g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(50),
			entratest.WithFaults(entratest.Faults{Seed: 3, Throttle: 0.2, Unavailable: 0.1, RetryAfter: week})))
		defer g.Close()
		// Queued faults hit the first GETs (the HTTP stack's retries);
		// random ones hit $batch items too (the reader's own retries).
		check(t, g.Inject(entratest.Throttle, 2))
		check(t, g.Inject(entratest.Unavailable, 1))
		w := newWaits()
		if _, err := graphReader(t, g, entra.WithWait(w.Wait), entra.WithRetries(20, time.Minute)).Read(t.Context(), ""); err != nil {
			t.Fatal(err)
		}
		if g.Stats().Throttled+g.Stats().Unavailable == 0 {
			t.Fatal("no Retry-After was sent")
		}
		if m := w.MaxWait(); m == 0 || m > time.Minute {
			t.Fatalf("longest wait %v, want (0, 60s]", m)
		}
	})
}

// endless is a body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// TestOversizedBodiesRefused: a body over the cap — or one that never ends
// — is an error, and reading it stops at the cap (no unbounded memory).
func TestOversizedBodiesRefused(t *testing.T) {
	hostile := func(prefix string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, prefix)
			_, _ = io.Copy(w, endless{}) // until the client hangs up
		}))
	}
	t.Run("druva", func(t *testing.T) {
		srv := hostile(`{"id":"u1","userName":"`)
		defer srv.Close()
		c := must[*druva.Client](t)(druva.NewClient("t", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0),
			druva.WithRetryMax(0), druva.WithMaxBody(1<<20)))
		if _, err := c.GetUser(t.Context(), "u1"); err == nil {
			t.Fatal("an endless body was accepted")
		}
		for range c.ListUsers(t.Context()) {
			break
		}
		var err error
		for _, e := range c.ListUsers(t.Context()) {
			err = e
		}
		if err == nil {
			t.Fatal("an endless list page was accepted")
		}
	})
	t.Run("druva default cap", func(t *testing.T) {
		srv := hostile(`{"totalResults":1,"Resources":[{"id":"u1","userName":"`)
		defer srv.Close()
		c := must[*druva.Client](t)(druva.NewClient("t", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0), druva.WithRetryMax(0)))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := c.GetUser(t.Context(), "u1")
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatal("an endless body was accepted")
		}
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 256<<20 {
			t.Errorf("reading a hostile body allocated %d MiB", grown>>20)
		}
	})
	t.Run("graph", func(t *testing.T) {
		srv := hostile(`{"value":[{"id":"`)
		defer srv.Close()
		r := must[*entra.Reader](t)(entra.NewReader(entra.StaticToken("t"), entra.WithServicePrincipalID("sp"),
			entra.WithGraphURL(srv.URL), entra.WithRateLimit(0, 0), entra.WithRetries(0, time.Second)))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := r.Read(t.Context(), "")
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatal("an endless Graph page was accepted")
		}
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 512<<20 {
			t.Errorf("reading hostile pages allocated %d MiB", grown>>20)
		}
	})
}

// TestCredentialsStayOnHost: a redirect or a Location pointing at another
// host never receives the Druva token, and a Graph nextLink to another host
// is not followed (TestGraphForeignNextLink covers a whole cycle).
func TestCredentialsStayOnHost(t *testing.T) {
	foreign := newForeignHost(t)
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", foreign.srv.URL+r.URL.Path)
			w.WriteHeader(status)
		}))
		c := must[*druva.Client](t)(druva.NewClient(druvaSecret, druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0), druva.WithRetryMax(0)))
		_, err := c.GetUser(t.Context(), "u1")
		_, cerr := c.CreateUser(t.Context(), scim.Resource{"userName": "a@x", "displayName": "A",
			"emails": []any{map[string]any{"value": "a@x", "type": "work", "primary": true}}})
		srv.Close()
		if err == nil && cerr == nil {
			t.Errorf("status %d: both calls succeeded through a redirect off the host", status)
		}
	}
	// A create answered 201 with a Location on another host: the client
	// must not follow it with the token.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", foreign.srv.URL+"/Users/u1")
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"u1","userName":"a@x","meta":{"location":"` + foreign.srv.URL + `/Users/u1"}}`))
	}))
	defer srv.Close()
	c := must[*druva.Client](t)(druva.NewClient(druvaSecret, druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0)))
	_, _ = c.CreateUser(t.Context(), scim.Resource{"userName": "a@x", "displayName": "A",
		"emails": []any{map[string]any{"value": "a@x", "type": "work", "primary": true}}})
	for _, auth := range foreign.requests() {
		if auth != "" {
			t.Fatalf("the foreign host received Authorization %q", auth)
		}
	}
	t.Logf("the foreign host received %d requests, none with a credential", len(foreign.requests()))
}

// TestStateFileOwnerOnly: the state file is written 0600, also when it
// existed before with wider permissions, and holds links, not secrets.
func TestStateFileOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "druvascim.state")
	check(t, os.WriteFile(path, nil, 0o644))
	check(t, os.Remove(path))
	store := must[druvascim.StateStore](t)(druvascim.NewFileStore(path))
	st := &druvascim.State{Links: map[string]string{"src": "dst"}}
	check(t, store.Save(t.Context(), st))
	check(t, store.Save(t.Context(), st)) // replaced, not rewritten in place
	fi := must[os.FileInfo](t)(os.Stat(path))
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("state file mode %v, want 0600", perm)
	}
	// A state file created by hand with 0644 is replaced by a 0600 one.
	check(t, os.Chmod(path, 0o644))
	check(t, store.Save(t.Context(), st))
	if perm := must[os.FileInfo](t)(os.Stat(path)).Mode().Perm(); perm != 0o600 {
		t.Fatalf("after saving over a 0644 file, mode %v, want 0600", perm)
	}
	entries := must[[]os.DirEntry](t)(os.ReadDir(filepath.Dir(path)))
	if len(entries) != 2 || entries[0].Name() != "druvascim.state" || entries[1].Name() != "druvascim.state.lock" {
		t.Errorf("temporary files left next to the state (only it and its lock file belong there): %v", entries)
	}
	if perm := must[os.FileInfo](t)(os.Stat(path + ".lock")).Mode().Perm(); perm != 0o600 {
		t.Errorf("lock file mode %v, want 0600", perm)
	}
}

// TestRetryNeverPastDeadline: a Retry-After longer than what is left of the
// context's deadline is not waited for; the caller gets the 429 at once.
func TestRetryNeverPastDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	w := newWaits()
	c := must[*druva.Client](t)(druva.NewClient("t", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0), druva.WithWait(w.Wait)))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := c.GetUser(ctx, "u1")
	if !errors.Is(err, druva.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if m := w.MaxWait(); m >= 10*time.Second {
		t.Fatalf("waited %v with less than 10 s left", m)
	}
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests {
		t.Fatalf("the error does not carry the last status: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
func (l *lockedBuffer) Len() int       { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Len() }
func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}
