package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/service"
	"github.com/druvascim/druvascim/internal/smtptest"
)

// serveProc is a running druvasync serve whose log lines the test reads
// as they come.
type serveProc struct {
	cmd   *exec.Cmd
	lines chan string
	seen  []string
	done  chan struct{} // closed when the process closed its stderr: it ended
	url   string
}

func startServe(t *testing.T, bin string, env []string, config string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: exec.Command(bin, "serve", "--config", config), lines: make(chan string, 1024), done: make(chan struct{})}
	p.cmd.Env = env
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
	return p
}

// waitFor reads log lines until one contains every part; it fails when the
// process ends first.
func (p *serveProc) waitFor(t *testing.T, parts ...string) string {
	t.Helper()
	for line := range p.lines {
		p.seen = append(p.seen, line)
		if p.url == "" && strings.Contains(line, `"msg":"druvasync serve: listening"`) {
			var l struct{ URL string }
			if json.Unmarshal([]byte(line), &l) == nil {
				p.url = l.URL
			}
		}
		if containsAll(line, parts) {
			return line
		}
	}
	t.Fatalf("serve ended before logging %q:\n%s", parts, strings.Join(p.seen, "\n"))
	return ""
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// exit waits for the process to end and returns its status and output.
func (p *serveProc) exit(t *testing.T) (int, string) {
	t.Helper()
	for line := range p.lines {
		p.seen = append(p.seen, line)
	}
	err := p.cmd.Wait()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return p.cmd.ProcessState.ExitCode(), strings.Join(p.seen, "\n")
}

func (p *serveProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// serveConfigFor writes a single-tenant serve configuration pointing at
// the gated fakes, with the state in dir.
func serveConfigFor(t *testing.T, f *gatedPair, dir string, extra string) (config, state string) {
	t.Helper()
	state = filepath.Join(dir, "contoso.state")
	flag := func(name string) string {
		for i, a := range f.args {
			if a == name {
				return f.args[i+1]
			}
		}
		t.Fatalf("no %s", name)
		return ""
	}
	text := fmt.Sprintf("listen: 127.0.0.1:0\nshutdownGrace: 20s\nname: contoso\ndruvaURL: %s\ngraphURL: %s\nservicePrincipalId: %s\nstate: %s\nrate: 0\nconcurrency: 1\n%s",
		flag("--druva-url"), flag("--graph-url"), flag("--service-principal-id"), state, extra)
	config = filepath.Join(dir, "druvasync.yaml")
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return config, state
}

// TestServeOneWriterPerState: while a service is in the middle of a cycle,
// a second service and a sync on the same state exit 2 naming it; the
// first converges, one Druva user per link; SIGTERM during a cycle lets it
// finish and exits 0.
func TestServeOneWriterPerState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildCLI(t)
	f := newGatedPair(t, bin)
	config, state := serveConfigFor(t, f, t.TempDir(), "")
	first := startServe(t, bin, f.env, config)
	heldAtFirstWrite(t, &proc{done: first.done}, f.gate)
	second := startServe(t, bin, f.env, config)
	status, out := second.exit(t)
	want := fmt.Sprintf("in use by process %d", first.cmd.Process.Pid)
	if status != exitBadInput || !strings.Contains(out, want) {
		t.Errorf("second serve: exit %d, want 2 naming the holder (%q):\n%s", status, want, out)
	}
	sync := start(t, bin, f.env, append([]string{"sync", "--state", state}, f.args...)...)
	<-sync.done
	if sync.status != exitBadInput || !strings.Contains(sync.stderr.String(), want) {
		t.Errorf("sync while serving: %s", sync)
	}
	first.signal(t, syscall.SIGTERM) // during the cycle: it gets the grace period
	f.gate.release()
	status, out = first.exit(t)
	if status != exitConverged || !strings.Contains(out, `"msg":"service: cycle ended"`) {
		t.Fatalf("serve after SIGTERM: exit %d\n%s", status, out)
	}
	checkOneUserPerLink(t, f.d, state)
	cs := logCycles(t, service.LogPath(state))
	if len(cs) != 1 || cs[0].Outcome != logstore.OutcomeSucceeded || cs[0].GraphRequests == 0 || cs[0].DruvaRequests == 0 {
		t.Errorf("cycles after SIGTERM: %+v", cs)
	}
}

// TestServeKilledDuringCycle: a service killed with SIGKILL in the middle
// of a cycle restarts, marks that cycle interrupted and converges with no
// duplicate user.
func TestServeKilledDuringCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildCLI(t)
	f := newGatedPair(t, bin)
	config, state := serveConfigFor(t, f, t.TempDir(), "")
	first := startServe(t, bin, f.env, config)
	heldAtFirstWrite(t, &proc{done: first.done}, f.gate)
	first.signal(t, syscall.SIGKILL)
	first.exit(t)
	f.gate.release() // the held create reaches Druva after its sender died
	next := startServe(t, bin, f.env, config)
	line := next.waitFor(t, `"msg":"service: cycle ended"`)
	if !strings.Contains(line, `"error":""`) {
		t.Errorf("the cycle after the kill: %s", line)
	}
	next.signal(t, syscall.SIGTERM)
	if status, out := next.exit(t); status != exitConverged {
		t.Fatalf("exit %d\n%s", status, out)
	}
	checkOneUserPerLink(t, f.d, state)
	cs := logCycles(t, service.LogPath(state))
	if len(cs) != 2 || cs[0].Outcome != logstore.OutcomeInterrupted || cs[1].Outcome != logstore.OutcomeSucceeded {
		t.Errorf("cycles: %+v", cs)
	}
}

