package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra/entratest"
)

// runCLI runs the command in-process with the given environment variables.
func runCLI(t *testing.T, vars map[string]string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	status = run(t.Context(), env, args)
	return status, out.String(), errb.String()
}

func TestHelpAndBadInput(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		status int
		want   string // in stdout or stderr
	}{
		{"no command", nil, exitBadInput, "Usage: druvasync COMMAND"},
		{"help", []string{"help"}, exitConverged, "fake-graph"},
		{"help for a command", []string{"help", "sync"}, exitConverged, "--approve-deletes"},
		{"command --help", []string{"demo", "--help"}, exitConverged, "--faults"},
		{"unknown command", []string{"frobnicate"}, exitBadInput, `unknown command "frobnicate"`},
		{"unknown flag", []string{"sync", "--frob"}, exitBadInput, "flag provided but not defined: -frob"},
		{"stray argument", []string{"plan", "extra"}, exitBadInput, `unexpected argument "extra"`},
		{"missing token", []string{"sync", "--service-principal-id", "x"}, exitBadInput, "DRUVA_TOKEN is not set"},
		{"bad concurrency", []string{"sync", "--concurrency", "0"}, exitBadInput, "--concurrency must be at least 1"},
		{"missing config", []string{"plan", "--config", "/nonexistent/druvasync.yaml"}, exitBadInput, "cannot read /nonexistent/druvasync.yaml"},
		{"provision without user", []string{"provision"}, exitBadInput, "give --user"},
		{"demo too small", []string{"demo", "--users", "3"}, exitBadInput, "--users must be between"},
		{"fake on a public address", []string{"fake-druva", "--addr", "0.0.0.0:0"}, exitBadInput, "not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out, errOut := runCLI(t, nil, tt.args...)
			if status != tt.status {
				t.Errorf("status %d, want %d\nstdout: %s\nstderr: %s", status, tt.status, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.want) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tt.want, out, errOut)
			}
			if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace printed: %s", errOut)
			}
		})
	}
}

func TestNoGraphCredential(t *testing.T) {
	status, out, errOut := runCLI(t, map[string]string{"DRUVA_TOKEN": "t"}, "plan", "--service-principal-id", "x")
	if status != exitBadInput || !strings.Contains(errOut, "no Microsoft Graph credential: set GRAPH_TOKEN") {
		t.Fatalf("status %d\nstdout: %s\nstderr: %s", status, out, errOut)
	}
}

func TestMalformedConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("druvaURL: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.yaml")
	if err := os.WriteFile(unknown, []byte("druvaUrl: https://x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badMapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(badMapping, []byte("mappings:\n  name: broken\n  mappings:\n    - target: userName\n      expression: 'Frobnicate([mail])'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{bad, "is malformed"},
		{unknown, "druvaUrl"},
		{badMapping, "Frobnicate"},
	} {
		status, out, errOut := runCLI(t, map[string]string{"DRUVA_TOKEN": "t"}, "plan", "--config", tc.file)
		if status != exitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: status %d, stderr %q (want exit 2 naming %q); stdout %q", tc.file, status, errOut, tc.want, out)
		}
	}
}

func TestExpr(t *testing.T) {
	status, out, errOut := runCLI(t, nil, "expr", `Join(".", [givenName], [surname])`, "--attrs", `{"givenName":"Zoë","surname":"Ångström"}`)
	if status != 0 || out != "Zoë.Ångström\n" {
		t.Errorf("expr: status %d, stdout %q, stderr %q", status, out, errOut)
	}
	status, out, _ = runCLI(t, nil, "expr", `Not([IsSoftDeleted])`, "--attrs", `{"IsSoftDeleted":false}`)
	if status != 0 || out != "True\n" {
		t.Errorf("Not: status %d, stdout %q", status, out)
	}
	status, out, _ = runCLI(t, nil, "expr", `[missing]`)
	if status != 0 || !strings.HasPrefix(out, "NULL") {
		t.Errorf("NULL: status %d, stdout %q", status, out)
	}
	status, _, errOut = runCLI(t, nil, "expr", `Join(".", [givenName]`)
	if status != exitBadInput || !strings.Contains(errOut, "column") {
		t.Errorf("syntax error: status %d, stderr %q (want the position)", status, errOut)
	}
	status, _, errOut = runCLI(t, nil, "expr", `ToUpper([x])`, "--attrs", `[1]`)
	if status != exitBadInput || !strings.Contains(errOut, "--attrs") {
		t.Errorf("bad attrs: status %d, stderr %q", status, errOut)
	}
	status, out, _ = runCLI(t, nil, "expr", `Redact([secret])`, "--attrs", `{"secret":"hunter2"}`)
	if status != 0 || strings.Contains(out, "hunter2") {
		t.Errorf("Redact printed the secret: %q", out)
	}
}

