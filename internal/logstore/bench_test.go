package logstore_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/logstore"
)

// BenchmarkLogStore writes what an initial sync of a large tenant writes
// (one cycle with an entry per user; LOGSTORE_BENCH_USERS, default
// 1,000,000) followed by 30 days of incremental cycles every 40 minutes,
// then times queries by user and by status. Run it alone, once:
//
//	go test -run '^$' -bench BenchmarkLogStore -benchtime 1x ./internal/logstore/
func BenchmarkLogStore(b *testing.B) {
	users := 1_000_000
	if v := os.Getenv("LOGSTORE_BENCH_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("LOGSTORE_BENCH_USERS=%q: want a number of users, at least 1000", v)
		}
		users = n
	}
	for b.Loop() {
		benchLogStore(b, users)
	}
}

func benchLogStore(b *testing.B, users int) {
	ctx := b.Context()
	path := filepath.Join(b.TempDir(), "log.db")
	s, err := logstore.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	// The initial cycle: one entry per user, written in batches of 50,000
	// (a batch is one transaction) to bound the benchmark's memory.
	began := time.Now()
	id, err := s.BeginCycle(ctx, logstore.CycleStart{Tenant: "contoso", Kind: logstore.KindInitial, Started: start})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 50_000
	for lo := 0; lo < users; lo += batch {
		es := make([]logstore.Entry, 0, batch)
		for i := lo; i < min(lo+batch, users); i++ {
			es = append(es, benchEntry(i, start.Add(time.Duration(i)*time.Millisecond), i%100 == 0))
		}
		if err := s.AddEntries(ctx, id, es); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.EndCycle(ctx, id, logstore.CycleEnd{Ended: start.Add(time.Hour), Outcome: logstore.OutcomeSucceeded}); err != nil {
		b.Fatal(err)
	}
	initial := time.Since(began)

	// 30 days of incremental cycles, one every 40 minutes, each with a
	// few dozen changes (1 in 20 failing).
	rng := rand.New(rand.NewPCG(1, 2))
	began = time.Now()
	incremental := 0
	for at := start.Add(time.Hour); at.Before(start.Add(30 * 24 * time.Hour)); at = at.Add(40 * time.Minute) {
		es := make([]logstore.Entry, 50)
		for i := range es {
			es[i] = benchEntry(rng.IntN(users), at, rng.IntN(20) == 0)
			es[i].Action = "Update"
		}
		cycle(b, s, logstore.KindIncremental, at, es)
		incremental += len(es)
	}
	incrementalTime := time.Since(began)
	size, err := s.Size(ctx)
	if err != nil {
		b.Fatal(err)
	}

	byUser := timeQueries(b, s, 1000, func(i int) logstore.Query {
		u := rng.IntN(users)
		switch i % 3 {
		case 0:
			return logstore.Query{User: fmt.Sprintf("USER%d@contoso.example", u)}
		case 1:
			return logstore.Query{User: fmt.Sprintf("User Number %d", u)}
		}
		return logstore.Query{User: benchSourceID(u)}
	})
	byStatus := timeQueries(b, s, 200, func(i int) logstore.Query {
		q := logstore.Query{Status: "Failure"}
		if i%2 == 1 { // one day, somewhere in the month
			q.Since = start.Add(time.Duration(rng.IntN(29)) * 24 * time.Hour)
			q.Until = q.Since.Add(24 * time.Hour)
		}
		return q
	})
	b.ReportMetric(float64(initial.Milliseconds())/1000, "initial-write-s")
	b.ReportMetric(float64(users)/initial.Seconds(), "entries/s")
	b.ReportMetric(float64(size)/(1<<20), "db-MiB")
	b.ReportMetric(float64(byUser[0].Microseconds())/1000, "user-p50-ms")
	b.ReportMetric(float64(byUser[1].Microseconds())/1000, "user-p99-ms")
	b.ReportMetric(float64(byStatus[0].Microseconds())/1000, "status-p50-ms")
	b.ReportMetric(float64(byStatus[1].Microseconds())/1000, "status-p99-ms")
	b.Logf("initial cycle: %d entries in %v; 30 days: %d entries in %v; database %.1f MiB; by user p50 %v p99 %v; by status p50 %v p99 %v",
		users, initial.Round(time.Millisecond), incremental, incrementalTime.Round(time.Millisecond), float64(size)/(1<<20),
		byUser[0], byUser[1], byStatus[0], byStatus[1])
}

// timeQueries runs n queries (reading their page in full) and returns
// the p50 and p99 durations.
func timeQueries(b *testing.B, s logstore.Store, n int, query func(int) logstore.Query) [2]time.Duration {
	ds := make([]time.Duration, n)
	found := 0
	for i := range n {
		q := query(i)
		began := time.Now()
		for _, err := range s.Entries(b.Context(), q) {
			if err != nil {
				b.Fatal(err)
			}
			found++
		}
		ds[i] = time.Since(began)
	}
	if found == 0 {
		b.Fatal("the queries found nothing")
	}
	slices.Sort(ds)
	return [2]time.Duration{ds[n/2], ds[n*99/100]}
}

func benchSourceID(i int) string { return fmt.Sprintf("5f3c1b2a-0000-4000-8000-%012d", i) }

func benchEntry(i int, at time.Time, failed bool) logstore.Entry {
	e := logstore.Entry{
		Time:        at,
		ChangeID:    fmt.Sprintf("%d-%d", at.Unix(), i),
		SourceID:    benchSourceID(i),
		DruvaID:     strconv.Itoa(7_000_000 + i),
		DisplayName: fmt.Sprintf("User Number %d", i),
		UserName:    fmt.Sprintf("user%d@contoso.example", i),
		Action:      "Create",
		Status:      "Success",
		Steps: []logstore.Step{{Name: "Import", Status: "Success"}, {Name: "Scope", Status: "Success"},
			{Name: "Match", Status: "Success"}, {Name: "Action", Status: "Success"}},
		Modified: []logstore.PropertyChange{{Path: "emails[type eq \"work\"].value", New: fmt.Sprintf("user%d@contoso.example", i)},
			{Path: "title", New: "Engineer"}},
	}
	if failed {
		e.Status, e.ErrorCode, e.Detail = "Failure", "HttpConflict", "409 uniqueness: userName already exists"
		e.Steps[3].Status = "Failure"
	}
	return e
}