// TestServeOperations: pause, resume, sync-now and restart against a
// running service with two tenants, one of which has a refused token; a
// pause survives a restart of the process; a wrong admin token is refused.
func TestServeOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildCLI(t)
	f := newGatedPair(t, bin)
	f.gate.release()
	dir := t.TempDir()
	single, state := serveConfigFor(t, f, dir, "")
	config := twoTenants(t, single, dir)
	env := append(f.env, "DRUVASYNC_ADMIN_TOKEN=admin-secret-0123456789", "BROKEN_TOKEN=wrong")
	p := startServe(t, bin, env, config)
	p.waitFor(t, `"tenant":"contoso"`, `"msg":"service: cycle ended"`, `"error":""`)
	vars := map[string]string{"DRUVASYNC_ADMIN_TOKEN": "admin-secret-0123456789"}
	if st := serveStatus(t, p.url, "broken"); st.State != control.StateQuarantined || st.Ready {
		t.Errorf("the broken tenant: %+v", st)
	}
	checkOneUserPerLink(t, f.d, state)
	checkServedViews(t, p.url, config)

	if status, _, errOut := runCLI(t, map[string]string{"DRUVASYNC_ADMIN_TOKEN": "wrong"}, "pause", "--service", p.url, "--tenant", "contoso"); status != exitBadInput || !strings.Contains(errOut, "401") {
		t.Errorf("pause with a wrong token: %d %s", status, errOut)
	}
	if status, _, errOut := runCLI(t, vars, "pause", "--service", p.url); status != exitBadInput || !strings.Contains(errOut, "name the tenant") {
		t.Errorf("pause without a tenant of two: %d %s", status, errOut)
	}
	if status, out, errOut := runCLI(t, vars, "pause", "--service", p.url, "--tenant", "contoso"); status != 0 {
		t.Fatalf("pause: %d %s %s", status, out, errOut)
	}
	if status, _, errOut := runCLI(t, vars, "sync-now", "--service", p.url, "--tenant", "contoso"); status != exitFailures || !strings.Contains(errOut, "409 Conflict") || !strings.Contains(errOut, "paused") {
		t.Errorf("sync-now while paused: %d %s", status, errOut)
	}
	p.signal(t, syscall.SIGTERM)
	if status, out := p.exit(t); status != exitConverged {
		t.Fatalf("exit %d\n%s", status, out)
	}

	p = startServe(t, bin, env, config)
	p.waitFor(t, `"msg":"service: running"`)
	if st := serveStatus(t, p.url, "contoso"); st.State != control.StatePaused || !st.Paused {
		t.Fatalf("after a restart of the process: %+v", st)
	}
	for _, step := range []struct{ op, kind string }{{"resume", "incremental"}, {"sync-now", "incremental"}, {"restart", "restart"}} {
		if status, out, errOut := runCLI(t, vars, step.op, "--service", p.url, "--tenant", "contoso"); status != 0 {
			t.Fatalf("%s: %d %s %s", step.op, status, out, errOut)
		}
		p.waitFor(t, `"tenant":"contoso"`, `"msg":"service: cycle ended"`, `"kind":"`+step.kind+`"`, `"error":""`)
	}
	p.signal(t, syscall.SIGTERM)
	if status, out := p.exit(t); status != exitConverged {
		t.Fatalf("exit %d\n%s", status, out)
	}
	checkOneUserPerLink(t, f.d, state)

	// Without a service: the operation works on the state file.
	if status, out, errOut := runCLI(t, nil, "pause", "--config", config, "--tenant", "contoso"); status != 0 {
		t.Fatalf("offline pause: %d %s %s", status, out, errOut)
	}
	if sc, err := service.ReadSidecar(service.SidecarPath(state)); err != nil || !sc.Paused {
		t.Errorf("sidecar after an offline pause: %+v %v", sc, err)
	}
	links := loadLinks(t, state)
	if status, out, errOut := runCLI(t, nil, "restart", "--state", state); status != 0 {
		t.Fatalf("offline restart: %d %s %s", status, out, errOut)
	}
	st := loadStateFile(t, state)
	if st.DeltaLink != "" || len(st.Escrows) != 0 || len(st.Links) != links {
		t.Errorf("after an offline restart: delta link %q, %d escrows, %d links (had %d)", st.DeltaLink, len(st.Escrows), len(st.Links), links)
	}
	if status, _, errOut := runCLI(t, nil, "sync-now", "--state", state); status != exitBadInput || !strings.Contains(errOut, "druvasync sync") {
		t.Errorf("offline sync-now: %d %s", status, errOut)
	}
}