func TestDemoConverges(t *testing.T) {
	status, out, errOut := runCLI(t, nil, "demo", "--users", "120", "--groups", "6", "--json")
	if status != exitConverged {
		t.Fatalf("demo: status %d\nstderr: %s\nstdout: %s", status, errOut, out)
	}
	var rep struct {
		Converged bool `json:"converged"`
		Cycles    []struct {
			Name    string `json:"name"`
			Summary struct {
				Full     bool           `json:"full"`
				Actions  map[string]int `json:"actions"`
				Statuses map[string]int `json:"statuses"`
				Held     *struct {
					Disables int `json:"disables"`
				} `json:"held"`
			} `json:"summary"`
			DruvaRequests map[string]int `json:"druvaRequestsByMethod"`
		} `json:"cycles"`
		Changes []string `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("demo --json is not JSON: %v\n%s", err, out)
	}
	if !rep.Converged || len(rep.Cycles) != 4 || len(rep.Changes) != 5 {
		t.Fatalf("demo report: %+v", rep)
	}
	initial, incr, approved, check := rep.Cycles[0], rep.Cycles[1], rep.Cycles[2], rep.Cycles[3]
	if !initial.Summary.Full || incr.Summary.Full {
		t.Errorf("want a full then an incremental read: %+v %+v", initial.Summary, incr.Summary)
	}
	if initial.Summary.Actions["Create"] == 0 || initial.DruvaRequests["POST"] != initial.Summary.Actions["Create"] {
		t.Errorf("initial cycle: %d creates, %d POSTs", initial.Summary.Actions["Create"], initial.DruvaRequests["POST"])
	}
	// Unassigned, disabled, deleted → three disables, held by the demo's
	// threshold of 2 while the rename (one update) and the new hire (one
	// create) are applied in the same cycle; the approved cycle applies the
	// disables.
	if a := incr.Summary.Actions; a["StagedDelete"] != 3 || a["Update"] != 1 || a["Create"] != 1 || incr.Summary.Held == nil || incr.Summary.Held.Disables != 3 {
		t.Errorf("incremental cycle actions %v, held %+v", a, incr.Summary.Held)
	}
	if incr.DruvaRequests["POST"] != 1 || incr.Summary.Statuses["Success"] != 2 {
		t.Errorf("incremental cycle: the new hire was not created next to the held disables: %v %v", incr.DruvaRequests, incr.Summary.Statuses)
	}
	if a := approved.Summary.Actions; a["Disable"] != 3 || a["Create"] != 0 {
		t.Errorf("approved cycle actions %v", a)
	}
	for _, m := range []string{"POST", "PATCH", "PUT", "DELETE"} {
		if check.DruvaRequests[m] != 0 {
			t.Errorf("the check cycle wrote to Druva: %v", check.DruvaRequests)
		}
	}
}

func TestDemoWithFaultsConverges(t *testing.T) {
	status, out, errOut := runCLI(t, nil, "demo", "--users", "60", "--groups", "3", "--faults", "0.1", "--json")
	if status != exitConverged {
		t.Fatalf("demo with faults: status %d\nstderr: %s\nstdout: %s", status, errOut, out)
	}
}

// fakePair starts an in-process fake Graph and fake Druva and returns the
// environment and flags sync needs to use them.
func fakePair(t *testing.T) (*entratest.Server, *druvatest.Server, map[string]string, []string) {
	t.Helper()
	g, err := entratest.NewServer(entratest.WithUsers(80), entratest.WithGroups(4), entratest.WithSeed(7))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	d, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	vars := map[string]string{"DRUVA_TOKEN": d.Token, "GRAPH_TOKEN": g.Token}
	flags := []string{"--druva-url", d.URL, "--graph-url", g.URL, "--service-principal-id", g.ServicePrincipalID, "--rate", "0"}
	return g, d, vars, flags
}

func TestSyncPlanProvisionInProcess(t *testing.T) {
	g, d, vars, flags := fakePair(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	logFile := filepath.Join(dir, "log.csv")

	// plan writes nothing.
	status, out, errOut := runCLI(t, vars, append([]string{"plan", "--state", state}, flags...)...)
	if status != 0 || !strings.Contains(out, "Create") {
		t.Fatalf("plan: status %d\n%s\n%s", status, out, errOut)
	}
	if d.Len() != 0 {
		t.Fatalf("plan created %d users", d.Len())
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatalf("plan wrote the state file: %v", err)
	}

	status, out, errOut = runCLI(t, vars, append([]string{"sync", "--state", state, "--log", logFile}, flags...)...)
	if status != 0 {
		t.Fatalf("sync: status %d\n%s\n%s", status, out, errOut)
	}
	created := d.Len()
	if created == 0 {
		t.Fatal("sync created nobody")
	}
	csv, err := os.ReadFile(logFile)
	if err != nil || !bytes.Contains(csv, []byte("Create")) {
		t.Fatalf("provisioning log: %v\n%s", err, csv)
	}
	fi, err := os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", err, fi)
	}
	for _, secret := range []string{d.Token, g.Token} {
		if strings.Contains(out+errOut+string(csv), secret) {
			t.Fatal("a token was printed")
		}
		if b, _ := os.ReadFile(state); bytes.Contains(b, []byte(secret)) {
			t.Fatal("a token was written to the state file")
		}
	}

	// Unassign most users directly assigned: the deletion threshold holds.
	n := 0
	for _, a := range g.Assignments() {
		if a.PrincipalType == "User" {
			if err := g.RemoveAssignment(a.ID); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if n < 3 {
		t.Fatalf("only %d direct assignments in the fake tenant", n)
	}
	status, out, errOut = runCLI(t, vars, append([]string{"sync", "--state", state, "--max-deletes", "2"}, flags...)...)
	if status != exitHeld || !strings.Contains(errOut, "--approve-deletes") {
		t.Fatalf("held sync: status %d\n%s\n%s", status, out, errOut)
	}
	if active := countActive(d); active != created {
		t.Fatalf("a held cycle disabled users: %d active of %d", active, created)
	}
	status, out, errOut = runCLI(t, vars, append([]string{"sync", "--state", state, "--max-deletes", "2", "--approve-deletes", "--json"}, flags...)...)
	if status != 0 {
		t.Fatalf("approved sync: status %d\n%s\n%s", status, out, errOut)
	}
	if active := countActive(d); active >= created {
		t.Fatalf("approved cycle disabled nobody: %d active of %d", active, created)
	}

	// Provision one user on demand: a new hire.
	id, err := g.CreateUser(map[string]any{"userPrincipalName": "ola@contoso.example", "displayName": "Ola Nordmann",
		"mail": "ola@contoso.example", "mailNickname": "ola", "givenName": "Ola", "surname": "Nordmann", "accountEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddAssignment(id, g.AppRoles()[0].ID); err != nil {
		t.Fatal(err)
	}
	status, out, errOut = runCLI(t, vars, append([]string{"provision", "--user", "ola@contoso.example", "--state", state}, flags...)...)
	if status != 0 || !strings.Contains(out, "Create") {
		t.Fatalf("provision: status %d\n%s\n%s", status, out, errOut)
	}
	if _, err := d.UserByName("ola@contoso.example"); err != nil {
		t.Fatalf("provision did not create the user: %v", err)
	}
	// expr against the same real user, read from Graph.
	graphFlags := []string{"--graph-url", g.URL, "--service-principal-id", g.ServicePrincipalID}
	status, out, errOut = runCLI(t, vars, append([]string{"expr", `Join("/", [givenName], ToUpper([surname]))`, "--user", "ola@contoso.example"}, graphFlags...)...)
	if status != 0 || out != "Ola/NORDMANN\n" {
		t.Fatalf("expr --user: status %d, stdout %q, stderr %q", status, out, errOut)
	}
	status, _, errOut = runCLI(t, vars, append([]string{"expr", `[mail]`, "--user", "nobody@contoso.example"}, graphFlags...)...)
	if status != exitBadInput || !strings.Contains(errOut, "nobody@contoso.example") {
		t.Fatalf("expr --user of a missing user: status %d, %s", status, errOut)
	}
	status, _, errOut = runCLI(t, vars, append([]string{"provision", "--user", "nobody@contoso.example"}, flags...)...)
	if status != exitBadInput || !strings.Contains(errOut, "nobody@contoso.example") {
		t.Fatalf("provision of a missing user: status %d, %s", status, errOut)
	}

	// test-connection: good, then a wrong Druva token.
	status, out, _ = runCLI(t, vars, append([]string{"test-connection"}, flags...)...)
	if status != 0 || strings.Count(out, ": ok") != 2 {
		t.Fatalf("test-connection: status %d\n%s", status, out)
	}
	bad := map[string]string{"DRUVA_TOKEN": "wrong", "GRAPH_TOKEN": g.Token}
	status, out, _ = runCLI(t, bad, append([]string{"test-connection"}, flags...)...)
	if status != exitFailures || !strings.Contains(out, "Druva") || !strings.Contains(out, "FAILED") || strings.Contains(out, "wrong") {
		t.Fatalf("test-connection with a bad token: status %d\n%s", status, out)
	}
	bad = map[string]string{"DRUVA_TOKEN": d.Token, "GRAPH_TOKEN": "stale-graph-token"}
	status, out, _ = runCLI(t, bad, append([]string{"test-connection"}, flags...)...)
	if status != exitFailures || !strings.Contains(out, "Graph") || strings.Count(out, "FAILED") != 1 || strings.Contains(out, "stale-graph-token") {
		t.Fatalf("test-connection with a bad Graph token: status %d\n%s", status, out)
	}
}

func countActive(d *druvatest.Server) int {
	n := 0
	for _, u := range d.Users() {
		if active, _ := u.Active(); active {
			n++
		}
	}
	return n
}

// TestSyncAgainstSeparateProcesses builds druvasync, starts fake-druva and
// fake-graph as their own processes on loopback, and runs sync against them
// twice.
func TestSyncAgainstSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := filepath.Join(t.TempDir(), "druvasync")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	graph := startFake(t, bin, "fake-graph", "--addr", "127.0.0.1:0", "--users", "60", "--groups", "3")
	druvaSrv := startFake(t, bin, "fake-druva", "--addr", "127.0.0.1:0", "--rate", "200")

	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"sync", "--state", state, "--druva-url", druvaSrv["--druva-url"], "--graph-url", graph["--graph-url"],
		"--service-principal-id", graph["--service-principal-id"], "--json"}
	env := append(os.Environ(), "DRUVA_TOKEN="+druvaSrv["DRUVA_TOKEN"], "GRAPH_TOKEN="+graph["GRAPH_TOKEN"])
	runSync := func() map[string]any {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sync: %v\nstderr: %s\nstdout: %s", err, stderr.String(), out)
		}
		var res map[string]any
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("sync --json: %v\n%s", err, out)
		}
		for _, secret := range []string{druvaSrv["DRUVA_TOKEN"], graph["GRAPH_TOKEN"]} {
			if bytes.Contains(out, []byte(secret)) || bytes.Contains(stderr.Bytes(), []byte(secret)) {
				t.Fatal("a token was printed")
			}
		}
		return res
	}
	first := runSync()
	actions := first["summary"].(map[string]any)["actions"].(map[string]any)
	if actions["Create"].(float64) == 0 {
		t.Fatalf("first sync created nothing: %v", first["summary"])
	}

	// Rename a provisioned user through the fake's own Graph write API.
	var userID string
	for _, e := range first["entries"].([]any) {
		m := e.(map[string]any)
		if m["action"] == "Create" && m["status"] == "Success" {
			userID = m["sourceId"].(string)
			break
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, graph["--graph-url"]+"/v1.0/users/"+userID,
		strings.NewReader(`{"displayName":"Renamed Through Graph"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+graph["GRAPH_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PATCH user: %s", resp.Status)
	}

	second := runSync()
	sum := second["summary"].(map[string]any)
	if sum["full"] == true {
		t.Errorf("second sync should read incrementally: %v", sum)
	}
	if a := sum["actions"].(map[string]any); a["Update"] != float64(1) || a["Create"] != nil && a["Create"] != float64(0) {
		t.Errorf("second sync actions %v, want one update", a)
	}
}

// startFake starts a fake server process and returns the values it printed
// ("--druva-url", "DRUVA_TOKEN", …).
func startFake(t *testing.T, bin string, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	vals := map[string]string{}
	sc := bufio.NewScanner(stdout)
	want := 2
	if args[0] == "fake-graph" {
		want = 3
	}
	for len(vals) < want && sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, " "); ok && strings.HasPrefix(k, "--") {
			vals[k] = v
		} else if k, v, ok := strings.Cut(line, "="); ok {
			vals[k] = v
		}
	}
	if len(vals) < want {
		t.Fatalf("%s printed %v before ending: %v", args[0], vals, sc.Err())
	}
	go io.Copy(io.Discard, stdout)
	return vals
}

