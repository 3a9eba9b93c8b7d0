package faulttest

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra/entratest"
)

var figures = flag.Bool("figures", false, "run the unattended scenarios as separate processes and print RELIABILITY.md's table")

// The unattended scenarios of RELIABILITY.md, measured: each runs the
// druvasync binary as a separate process against loopback servers and
// prints one table row: the time to end, the process's max RSS
// (getrusage), and the users lost (Druva users without a link) and
// duplicated (two Druva users with one userName). Re-run with
//
//	go test ./internal/faulttest -run TestUnattendedScenarios -figures -v
//
// It is skipped without -figures: it takes about two minutes.
func TestUnattendedScenarios(t *testing.T) {
	if !*figures {
		t.Skip("run with -figures")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("needs /usr/bin/time (GNU time) for the max RSS of each run")
	}
	bin := filepath.Join(t.TempDir(), "druvasync")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/druvascim/druvascim/examples/druvasync").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fmt.Println("| Scenario | Time to end | Max RSS | Exit | Lost / duplicated users | What the run said |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, sc := range []struct {
		name string
		run  func(t *testing.T, bin string) row
	}{
		{"Two processes on one state", scenarioTwoProcesses},
		{"SIGTERM during a sync", scenarioSIGTERM},
		{"SIGKILL during apply", scenarioSIGKILL},
		{"Trickling server (Druva list body, 1 byte / 2 s)", scenarioTrickle},
		{"Endless Druva pages (totalResults 1e9, new users on every page)", scenarioEndlessDruva},
		{"Endless Druva pages (totalResults 5000, new users on every page)", scenarioEndlessDruvaPlausible},
		{"Endless Graph pages (a new nextLink on every page)", scenarioEndlessGraph},
		{"Reflecting server (Authorization echoed in error bodies)", scenarioReflecting},
		{"Symlinked state", scenarioSymlink},
		{"The regex user (REGEX MATCH hits its 250 ms timeout)", scenarioRegexUser},
		{"Amplifying expression (nested Replace)", scenarioAmplifying},
		{"Retry-After: 86400 on every write", scenarioRetryAfter},
	} {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.run(t, bin)
			fmt.Printf("| %s | %s | %.1f MB | %d | %s | %s |\n", sc.name, r.took.Round(10*time.Millisecond), float64(r.rss)/1024, r.exit, r.users, r.said)
		})
	}
}

// row is one scenario's figures.
type row struct {
	took  time.Duration
	rss   int64 // KiB
	exit  int
	users string
	said  string
}

// child is a started druvasync process, run under /usr/bin/time for its
// max RSS: a child forked straight from this test process would report
// this process's RSS when it is the larger (Linux keeps the high-water
// mark across fork and exec).
type child struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	start          time.Time
	rssFile        string
}

func spawn(t *testing.T, bin string, env []string, args ...string) *child {
	t.Helper()
	rss := filepath.Join(t.TempDir(), "rss")
	c := &child{cmd: exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", rss, bin}, args...)...), done: make(chan struct{}), rssFile: rss}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	c.start = time.Now()
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { _ = c.cmd.Process.Kill(); <-c.done })
	return c
}

// wait waits for the child and returns its figures, the time counted from
// from (its start when zero).
func (c *child) wait(from time.Time) row {
	<-c.done
	if from.IsZero() {
		from = c.start
	}
	r := row{took: time.Since(from), exit: c.cmd.ProcessState.ExitCode()}
	if b, err := os.ReadFile(c.rssFile); err == nil {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		r.rss, _ = strconv.ParseInt(lines[len(lines)-1], 10, 64)
		if len(lines) > 1 { // "Command terminated by signal 9" or "exited with non-zero status 1"
			if _, sig, ok := strings.Cut(lines[0], "signal "); ok {
				r.exit = -1
				_ = sig
			}
		}
	}
	r.said = firstLine(c.stderr.String())
	return r
}

