package logstore_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/google/go-cmp/cmp"
)

func TestPrune(t *testing.T) {
	s := open(t, "")
	logstore.SetPruneBatch(s, 50)
	var old []logstore.Entry
	for i := range 120 { // more than two pruning batches
		old = append(old, entry(i, t0))
	}
	oldCycle := cycle(t, s, logstore.KindInitial, t0, old)
	mixed := cycle(t, s, logstore.KindIncremental, t0.Add(time.Hour),
		[]logstore.Entry{entry(1, t0.Add(time.Hour)), entry(2, t0.Add(3*time.Hour))})
	running, err := s.BeginCycle(t.Context(), logstore.CycleStart{Tenant: "contoso", Kind: logstore.KindIncremental, Started: t0})
	if err != nil {
		t.Fatal(err)
	}

	n, err := s.Prune(t.Context(), t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 121 {
		t.Errorf("pruned %d entries, want 121", n)
	}
	var cycles []int64
	for _, c := range collect(t, s.Cycles(t.Context(), logstore.CycleQuery{})) {
		cycles = append(cycles, c.ID)
	}
	if d := cmp.Diff([]int64{running, mixed}, cycles); d != "" {
		t.Errorf("cycles kept (-want +got):\n%s (the empty old cycle %d goes, the running one stays)", d, oldCycle)
	}
	if d := cmp.Diff([]string{"c-2"}, ids(collect(t, s.Entries(t.Context(), logstore.Query{})))); d != "" {
		t.Errorf("entries kept (-want +got):\n%s", d)
	}
}

// TestPrunerWithWriter runs the background pruner, driven by an injected
// ticker and clock, while a writer writes cycles: no write fails, and
// what is older than the retention goes.
func TestPrunerWithWriter(t *testing.T) {
	clk := fakeclock.New(t0)
	var logs bytes.Buffer
	s := open(t, "", logstore.WithClock(clk.Now), logstore.WithRetention(24*time.Hour), logstore.WithBusyTimeout(time.Minute),
		logstore.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	logstore.SetPruneBatch(s, 50)
	for d := range 3 {
		day := t0.Add(time.Duration(d) * 24 * time.Hour)
		var es []logstore.Entry
		for i := range 300 {
			es = append(es, entry(i, day))
		}
		cycle(t, s, logstore.KindIncremental, day, es)
	}
	clk.Advance(3 * 24 * time.Hour) // days 0 and 1 are now older than a day

	ctx, cancel := context.WithCancel(t.Context())
	tick := make(chan time.Time)
	var pruner, writer sync.WaitGroup
	pruner.Go(func() { s.RunPruner(ctx, tick) })
	now := clk.Now()
	writer.Go(func() {
		for i := range 20 {
			cycle(t, s, logstore.KindIncremental, now, []logstore.Entry{entry(i, now)})
		}
	})
	tick <- now
	tick <- now // the first pruning is over once the pruner takes the second tick
	writer.Wait()
	cancel()
	pruner.Wait()

	var days []time.Time
	for _, c := range collect(t, s.Cycles(t.Context(), logstore.CycleQuery{Limit: 100})) {
		if len(days) == 0 || !days[len(days)-1].Equal(c.Started) {
			days = append(days, c.Started)
		}
	}
	if d := cmp.Diff([]time.Time{now, t0.Add(48 * time.Hour)}, days); d != "" {
		t.Errorf("cycle days kept (-want +got):\n%s", d)
	}
	if !strings.Contains(logs.String(), "msg=\"log store pruned\" entries=600") {
		t.Errorf("the pruning was not logged:\n%s", logs.String())
	}
	if n := len(collect(t, s.Entries(t.Context(), logstore.Query{Limit: logstore.MaxLimit}))); n != 320 {
		t.Errorf("%d entries kept, want 320", n)
	}
}

func TestFollow(t *testing.T) {
	s := open(t, "")
	cycle(t, s, logstore.KindInitial, t0, []logstore.Entry{entry(0, t0), entry(1, t0)})
	id, err := s.BeginCycle(t.Context(), logstore.CycleStart{Tenant: "contoso", Kind: logstore.KindIncremental, Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	tick := make(chan time.Time)
	got := make(chan string)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e, err := range s.Follow(ctx, logstore.Query{Status: "Success"}, 1, tick) {
			if err != nil {
				t.Error(err)
				return
			}
			got <- e.ChangeID
		}
	}()
	if c := <-got; c != "c-1" { // written before, after the cursor
		t.Errorf("first followed entry %s, want c-1", c)
	}
	failed := entry(3, t0)
	failed.Status = "Failure"
	if err := s.AddEntries(t.Context(), id, []logstore.Entry{entry(2, t0), failed, entry(4, t0)}); err != nil {
		t.Fatal(err)
	}
	tick <- t0
	for _, want := range []string{"c-2", "c-4"} {
		if c := <-got; c != want {
			t.Errorf("followed %s, want %s", c, want)
		}
	}
	tick <- t0 // nothing new: the follower waits for the next tick
	cancel()
	<-done
}
