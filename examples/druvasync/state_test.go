package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
)

// buildCLI builds druvasync into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "druvasync")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeGate holds every write to the fake Druva until it is opened, and
// says which writes arrived: a process held at its first write is in the
// middle of its cycle, lock and all.
type writeGate struct {
	next    http.Handler
	arrived chan string
	open    chan struct{}
	once    sync.Once
}

func (g *writeGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		select {
		case g.arrived <- r.Method + " " + r.URL.Path:
		default:
		}
		<-g.open
	}
	g.next.ServeHTTP(w, r)
}

func (g *writeGate) release() { g.once.Do(func() { close(g.open) }) }

// gatedPair is a fake Graph (its own process) and a fake Druva whose
// writes pass a gate.
type gatedPair struct {
	d    *druvatest.Server
	gate *writeGate
	env  []string
	args []string // the flags that point sync at the fakes
}

func newGatedPair(t *testing.T, bin string) *gatedPair {
	t.Helper()
	graph := startFake(t, bin, "fake-graph", "--addr", "127.0.0.1:0", "--users", "40", "--groups", "2", "--seed", "11")
	d, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	gate := &writeGate{next: d, arrived: make(chan string, 64), open: make(chan struct{})}
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	t.Cleanup(gate.release) // runs first: no handler stays held
	return &gatedPair{d: d, gate: gate,
		env: append(os.Environ(), "DRUVA_TOKEN="+d.Token, "GRAPH_TOKEN="+graph["GRAPH_TOKEN"]),
		args: []string{"--druva-url", srv.URL + druvatest.BasePath, "--graph-url", graph["--graph-url"],
			"--service-principal-id", graph["--service-principal-id"], "--rate", "0", "--concurrency", "1", "--json"}}
}

// proc is a started druvasync process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	status         int
}

func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		_ = p.cmd.Wait()
		p.status = p.cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", p.status, p.stdout.String(), p.stderr.String())
}

// heldAtFirstWrite waits until p's first write reaches the gate.
func heldAtFirstWrite(t *testing.T, p *proc, gate *writeGate) {
	t.Helper()
	select {
	case <-gate.arrived:
	case <-p.done:
		t.Fatalf("the first sync ended before writing: %s", p)
	}
}

// checkOneUserPerLink: no two Druva users share a userName, and the state
// links every Druva user, each link naming a user that exists.
func checkOneUserPerLink(t *testing.T, d *druvatest.Server, state string) {
	t.Helper()
	names := map[string]int{}
	for _, u := range d.Users() {
		names[u.UserName()]++
	}
	for n, c := range names {
		if c > 1 {
			t.Errorf("%d Druva users named %q", c, n)
		}
	}
	st := loadStateFile(t, state)
	if len(st.Links) != d.Len() {
		t.Errorf("%d links for %d Druva users: links were lost", len(st.Links), d.Len())
	}
	for src, id := range st.Links {
		if _, err := d.User(id); err != nil {
			t.Errorf("link %s → %s: %v", src, id, err)
		}
	}
}

