package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/service"
)

// TestSyncRecordsLogsAndCycles: sync records each cycle next to the state;
// logs and cycles read them back with their filters and formats.
func TestSyncRecordsLogsAndCycles(t *testing.T) {
	g, _, vars, flags := fakePair(t)
	state := filepath.Join(t.TempDir(), "state.json")
	sync := func() {
		t.Helper()
		if status, out, errOut := runCLI(t, vars, append([]string{"sync", "--state", state}, flags...)...); status != 0 {
			t.Fatalf("sync: %d\n%s\n%s", status, out, errOut)
		}
	}
	sync()
	status, out, errOut := runCLI(t, nil, "logs", "--state", state, "--action", "create", "--json", "--limit", "1")
	if status != 0 {
		t.Fatalf("logs: %d %s", status, errOut)
	}
	var first logstore.Entry
	if err := json.Unmarshal([]byte(out), &first); err != nil || first.UserName == "" || first.SourceID == "" {
		t.Fatalf("logs --json: %v %q", err, out)
	}
	if err := g.UpdateUser(first.SourceID, map[string]any{"displayName": "Renamed Person"}); err != nil {
		t.Fatal(err)
	}
	sync()

	status, out, _ = runCLI(t, nil, "cycles", "--state", state, "--json")
	var cycles []logstore.Cycle
	for line := range strings.Lines(out) {
		var c logstore.Cycle
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("cycles --json: %v %q", err, line)
		}
		cycles = append(cycles, c)
	}
	if status != 0 || len(cycles) != 2 {
		t.Fatalf("cycles: status %d, %d cycles", status, len(cycles))
	}
	initial, incr := cycles[1], cycles[0]
	if initial.Kind != logstore.KindInitial || incr.Kind != logstore.KindIncremental || initial.Actions["Create"] == 0 ||
		incr.Actions["Update"] != 1 || initial.DruvaRequests == 0 || initial.GraphRequests == 0 || incr.Outcome != logstore.OutcomeSucceeded {
		t.Errorf("cycles: %+v", cycles)
	}
	if status, out, _ = runCLI(t, nil, "cycles", "--state", state); status != 0 || !strings.Contains(out, "initial") || !strings.Contains(out, "GRAPH REQ") {
		t.Errorf("cycles table: %d\n%s", status, out)
	}

	// By user (UPN, any case), in a table: the create and the update.
	status, out, _ = runCLI(t, nil, "logs", "--state", state, "--user", strings.ToUpper(first.UserName))
	if status != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "Create  Success") || !strings.Contains(out, `"Renamed Person"`) {
		t.Errorf("logs --user: %d\n%s", status, out)
	}
	status, out, _ = runCLI(t, nil, "logs", "--log-db", service.LogPath(state), "--action", "Update", "--csv", "--since", "1h", "--cycle", "2")
	if status != 0 || !strings.HasPrefix(out, "id,cycle,time,") || strings.Count(out, "\n") != 2 || !strings.Contains(out, "displayName") {
		t.Errorf("logs --csv: %d\n%s", status, out)
	}
	if _, out, _ = runCLI(t, nil, "logs", "--state", state, "--status", "Failure"); strings.TrimSpace(out) != "" {
		t.Errorf("failures: %q", out)
	}

	for _, bad := range [][]string{{"--action", "Drop"}, {"--status", "ok"}, {"--since", "yesterday"}, {"--json", "--csv"},
		{"--limit", "0"}, {"--since", "2026-05-02", "--until", "2026-05-01"}} {
		if status, _, errOut := runCLI(t, nil, append([]string{"logs", "--state", state}, bad...)...); status != exitBadInput || errOut == "" {
			t.Errorf("logs %v: %d %q", bad, status, errOut)
		}
	}
	if status, _, errOut := runCLI(t, nil, "logs"); status != exitBadInput || !strings.Contains(errOut, "--state") {
		t.Errorf("logs without a database: %d %q", status, errOut)
	}
	if status, _, errOut := runCLI(t, nil, "cycles", "--state", filepath.Join(t.TempDir(), "none.json")); status != exitBadInput || !strings.Contains(errOut, "no provisioning log") {
		t.Errorf("cycles without a database: %d %q", status, errOut)
	}
}

// notifyBuffer is a writer that signals each write.
type notifyBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsFollow: logs --follow prints entries a sync writes while it runs.
func TestLogsFollow(t *testing.T) {
	g, _, vars, flags := fakePair(t)
	state := filepath.Join(t.TempDir(), "state.json")
	if status, _, errOut := runCLI(t, vars, append([]string{"sync", "--state", state}, flags...)...); status != 0 {
		t.Fatalf("sync: %s", errOut)
	}
	ctx, cancel := context.WithCancel(t.Context())
	out := &notifyBuffer{wrote: make(chan struct{}, 1)}
	done := make(chan int)
	go func() {
		env := &environment{stdout: out, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
		done <- run(ctx, env, []string{"logs", "--state", state, "--action", "Update", "--follow", "--json"})
	}()
	var src string
	for _, u := range g.Assignments() {
		if u.PrincipalType == "User" {
			src = u.PrincipalID
			break
		}
	}
	if err := g.UpdateUser(src, map[string]any{"displayName": "Followed Person"}); err != nil {
		t.Fatal(err)
	}
	if status, _, errOut := runCLI(t, vars, append([]string{"sync", "--state", state}, flags...)...); status != 0 {
		t.Fatalf("second sync: %s", errOut)
	}
	for !strings.Contains(out.String(), "Followed Person") {
		<-out.wrote
	}
	cancel()
	if status := <-done; status != 0 {
		t.Errorf("logs --follow ended with %d", status)
	}
}