// signal sends sig to the druvasync process under /usr/bin/time.
func (c *child) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	pid := c.cmd.Process.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		t.Fatalf("/usr/bin/time has children %q", f)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(n, sig); err != nil {
		t.Fatal(err)
	}
}

// firstLine shortens what a run printed to one table cell.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// rig is a fake tenant and a fake Druva, with a handler in front of Druva
// that a scenario may replace.
type rig struct {
	g     *entratest.Server
	d     *druvatest.Server
	front http.Handler
	mu    sync.Mutex
	env   []string
	dir   string
	state string
	url   string // the Druva base URL the CLI uses
}

func newRig(t *testing.T, users int) *rig {
	t.Helper()
	g, err := entratest.NewServer(entratest.WithUsers(users), entratest.WithGroups(3), entratest.WithSeed(17))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	d, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	r := &rig{g: g, d: d, front: d, dir: t.TempDir()}
	r.state = filepath.Join(r.dir, "state")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		h := r.front
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + druvatest.BasePath
	r.env = []string{"DRUVA_TOKEN=" + d.Token, "GRAPH_TOKEN=" + g.Token}
	return r
}

func (r *rig) setFront(h http.Handler) {
	r.mu.Lock()
	r.front = h
	r.mu.Unlock()
}

// args are the flags of a sync against the rig.
func (r *rig) args(extra ...string) []string {
	return append([]string{"sync", "--state", r.state, "--druva-url", r.url, "--graph-url", r.g.URL,
		"--service-principal-id", r.g.ServicePrincipalID, "--rate", "0", "--json"}, extra...)
}

// count returns the Druva users without a link in the state, and the
// userNames held by more than one Druva user.
func (r *rig) count(t *testing.T) (unlinked, dup int) {
	t.Helper()
	names := map[string]int{}
	for _, u := range r.d.Users() {
		names[strings.ToLower(u.UserName())]++
	}
	for _, n := range names {
		if n > 1 {
			dup += n - 1
		}
	}
	fs, err := druvascim.NewFileStore(r.state)
	if err != nil {
		t.Fatal(err)
	}
	st, err := fs.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return r.d.Len() - len(st.Links), dup
}

// recover runs a clean sync and reports the users lost before it and
// duplicated after it.
func (r *rig) recover(t *testing.T, bin string) string {
	t.Helper()
	r.setFront(r.d)
	before, _ := r.count(t)
	c := spawn(t, bin, r.env, r.args()...)
	next := c.wait(time.Time{})
	after, dup := r.count(t)
	return fmt.Sprintf("%d links lost before the next run (exit %d), %d after it; %d duplicated of %d users", before, next.exit, after, dup, r.d.Len())
}

// gate holds the writes after the first pass ones until open is closed.
type gate struct {
	next   http.Handler
	pass   int64
	writes atomic.Int64
	held   chan struct{}
	open   chan struct{}
	once   sync.Once
}

func newGate(next http.Handler, pass int64) *gate {
	return &gate{next: next, pass: pass, held: make(chan struct{}), open: make(chan struct{})}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && g.writes.Add(1) > g.pass {
		g.once.Do(func() { close(g.held) })
		<-g.open
	}
	g.next.ServeHTTP(w, r)
}

func scenarioTwoProcesses(t *testing.T, bin string) row {
	r := newRig(t, 300)
	g := newGate(r.d, 0)
	r.setFront(g)
	first := spawn(t, bin, r.env, r.args()...)
	<-g.held
	second := spawn(t, bin, r.env, r.args("--approve-deletes")...)
	res := second.wait(time.Time{})
	close(g.open)
	f := first.wait(time.Time{})
	unlinked, dup := r.count(t)
	res.users = fmt.Sprintf("second refused; first exit %d: %d lost, %d duplicated of %d users", f.exit, unlinked, dup, r.d.Len())
	return res
}