// TestConfigFile drives plan from a configuration file that carries the
// Druva URL, the service principal, a policy and a mapping set inline.
func TestConfigFile(t *testing.T) {
	g, d, vars, _ := fakePair(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "druvasync.yaml")
	text := "druvaURL: " + d.URL + "\n" +
		"graphURL: " + g.URL + "\n" +
		"servicePrincipalId: " + g.ServicePrincipalID + "\n" +
		"rate: 0\n" +
		"maxDeletes: 7\n" +
		"mappings:\n" +
		"  name: backup accounts\n" +
		"  required: [userName, displayName, 'emails[type eq \"work\"].value']\n" +
		"  mappings:\n" +
		"    - target: userName\n" +
		"      expression: 'Join(\"@\", [mailNickname], \"backup.example\")'\n" +
		"      match: 1\n" +
		"    - target: displayName\n" +
		"      direct: displayName\n" +
		"    - target: emails[type eq \"work\"].value\n" +
		"      direct: mail\n" +
		"    - target: active\n" +
		"      expression: Not([IsSoftDeleted])\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := runCLI(t, vars, "plan", "--config", cfg, "--json")
	if status != 0 {
		t.Fatalf("plan --config: status %d\n%s\n%s", status, out, errOut)
	}
	var res struct {
		Plan struct {
			Operations []struct {
				Action   string         `json:"action"`
				Resource map[string]any `json:"resource"`
			} `json:"operations"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	creates := 0
	for _, op := range res.Plan.Operations {
		if op.Action != "Create" {
			continue
		}
		creates++
		name, _ := op.Resource["userName"].(string)
		if !strings.HasSuffix(name, "@backup.example") {
			t.Errorf("create with userName %q: the config's mapping was not used", name)
		}
		if _, ok := op.Resource["name"]; ok {
			t.Errorf("create carries name, which the config's set does not map: %v", op.Resource)
		}
	}
	if creates == 0 {
		t.Fatalf("the plan creates nobody:\n%s", out)
	}
	if d.Len() != 0 {
		t.Fatal("plan wrote to Druva")
	}

	// The same file as JSON, without mappings: the Druva default set.
	jsonCfg := filepath.Join(dir, "druvasync.json")
	body, err := json.Marshal(map[string]any{"druvaURL": d.URL, "graphURL": g.URL, "servicePrincipalId": g.ServicePrincipalID, "rate": 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jsonCfg, body, 0o600); err != nil {
		t.Fatal(err)
	}
	status, out, errOut = runCLI(t, vars, "plan", "--config", jsonCfg)
	if status != 0 || !strings.Contains(out, "+ create") || strings.Contains(out, "@backup.example") {
		t.Fatalf("plan --config JSON: status %d\n%s\n%s", status, out, errOut)
	}
}

// TestProgressOnTerminal: on a terminal, sync shows a spinner with the
// running counts while it reads Entra and Druva, then a bar for the apply
// phase, all on stderr and cleared at the end; with --json nothing is drawn.
func TestProgressOnTerminal(t *testing.T) {
	_, _, vars, flags := fakePair(t)
	state := filepath.Join(t.TempDir(), "state.json")
	sync := func(extra ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }, isTerminal: true}
		status := run(t.Context(), env, append(append([]string{"sync", "--state", state}, flags...), extra...))
		return status, out.String(), errb.String()
	}
	status, out, errOut := sync()
	if status != 0 {
		t.Fatalf("sync: status %d\n%s\n%s", status, out, errOut)
	}
	for _, want := range []string{"reading  Entra: ", " objects  Druva: ", "apply"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%q", want, errOut)
		}
	}
	if strings.Contains(out, "reading  Entra") {
		t.Errorf("progress drawn on stdout:\n%s", out)
	}
	status, out, errOut = sync("--json")
	if status != 0 || errOut != "" {
		t.Fatalf("sync --json: status %d, stderr %q\n%s", status, errOut, out)
	}
}

// A mapping that fails to evaluate for the users is a failure: the sync
// exits 1 and says how many objects failed, rather than exit 0 with almost
// nobody provisioned.
func TestMappingFailureExitsOne(t *testing.T) {
	g, d, vars, _ := fakePair(t)
	cfg := filepath.Join(t.TempDir(), "druvasync.yaml")
	text := "druvaURL: " + d.URL + "\n" +
		"graphURL: " + g.URL + "\n" +
		"servicePrincipalId: " + g.ServicePrincipalID + "\n" +
		"rate: 0\n" +
		"mappings:\n" +
		"  name: broken title\n" +
		"  mappings:\n" +
		"    - target: userName\n" +
		"      direct: userPrincipalName\n" +
		"      match: 1\n" +
		"    - target: displayName\n" +
		"      direct: displayName\n" +
		"    - target: emails[type eq \"work\"].value\n" +
		"      direct: mail\n" +
		"    - target: title\n" +
		"      expression: 'FormatDateTime([displayName], , \"yyyyMMddHHmmss.fZ\", \"yyyy-MM-dd\")'\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := runCLI(t, vars, "sync", "--config", cfg)
	if status != exitFailures || !strings.Contains(errOut, "objects failed") {
		t.Fatalf("sync with a failing mapping: status %d, want %d\n%s\n%s", status, exitFailures, out, errOut)
	}
	if d.Len() != 0 {
		t.Fatalf("created %d users with a failing mapping", d.Len())
	}
}

// scope: all in the configuration file is Entra's "Sync all users and
// groups": users that are not assigned are created too.
func TestConfigScopeAll(t *testing.T) {
	g, d, vars, _ := fakePair(t)
	dir := t.TempDir()
	creates := func(scope string) (int, string) {
		t.Helper()
		cfg := filepath.Join(dir, "druvasync-"+scope+".json")
		c := map[string]any{"druvaURL": d.URL, "graphURL": g.URL, "servicePrincipalId": g.ServicePrincipalID, "rate": 0}
		if scope != "" {
			c["scope"] = scope
		}
		body, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, body, 0o600); err != nil {
			t.Fatal(err)
		}
		status, out, errOut := runCLI(t, vars, "plan", "--config", cfg)
		if status != 0 {
			return -1, errOut
		}
		return strings.Count(out, "+ create"), out
	}
	assigned, out := creates("")
	all, outAll := creates("all")
	if assigned <= 0 || all <= assigned {
		t.Fatalf("creates: %d with the default scope, %d with scope all\n%s\n%s", assigned, all, out, outAll)
	}
	if n, errOut := creates("everyone"); n != -1 || !strings.Contains(errOut, `scope "everyone"`) {
		t.Fatalf("a bad scope: %d creates, %s", n, errOut)
	}
}

// provision --group is Entra's provision on demand of a group: up to 5 of
// its user members, each step by step.
func TestProvisionGroup(t *testing.T) {
	g, d, vars, flags := fakePair(t)
	state := filepath.Join(t.TempDir(), "state.json")
	var group string
	var members []string
	for _, id := range g.GroupIDs() {
		users, _, err := g.GroupMembers(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) > 5 {
			group, members = id, users
			break
		}
	}
	if group == "" {
		t.Fatal("no group with more than 5 members")
	}
	status, out, errOut := runCLI(t, vars, append([]string{"provision", "--group", group, "--state", state}, flags...)...)
	if status != exitConverged {
		t.Fatalf("provision --group: status %d\n%s\n%s", status, out, errOut)
	}
	if n := strings.Count(out, "Provision on demand:"); n != 5 {
		t.Fatalf("%d users provisioned, want 5 of %d members:\n%s", n, len(members), out)
	}
	if d.Len() == 0 || d.Len() > 5 {
		t.Fatalf("Druva holds %d users after provisioning 5 members (in scope or not)", d.Len())
	}
	status, _, errOut = runCLI(t, vars, append([]string{"provision", "--group", "00000000-0000-4000-8000-000000000404", "--state", state}, flags...)...)
	if status != exitBadInput || !strings.Contains(errOut, "not found") {
		t.Fatalf("an unknown group: status %d, %s", status, errOut)
	}
}

// restart takes the state's lock, clears the delta link and keeps the
// links: the next sync is a full cycle for "restart".
func TestRestartCommand(t *testing.T) {
	_, d, vars, flags := fakePair(t)
	state := filepath.Join(t.TempDir(), "state.json")
	if status, out, errOut := runCLI(t, vars, append([]string{"sync", "--state", state}, flags...)...); status != 0 {
		t.Fatalf("sync: status %d\n%s\n%s", status, out, errOut)
	}
	created := d.Len()
	status, out, errOut := runCLI(t, vars, "restart", "--state", state)
	if status != 0 || !strings.Contains(out, "restart: done") {
		t.Fatalf("restart: status %d\n%s\n%s", status, out, errOut)
	}
	status, out, errOut = runCLI(t, vars, append([]string{"sync", "--state", state}, flags...)...)
	if status != 0 || !strings.Contains(out, "(full: restart)") || d.Len() != created {
		t.Fatalf("sync after restart: status %d, %d users (had %d)\n%s\n%s", status, d.Len(), created, out, errOut)
	}
	status, _, errOut = runCLI(t, vars, "restart")
	if status != exitBadInput || !strings.Contains(errOut, "--state") {
		t.Fatalf("restart without a state: status %d, %s", status, errOut)
	}
}

// Entra's settings in the configuration file: the target object actions
// and SkipOutOfScopeDeletions reach the planner.
func TestConfigEntraSettings(t *testing.T) {
	g, _, vars, flags := fakePair(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	if status, out, errOut := runCLI(t, vars, append([]string{"sync", "--state", state}, flags...)...); status != 0 {
		t.Fatalf("sync: status %d\n%s\n%s", status, out, errOut)
	}
	for _, a := range g.Assignments() {
		if a.PrincipalType == "User" {
			if err := g.RemoveAssignment(a.ID); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	id, err := g.CreateUser(map[string]any{"userPrincipalName": "ola@contoso.example", "displayName": "Ola",
		"mail": "ola@contoso.example", "mailNickname": "ola", "accountEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddAssignment(id, g.AppRoles()[0].ID); err != nil {
		t.Fatal(err)
	}
	plan := func(text string) string {
		t.Helper()
		cfg := filepath.Join(dir, "druvasync.yaml")
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		status, out, errOut := runCLI(t, vars, append([]string{"plan", "--state", state, "--config", cfg}, flags...)...)
		if status != 0 {
			t.Fatalf("plan: status %d\n%s\n%s", status, out, errOut)
		}
		return out
	}
	if out := plan("maxDeletes: 0\n"); !strings.Contains(out, "+ create") || !strings.Contains(out, "- disable") {
		t.Fatalf("default settings: want a create and a disable\n%s", out)
	}
	out := plan("skipOutOfScopeDeletions: true\ntargetObjectActions:\n  create: false\n")
	if strings.Contains(out, "+ create") || strings.Contains(out, "- disable") {
		t.Fatalf("skipOutOfScopeDeletions and create: false: want neither a create nor a disable\n%s", out)
	}
}