func loadStateFile(t *testing.T, path string) *druvascim.State {
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

func loadLinks(t *testing.T, path string) int {
	t.Helper()
	st := loadStateFile(t, path)
	if st.DeltaLink == "" || len(st.Links) == 0 {
		t.Fatalf("the state has no delta link or no links: %d links", len(st.Links))
	}
	return len(st.Links)
}

// twoTenants turns a single-tenant configuration into a tenants: list
// with a second tenant whose Druva token is refused.
func twoTenants(t *testing.T, single, dir string) string {
	t.Helper()
	data, err := os.ReadFile(single)
	if err != nil {
		t.Fatal(err)
	}
	var head, tenant []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(l, "listen:") || strings.HasPrefix(l, "shutdownGrace:") {
			head = append(head, l)
		} else {
			tenant = append(tenant, l)
		}
	}
	good := "  - " + strings.Join(tenant, "\n    ") + "\n    druvaTokenEnv: DRUVA_TOKEN\n    graphTokenEnv: GRAPH_TOKEN\n"
	broken := strings.ReplaceAll(strings.ReplaceAll(good, "name: contoso", "name: broken"), "contoso.state", "broken.state")
	broken = strings.ReplaceAll(broken, "druvaTokenEnv: DRUVA_TOKEN", "druvaTokenEnv: BROKEN_TOKEN")
	path := filepath.Join(dir, "tenants.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(head, "\n")+"\ntenants:\n"+good+broken), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkServedViews: the running service serves the status page, its
// provisioning log and its metrics (cycles, and requests to both targets
// counted by status), and `druvasync logs --config` finds the database the
// service writes.
func checkServedViews(t *testing.T, url, config string) {
	t.Helper()
	get := func(path string) string {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return string(body)
	}
	if page := get("/?tenant=contoso"); !strings.Contains(page, "contoso") {
		t.Errorf("the page does not name the tenant:\n%.300s", page)
	}
	var logs struct{ Entries []logstore.Entry }
	if err := json.Unmarshal([]byte(get("/api/logs?tenant=contoso&action=Create")), &logs); err != nil || len(logs.Entries) == 0 {
		t.Errorf("GET /api/logs: %d create entries, %v", len(logs.Entries), err)
	}
	m := get("/metrics")
	for _, want := range []string{`druvascim_cycles_total{outcome="succeeded",tenant="contoso"} 1`,
		`druvascim_requests_total{status="200",target="druva",tenant="contoso"}`,
		`druvascim_requests_total{status="200",target="graph",tenant="contoso"}`,
		`druvascim_requests_total{status="401",target="druva",tenant="broken"}`,
		`druvascim_client_rate_rps{target="druva",tenant="contoso"}`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	status, out, errOut := runCLI(t, nil, "logs", "--config", config, "--tenant", "contoso", "--action", "Create", "--json")
	if status != 0 || strings.Count(out, `"action": "Create"`)+strings.Count(out, `"action":"Create"`) != len(logs.Entries) {
		t.Errorf("druvasync logs --config: status %d, %d creates (the API shows %d); stderr %s", status,
			strings.Count(out, `"Create"`), len(logs.Entries), errOut)
	}
}

func serveStatus(t *testing.T, url, tenant string) control.TenantStatus {
	t.Helper()
	resp, err := http.Get(url + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Tenants []control.TenantStatus }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, st := range body.Tenants {
		if st.Tenant == tenant {
			return st
		}
	}
	t.Fatalf("no tenant %q in %+v", tenant, body)
	return control.TenantStatus{}
}

func logCycles(t *testing.T, path string) []logstore.Cycle {
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

// TestServeSecondSignal: a second SIGTERM while the first waits for a
// held cycle exits at once; the next start converges with one Druva user
// per link.
func TestServeSecondSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildCLI(t)
	f := newGatedPair(t, bin)
	config, state := serveConfigFor(t, f, t.TempDir(), "")
	first := startServe(t, bin, f.env, config)
	heldAtFirstWrite(t, &proc{done: first.done}, f.gate)
	first.signal(t, syscall.SIGTERM)
	first.waitFor(t, "a second signal exits at once")
	first.signal(t, syscall.SIGTERM)
	if status, out := first.exit(t); status != exitFailures || !strings.Contains(out, "second signal: exiting now") {
		t.Fatalf("after the second signal: exit %d\n%s", status, out)
	}
	f.gate.release()
	next := startServe(t, bin, f.env, config)
	next.waitFor(t, `"msg":"service: cycle ended"`, `"error":""`)
	next.signal(t, syscall.SIGTERM)
	if status, out := next.exit(t); status != exitConverged {
		t.Fatalf("exit %d\n%s", status, out)
	}
	checkOneUserPerLink(t, f.d, state)
}

// TestServeNotifies: a tenant whose Druva token is refused sends, through
// the email and webhook of its configuration, one notice of the
// quarantine and one of the refused credential; no secret is in them.
func TestServeNotifies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildCLI(t)
	f := newGatedPair(t, bin)
	f.gate.release()
	mail, err := smtptest.NewServer("druvasync", "smtp-secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mail.Close() })
	hooks := make(chan string, 16)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		hooks <- body.Text
	}))
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, mail.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	notifications := fmt.Sprintf(`notifications:
  email: {host: 127.0.0.1, port: %d, caFile: %s, user: druvasync, passwordEnv: SMTP_PASSWORD, from: druvasync@contoso.example, to: [ops@contoso.example]}
  webhook: {urlEnv: HOOK_URL}
`, mail.Port, ca)
	config, _ := serveConfigFor(t, f, dir, notifications)
	env := append(slices.DeleteFunc(slices.Clone(f.env), func(v string) bool { return strings.HasPrefix(v, "DRUVA_TOKEN=") }),
		"DRUVA_TOKEN=revoked-token", "SMTP_PASSWORD=smtp-secret", "HOOK_URL="+hs.URL+"/hook/secret-part")
	p := startServe(t, bin, env, config)
	p.waitFor(t, `"msg":"service: cycle ended"`)
	var subjects, texts []string
	for range 2 {
		subjects = append(subjects, (<-mail.Received).Subject)
		texts = append(texts, <-hooks)
	}
	slices.Sort(subjects)
	for _, want := range []string{"quarantined", "credential"} {
		if !slices.ContainsFunc(subjects, func(s string) bool { return strings.Contains(strings.ToLower(s), want) }) {
			t.Errorf("no email about %q: %q", want, subjects)
		}
	}
	p.signal(t, syscall.SIGTERM)
	status, out := p.exit(t)
	if status != exitConverged {
		t.Fatalf("exit %d\n%s", status, out)
	}
	if n := len(mail.Messages()); n != 2 {
		t.Errorf("%d emails, want 2: %q", n, mail.Subjects())
	}
	for _, s := range append(append(texts, out), mail.Subjects()...) {
		for _, secret := range []string{"revoked-token", "smtp-secret", "secret-part"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows up in %q", secret, s)
			}
		}
	}
}