func scenarioSIGTERM(t *testing.T, bin string) row {
	r := newRig(t, 1000)
	g := newGate(r.d, 300)
	r.setFront(g)
	c := spawn(t, bin, r.env, r.args()...)
	<-g.held
	at := time.Now()
	c.signal(t, syscall.SIGTERM)
	close(g.open)
	res := c.wait(at)
	res.users = r.recover(t, bin)
	return res
}

func scenarioSIGKILL(t *testing.T, bin string) row {
	r := newRig(t, 1000)
	g := newGate(r.d, 450)
	r.setFront(g)
	c := spawn(t, bin, r.env, r.args("--concurrency", "1")...)
	<-g.held
	at := time.Now()
	c.signal(t, syscall.SIGKILL)
	res := c.wait(at)
	close(g.open)
	res.users = r.recover(t, bin)
	return res
}

// trickle sends its headers and then one byte every 2 s, forever.
func trickle(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		if _, err := w.Write([]byte(" ")); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-req.Context().Done():
			return
		case <-tick.C:
		}
	}
}

func scenarioTrickle(t *testing.T, bin string) row {
	r := newRig(t, 100)
	r.setFront(http.HandlerFunc(trickle))
	res := spawn(t, bin, r.env, r.args("--request-timeout", "10s")...).wait(time.Time{})
	res.users = fmt.Sprintf("%d created (--request-timeout 10s)", r.d.Len())
	return res
}

func scenarioEndlessDruva(t *testing.T, bin string) row { return endlessDruva(t, bin, 1_000_000_000) }

func scenarioEndlessDruvaPlausible(t *testing.T, bin string) row { return endlessDruva(t, bin, 5000) }

// endlessDruva lists users with new users on every page, announcing total.
func endlessDruva(t *testing.T, bin string, total int) row {
	r := newRig(t, 100)
	var page atomic.Int64
	r.setFront(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/Users") {
			r.d.ServeHTTP(w, req)
			return
		}
		p := page.Add(1)
		var b strings.Builder
		fmt.Fprintf(&b, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":%d,"itemsPerPage":100,"startIndex":%s,"Resources":[`, total, req.URL.Query().Get("startIndex"))
		for i := range 100 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"p%d-%d","userName":"ghost%d.%d@contoso.example","active":true}`, p, i, p, i)
		}
		b.WriteString("]}")
		w.Header().Set("Content-Type", "application/scim+json")
		_, _ = w.Write([]byte(b.String()))
	}))
	res := spawn(t, bin, r.env, r.args()...).wait(time.Time{})
	res.users = fmt.Sprintf("%d pages served, %d created", page.Load(), r.d.Len())
	return res
}

func scenarioEndlessGraph(t *testing.T, bin string) row {
	r := newRig(t, 100)
	u, err := url.Parse(r.g.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	var pages atomic.Int64
	var graph *httptest.Server
	proxy.ModifyResponse = func(resp *http.Response) error {
		// Links in the tenant's answers name the front, as Graph's would.
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(b, []byte(u.Host), []byte(strings.TrimPrefix(graph.URL, "http://")))
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return nil
	}
	graph = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "appRoleAssignedTo") {
			n := pages.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"value":[],"@odata.nextLink":"%s%s?$skiptoken=%d"}`, graph.URL, req.URL.Path, n)
			return
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(graph.Close)
	args := r.args()
	for i, a := range args {
		if a == r.g.URL {
			args[i] = graph.URL + strings.TrimPrefix(r.g.URL, u.Scheme+"://"+u.Host)
		}
	}
	res := spawn(t, bin, r.env, args...).wait(time.Time{})
	res.users = fmt.Sprintf("%d pages served, %d created", pages.Load(), r.d.Len())
	return res
}

