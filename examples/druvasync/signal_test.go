package main

import (
	"net/http"
	"net/http/httptest"
	"os"
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
)

// countGate passes the first pass writes to the fake Druva and holds the
// later ones until release; held says when the first is held.
type countGate struct {
	next   http.Handler
	pass   int64
	writes atomic.Int64
	held   chan struct{}
	open   chan struct{}
	once   sync.Once
	heldOn sync.Once
}

func (g *countGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && g.writes.Add(1) > g.pass {
		g.heldOn.Do(func() { close(g.held) })
		<-g.open
	}
	g.next.ServeHTTP(w, r)
}

func (g *countGate) release() { g.once.Do(func() { close(g.open) }) }

// signalRig is a fake Graph process with users many in-scope users and a
// fake Druva behind a countGate.
type signalRig struct {
	d     *druvatest.Server
	gate  *countGate
	env   []string
	args  []string
	state string
	log   string
}

func newSignalRig(t *testing.T, bin string, users int, pass int64, concurrency string) *signalRig {
	t.Helper()
	graph := startFake(t, bin, "fake-graph", "--addr", "127.0.0.1:0", "--users", strconv.Itoa(users), "--groups", "2", "--seed", "21")
	d, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	gate := &countGate{next: d, pass: pass, held: make(chan struct{}), open: make(chan struct{})}
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	t.Cleanup(gate.release)
	dir := t.TempDir()
	r := &signalRig{d: d, gate: gate, state: filepath.Join(dir, "state"), log: filepath.Join(dir, "log.jsonl"),
		env: append(os.Environ(), "DRUVA_TOKEN="+d.Token, "GRAPH_TOKEN="+graph["GRAPH_TOKEN"])}
	r.args = []string{"sync", "--state", r.state, "--log", r.log, "--druva-url", srv.URL + druvatest.BasePath,
		"--graph-url", graph["--graph-url"], "--service-principal-id", graph["--service-principal-id"],
		"--rate", "0", "--concurrency", concurrency, "--json"}
	return r
}

// loadState loads the state file at path.
func loadState(t *testing.T, path string) *druvascim.State {
	t.Helper()
	fs, err := druvascim.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := fs.Load(t.Context())
	if err != nil {
		t.Fatalf("state after the signal: %v", err)
	}
	return st
}

// waitExit waits for p, failing the test when it runs past bound (a hang).
func waitExit(t *testing.T, p *proc, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-p.done:
	case <-time.After(bound):
		t.Fatalf("still running %s after the signal", bound)
	}
	return time.Since(start)
}

// converges runs sync again and checks that it ends with no duplicate and
// every Druva user linked, and that a third run creates nobody.
func (r *signalRig) converges(t *testing.T, bin string) {
	t.Helper()
	next := start(t, bin, r.env, r.args...)
	<-next.done
	if next.status != exitConverged {
		t.Fatalf("the next sync: %s", next)
	}
	checkOneUserPerLink(t, r.d, r.state)
	again := start(t, bin, r.env, r.args...)
	<-again.done
	if again.status != exitConverged || creates(t, again) != 0 {
		t.Fatalf("the sync after: %s", again)
	}
}

// TestSIGTERMDuringSync: SIGTERM in the middle of the writes (systemd,
// Kubernetes, docker stop, timeout) is handled like Ctrl-C. With the
// writes in flight answered, sync ends at once; with them never answered,
// it ends after the in-flight grace of 10 seconds, reporting them with an
// unknown outcome. Either way it exits 1 saying why, the state holds a
// link for every user whose create was answered, the log is written, and
// the next run creates no duplicate and links every user.
func TestSIGTERMDuringSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildCLI(t)
	for _, answered := range []bool{true, false} {
		name := map[bool]string{true: "in-flight writes answered", false: "in-flight writes never answered"}[answered]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newSignalRig(t, bin, 120, 20, "4")
			p := start(t, bin, r.env, r.args...)
			select {
			case <-r.gate.held:
			case <-p.done:
				t.Fatalf("sync ended before its 21st write: %s", p)
			}
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if answered {
				r.gate.release()
			}
			took := waitExit(t, p, time.Minute)
			t.Logf("ended %s after SIGTERM", took.Round(time.Millisecond))
			if p.status != exitFailures || !strings.Contains(p.stderr.String(), "stopped by SIGTERM") {
				t.Fatalf("want exit 1 naming SIGTERM: %s", p)
			}
			st := loadState(t, r.state)
			if len(st.Links) != r.d.Len() {
				t.Errorf("after SIGTERM: %d links for %d Druva users", len(st.Links), r.d.Len())
			}
			if b, err := os.ReadFile(r.log); err != nil || !strings.Contains(string(b), `"Create"`) {
				t.Errorf("the log after SIGTERM: %v, %d bytes", err, len(b))
			}
			if !answered && !strings.Contains(p.stdout.String(), "OutcomeUnknown") {
				t.Errorf("the unanswered writes are not reported with an unknown outcome: %s", p)
			}
			r.gate.release() // unanswered creates reach Druva now, after their sender left
			r.converges(t, bin)
		})
	}
}

// TestSIGKILLDuringApply: a sync killed with SIGKILL in the middle of its
// writes loses at most the links made since its last checkpoint began (100
// operations, plus those that finished while it was written: the test
// allows 50), and the next run adopts those users: no duplicate, every
// Druva user linked.
func TestSIGKILLDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildCLI(t)
	r := newSignalRig(t, bin, 400, 250, "1")
	p := start(t, bin, r.env, r.args...)
	select {
	case <-r.gate.held:
	case <-p.done:
		t.Fatalf("sync ended before its 251st write: %s", p)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	st := loadState(t, r.state)
	made := r.d.Len()
	lost := made - len(st.Links)
	t.Logf("killed after %d creates: %d links saved, %d lost", made, len(st.Links), lost)
	if len(st.Links) < 100 || lost > 150 {
		t.Errorf("after kill -9: %d links saved for %d users created; want a checkpoint at least every 100 operations", len(st.Links), made)
	}
	for src, id := range st.Links {
		if _, err := r.d.User(id); err != nil {
			t.Errorf("saved link %s → %s: %v", src, id, err)
		}
	}
	r.gate.release()
	r.converges(t, bin)
}
