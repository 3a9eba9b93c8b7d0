package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/internal/cputime"
)

// This file is the whole-job baseline: a bare net/http program that does
// what one initial cycle does on the wire, and nothing else. It reads the
// same Graph pages as the reader (the reader's own requests, recorded on
// the wire and replayed verbatim: same URLs, headers and $batch bodies),
// decoding each answer with encoding/json; it lists the empty Druva once,
// while the Graph read goes on, as the Syncer does; then it POSTs the same
// user bodies at the executor's concurrency. It neither scopes, maps nor
// plans: the difference between its time and a cycle's is what the SDK
// costs on top of the requests it must make.

// readerConcurrency is how many group-member $batch requests the reader
// runs at once (entra.WithConcurrency); the replay runs as many.
const readerConcurrency = 4

// graphCall is one HTTP request the reader sent to Graph.
type graphCall struct {
	method string
	url    string
	header http.Header
	body   []byte // POST bodies ($batch)
	answer []byte // the answer's body, when the log keeps answers
}

// graphLog is an http.RoundTripper that counts and records the reader's
// requests in the order they were sent. With keepAnswers it also keeps
// every answer's body (TestPerfSmoke compares them with the replay's).
type graphLog struct {
	next        http.RoundTripper
	keepAnswers bool
	n           atomic.Int64
	mu          sync.Mutex
	calls       []*graphCall
}

