package logstore_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/logstore"
)

const crashBatch = 200

// TestMain lets the crash test run this test binary as a writer that it
// kills.
func TestMain(m *testing.M) {
	if path := os.Getenv("LOGSTORE_CRASH_WRITER"); path != "" {
		crashWriter(path)
		return
	}
	os.Exit(m.Run())
}

// crashWriter writes batches into one cycle for ever, printing the number
// of each committed batch, until it is killed.
func crashWriter(path string) {
	ctx := context.Background()
	s, err := logstore.Open(ctx, path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	id, err := s.BeginCycle(ctx, logstore.CycleStart{Tenant: "contoso", Kind: logstore.KindInitial, Started: t0})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for b := 0; ; b++ {
		batch := make([]logstore.Entry, crashBatch)
		for i := range batch {
			batch[i] = entry(b*crashBatch+i, t0.Add(time.Duration(b)*time.Second))
		}
		if err := s.AddEntries(ctx, id, batch); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(b + 1)
	}
}

// TestKilledWriter kills a writer with SIGKILL while it writes batch after
// batch into one cycle: the database stays intact, holds only whole
// batches (at least those the writer reported committed), and the next
// writer marks the cycle interrupted.
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	path := filepath.Join(t.TempDir(), "log.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOGSTORE_CRASH_WRITER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	committed := 0
	for committed < 5 && lines.Scan() {
		n, err := strconv.Atoi(lines.Text())
		if err != nil {
			t.Fatalf("writer: %s", lines.Text())
		}
		committed = n
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if committed < 5 {
		t.Fatalf("the writer stopped after %d batches", committed)
	}

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
	db.Close()

	s := open(t, path)
	c, err := s.Cycle(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Outcome != logstore.OutcomeInterrupted {
		t.Errorf("outcome %s, want interrupted", c.Outcome)
	}
	if c.Entries < int64(committed*crashBatch) || c.Entries%crashBatch != 0 {
		t.Errorf("%d entries after %d committed batches of %d: a partial or lost batch", c.Entries, committed, crashBatch)
	}
	// The store takes a new cycle after the crash.
	cycle(t, s, logstore.KindIncremental, t0.Add(time.Hour), []logstore.Entry{entry(-1, t0.Add(time.Hour))})
	t.Logf("killed after %d reported batches; %d entries kept", committed, c.Entries)
}