// creates returns the number of creates in a sync --json output.
func creates(t *testing.T, p *proc) int {
	t.Helper()
	var out struct {
		Summary struct {
			Actions map[string]int `json:"actions"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(p.stdout.Bytes(), &out); err != nil {
		t.Fatalf("sync --json: %v\n%s", err, p)
	}
	return out.Summary.Actions["Create"]
}

// TestTwoProcessesOneState: while one sync is in the middle of its cycle,
// a second one on the same state (here with --approve-deletes) refuses at
// once with exit status 2 and names the holder; the first converges with
// one Druva user per link. Then a holder killed with SIGKILL in the middle
// of its cycle does not block the next run, which takes the lock over and
// adopts the user whose create reached Druva.
func TestTwoProcessesOneState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildCLI(t)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("second refused", func(t *testing.T) {
		f := newGatedPair(t, bin)
		state := filepath.Join(t.TempDir(), "state")
		first := start(t, bin, f.env, append([]string{"sync", "--state", state}, f.args...)...)
		heldAtFirstWrite(t, first, f.gate)
		second := start(t, bin, f.env, append([]string{"sync", "--state", state, "--approve-deletes"}, f.args...)...)
		select {
		case <-second.done:
		case w := <-f.gate.arrived:
			t.Errorf("the second sync wrote %s while the first held the state", w)
			f.gate.release()
			<-second.done
		}
		t.Logf("the second sync said: %s", strings.TrimSpace(second.stderr.String()))
		if second.status != exitBadInput {
			t.Errorf("second sync: want exit 2, got %s", second)
		}
		for _, want := range []string{fmt.Sprintf("process %d", first.cmd.Process.Pid), host, "in use"} {
			if !strings.Contains(second.stderr.String(), want) {
				t.Errorf("second sync does not name the holder (%q): %s", want, second)
			}
		}
		f.gate.release()
		<-first.done
		if first.status != exitConverged || creates(t, first) == 0 {
			t.Fatalf("first sync: %s", first)
		}
		checkOneUserPerLink(t, f.d, state)
		again := start(t, bin, f.env, append([]string{"sync", "--state", state}, f.args...)...)
		<-again.done
		if again.status != exitConverged || creates(t, again) != 0 {
			t.Fatalf("sync after the first: %s", again)
		}
		checkOneUserPerLink(t, f.d, state)
	})

	t.Run("dead holder taken over", func(t *testing.T) {
		f := newGatedPair(t, bin)
		state := filepath.Join(t.TempDir(), "state")
		first := start(t, bin, f.env, append([]string{"sync", "--state", state}, f.args...)...)
		heldAtFirstWrite(t, first, f.gate)
		if err := first.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-first.done
		f.gate.release() // the held create reaches Druva after its sender died
		next := start(t, bin, f.env, append([]string{"sync", "--state", state}, f.args...)...)
		<-next.done
		if next.status != exitConverged || creates(t, next) == 0 {
			t.Fatalf("sync after a killed holder: %s", next)
		}
		checkOneUserPerLink(t, f.d, state)
	})
}

// TestUnwritableStateDirectory: when the state could not be saved, sync says
// so and exits 2 before it writes anything to Druva, not after its writes.
func TestUnwritableStateDirectory(t *testing.T) {
	_, d, vars, flags := fakePair(t)
	dir := unwritableDir(t)
	status, out, errOut := runCLI(t, vars, append([]string{"sync", "--state", filepath.Join(dir, "state")}, flags...)...)
	if status != exitBadInput || !strings.Contains(errOut, "does not accept new files") {
		t.Errorf("sync with an unwritable state directory: status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}
	if n := d.Stats().Requests; n != 0 || d.Len() != 0 {
		t.Errorf("%d requests reached Druva, %d users created, before the state was found unwritable", n, d.Len())
	}
}

// unwritableDir returns a directory that takes no new file from this
// process: a read-only temporary directory (with a lock file already in it,
// so only the directory check can tell), or for root, whom permissions do
// not stop, /sys.
func unwritableDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() == 0 {
		if fi, err := os.Stat("/sys"); err != nil || !fi.IsDir() {
			t.Skip("running as root without /sys: no directory refuses a new file")
		}
		return "/sys"
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	return dir
}

// TestWritersRefusedWhileLocked: sync and provision refuse a state whose
// lock another writer holds (here a service in this process), exit 2 and
// write nothing; plan, which writes nothing, still runs.
func TestWritersRefusedWhileLocked(t *testing.T) {
	_, d, vars, flags := fakePair(t)
	state := filepath.Join(t.TempDir(), "state")
	store, err := druvascim.NewFileStore(state)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := store.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, args := range [][]string{{"sync"}, {"sync", "--approve-deletes"}, {"provision", "--user", "someone@contoso.example"}} {
		status, out, errOut := runCLI(t, vars, append(append(args, "--state", state), flags...)...)
		if status != exitBadInput || !strings.Contains(errOut, fmt.Sprintf("in use by process %d", os.Getpid())) {
			t.Errorf("%v while locked: status %d\nstdout: %s\nstderr: %s", args, status, out, errOut)
		}
	}
	if n := d.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached Druva while the state was locked", n)
	}
	if status, out, errOut := runCLI(t, vars, append([]string{"plan", "--state", state}, flags...)...); status != 0 {
		t.Errorf("plan while locked: status %d\n%s\n%s", status, out, errOut)
	}
}