func (l *graphLog) RoundTrip(req *http.Request) (*http.Response, error) {
	l.n.Add(1)
	c := &graphCall{method: req.Method, url: req.URL.String(), header: req.Header.Clone()}
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, fmt.Errorf("graph log: %s %s: a body without GetBody cannot be copied", req.Method, req.URL.Path)
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		c.body, err = io.ReadAll(body)
		body.Close()
		if err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
	resp, err := l.next.RoundTrip(req)
	if err != nil || !l.keepAnswers {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	c.answer = b
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// take returns the calls recorded since the last take.
func (l *graphLog) take() []*graphCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

// graphReplay is a full read's requests in the order a bare program must
// send them: it cannot send a page before the page that links to it, but
// runs independent listings side by side, as the reader does. The group
// delta round comes first; then the users/delta pages, one after another,
// beside the scope: the service principal, its app-role assignments page
// by page, then the assigned groups' members, readerConcurrency $batch
// requests at once, each followed by the further member pages of its
// groups.
type graphReplay struct {
	groups []*graphCall   // groups/delta, in order
	users  []*graphCall   // users/delta, in order
	scope  []*graphCall   // servicePrincipals/{id} and its appRoleAssignedTo, in order
	units  [][]*graphCall // one $batch of first member pages, then its groups' next pages
}

// groupMembers matches a group-members path and captures the group id.
var groupMembers = regexp.MustCompile(`/groups/([^/?]+)/members`)

// newReplay sorts a full read's calls into a graphReplay. A request of any
// other kind fails the benchmark: the replay must send every request the
// reader sent, and only those.
func newReplay(tb testing.TB, calls []*graphCall) *graphReplay {
	tb.Helper()
	rp := &graphReplay{}
	unitOf := map[string]int{} // group id → the unit whose $batch read its first page
	for _, c := range calls {
		u, err := url.Parse(c.url)
		if err != nil {
			tb.Fatalf("replay: recorded URL %q: %v", c.url, err)
		}
		p := u.Path
		switch {
		case c.method == http.MethodGet && strings.HasSuffix(p, "/groups/delta"):
			rp.groups = append(rp.groups, c)
		case c.method == http.MethodGet && strings.HasSuffix(p, "/users/delta"):
			rp.users = append(rp.users, c)
		case c.method == http.MethodGet && strings.Contains(p, "/servicePrincipals/"):
			rp.scope = append(rp.scope, c)
		case c.method == http.MethodPost && strings.HasSuffix(p, "/$batch"):
			ids, err := batchGroups(c.body)
			if err != nil {
				tb.Fatalf("replay: $batch body: %v", err)
			}
			for _, g := range ids {
				unitOf[g] = len(rp.units)
			}
			rp.units = append(rp.units, []*graphCall{c})
		case c.method == http.MethodGet && groupMembers.MatchString(p):
			g := groupMembers.FindStringSubmatch(p)[1]
			i, ok := unitOf[g]
			if !ok {
				tb.Fatalf("replay: a members page of group %s before any $batch read its first page", g)
			}
			rp.units[i] = append(rp.units[i], c)
		default:
			tb.Fatalf("replay: the reader sent %s %s, a request the replay does not know: teach newReplay its place", c.method, p)
		}
	}
	if len(rp.groups) == 0 || len(rp.users) == 0 || len(rp.scope) == 0 {
		tb.Fatalf("replay: not a full read (%d group delta, %d user delta, %d service principal requests)",
			len(rp.groups), len(rp.users), len(rp.scope))
	}
	return rp
}

// batchGroups returns the group ids of the member reads in a $batch body.
func batchGroups(body []byte) ([]string, error) {
	var b struct {
		Requests []struct {
			URL string `json:"url"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range b.Requests {
		m := groupMembers.FindStringSubmatch(r.URL)
		if m == nil {
			return nil, fmt.Errorf("a $batch item the replay does not know: %q", r.URL)
		}
		ids = append(ids, m[1])
	}
	return ids, nil
}

// calls returns the number of requests the replay sends.
func (rp *graphReplay) calls() int {
	n := len(rp.groups) + len(rp.users) + len(rp.scope)
	for _, u := range rp.units {
		n += len(u)
	}
	return n
}

// run sends the replay's requests through hc and decodes every answer with
// encoding/json. With answers it returns each call's answer body, keyed by
// the call.
func (rp *graphReplay) run(ctx context.Context, hc *http.Client, answers map[*graphCall][]byte) error {
	var mu sync.Mutex
	seq := func(ctx context.Context, calls []*graphCall) error {
		for _, c := range calls {
			b, err := replayCall(ctx, hc, c)
			if err != nil {
				return err
			}
			if answers != nil {
				mu.Lock()
				answers[c] = b
				mu.Unlock()
			}
		}
		return nil
	}
	if err := seq(ctx, rp.groups); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return seq(gctx, rp.users) })
	g.Go(func() error {
		if err := seq(gctx, rp.scope); err != nil {
			return err
		}
		units, uctx := errgroup.WithContext(gctx)
		units.SetLimit(readerConcurrency)
		for _, u := range rp.units {
			units.Go(func() error { return seq(uctx, u) })
		}
		return units.Wait()
	})
	return g.Wait()
}

// replayCall sends one recorded request again, reads the answer, checks
// its status and decodes it with encoding/json.
func replayCall(ctx context.Context, hc *http.Client, c *graphCall) ([]byte, error) {
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, body)
	if err != nil {
		return nil, err
	}
	req.Header = c.header.Clone()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("replay: %s %s: status %d", c.method, req.URL.Path, resp.StatusCode)
	}
	var page map[string]any
	if err := json.Unmarshal(b, &page); err != nil {
		return nil, fmt.Errorf("replay: %s %s: %w", c.method, req.URL.Path, err)
	}
	return b, nil
}

// jobRun is what one run of the bare whole-job program took.
type jobRun struct {
	wall, read, cpu time.Duration
	gc              gcCounts // what the collector did in it
}

// bareJob runs the bare whole-job program: the Graph replay against the
// rig's fake tenant, beside one listing of a fresh, empty fake Druva; then
// the POSTs of bodies into that fake Druva, workers at a time, decoding
// each answer when decode is set. Both transports are set up as the rig's.
func bareJob(tb testing.TB, rp *graphReplay, bodies [][]byte, workers int, decode bool) jobRun {
	tb.Helper()
	srv, err := druvatest.NewServer()
	if err != nil {
		tb.Fatal(err)
	}
	defer srv.Close()
	run := runJob(tb, rp, at(srv), bodies, workers, decode)
	if srv.Len() != len(bodies) {
		tb.Fatalf("bare job stored %d users of %d", srv.Len(), len(bodies))
	}
	return run
}

// runJob runs the bare whole-job program against the empty fake Druva at
// d and measures it.
func runJob(tb testing.TB, rp *graphReplay, d druvaAt, bodies [][]byte, workers int, decode bool) jobRun {
	tb.Helper()
	gt, dt := newTransport(), newTransport()
	defer gt.CloseIdleConnections()
	defer dt.CloseIdleConnections()
	ghc, dhc := &http.Client{Transport: gt}, &http.Client{Transport: dt}
	ctx := tb.Context()
	runtime.GC()
	cpu0, gc0 := cputime.Used(), readGCCounts()
	start := time.Now()
	var read time.Duration
	var err error
	// The label marks the bare program's goroutines in a CPU profile.
	pprof.Do(ctx, pprof.Labels("perf", "job"), func(ctx context.Context) {
		var g errgroup.Group
		g.Go(func() error { return rp.run(ctx, ghc, nil) })
		g.Go(func() error { return listEmpty(ctx, dhc, d) })
		if err = g.Wait(); err != nil {
			return
		}
		read = time.Since(start)
		err = postAll(ctx, dhc, d, bodies, workers, decode)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return jobRun{wall: time.Since(start), read: read, cpu: cputime.Used() - cpu0, gc: readGCCounts().since(gc0)}
}

// listEmpty lists the users of an empty fake Druva once, as the druva
// client asks for its first page, and decodes the answer.
func listEmpty(ctx context.Context, hc *http.Client, srv druvaAt) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/Users?startIndex=1&count=%d", srv.URL, listPageSize), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	req.Header.Set("Accept", "application/scim+json, application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bare listing: status %d", resp.StatusCode)
	}
	var page map[string]any
	return json.Unmarshal(b, &page)
}