func scenarioReflecting(t *testing.T, bin string) row {
	r := newRig(t, 100)
	r.setFront(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			r.d.ServeHTTP(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"bad request; you sent Authorization: %s"}`, req.Header.Get("Authorization"))
	}))
	log := filepath.Join(r.dir, "log.jsonl")
	c := spawn(t, bin, r.env, r.args("--log", log)...)
	res := c.wait(time.Time{})
	st, _ := os.ReadFile(r.state)
	lg, _ := os.ReadFile(log)
	n := 0
	for _, text := range []string{c.stdout.String(), c.stderr.String(), string(st), string(lg)} {
		n += strings.Count(text, r.d.Token)
	}
	res.users = fmt.Sprintf("token found %d times in stdout, stderr, state and log; %d created", n, r.d.Len())
	return res
}

func scenarioSymlink(t *testing.T, bin string) row {
	r := newRig(t, 300)
	real := filepath.Join(r.dir, "real-state")
	if err := os.Symlink(real, r.state); err != nil {
		t.Fatal(err)
	}
	first := spawn(t, bin, r.env, r.args()...).wait(time.Time{})
	res := spawn(t, bin, r.env, r.args("--full")...).wait(time.Time{})
	fi, err := os.Lstat(r.state)
	kept := err == nil && fi.Mode()&os.ModeSymlink != 0
	unlinked, dup := r.count(t)
	res.users = fmt.Sprintf("link kept: %v; first run exit %d; %d lost, %d duplicated of %d users", kept, first.exit, unlinked, dup, r.d.Len())
	return res
}

// configWith writes a configuration file with the Druva default mappings
// plus extra YAML under the set.
func configWith(t *testing.T, dir, displayName, scope string) string {
	t.Helper()
	text := "mappings:\n" +
		"  required: [userName, displayName, 'emails[type eq \"work\"].value']\n" +
		"  mappings:\n" +
		"    - {target: userName, direct: userPrincipalName, match: 1}\n" +
		"    - {target: active, expression: 'Not([IsSoftDeleted])'}\n" +
		"    - target: displayName\n      expression: '" + displayName + "'\n" +
		"    - {target: 'emails[type eq \"work\"].value', direct: mail}\n" +
		scope
	p := filepath.Join(dir, "druvasync.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func scenarioRegexUser(t *testing.T, bin string) row {
	r := newRig(t, 200)
	evil := ""
	for _, a := range r.g.Assignments() {
		if a.PrincipalType == "User" {
			evil = a.PrincipalID
			break
		}
	}
	if err := r.g.UpdateUser(evil, map[string]any{"department": strings.Repeat("a", 40) + "!"}); err != nil {
		t.Fatal(err)
	}
	cfg := configWith(t, r.dir, "[displayName]", "  scope:\n    - - {attribute: department, operator: NOT REGEX MATCH, value: '^(a+)+$'}\n")
	res := spawn(t, bin, r.env, r.args("--config", cfg)...).wait(time.Time{})
	unlinked, dup := r.count(t)
	res.users = fmt.Sprintf("%d created, the regex user skipped; %d lost, %d duplicated", r.d.Len(), unlinked, dup)
	return res
}

func scenarioAmplifying(t *testing.T, bin string) row {
	r := newRig(t, 200)
	e := "[displayName]"
	for range 12 {
		e = `Replace(` + e + `, "a", , , "aaaaaaaaaa", , )`
	}
	cfg := configWith(t, r.dir, e, "")
	res := spawn(t, bin, r.env, r.args("--config", cfg)...).wait(time.Time{})
	unlinked, dup := r.count(t)
	res.users = fmt.Sprintf("%d created (users whose name has no \"a\"); %d lost, %d duplicated", r.d.Len(), unlinked, dup)
	return res
}

func scenarioRetryAfter(t *testing.T, bin string) row {
	r := newRig(t, 200)
	r.setFront(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			r.d.ServeHTTP(w, req)
			return
		}
		w.Header().Set("Retry-After", "86400")
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429","detail":"slow down"}`))
	}))
	res := spawn(t, bin, r.env, r.args()...).wait(time.Time{})
	res.users = fmt.Sprintf("%d created (default --timeout 30m, no --rate: the limiter on)", r.d.Len())
	return res
}
