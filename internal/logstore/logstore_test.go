package logstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, path string, opts ...logstore.Option) *logstore.SQLite {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "log.db")
	}
	s, err := logstore.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func entry(i int, when time.Time) logstore.Entry {
	return logstore.Entry{
		Time:        when,
		ChangeID:    fmt.Sprintf("c-%d", i),
		SourceID:    fmt.Sprintf("00000000-0000-0000-0000-%012d", i),
		DruvaID:     fmt.Sprintf("%d", 1000+i),
		DisplayName: fmt.Sprintf("User %d", i),
		UserName:    fmt.Sprintf("user%d@contoso.example", i),
		Action:      "Create",
		Status:      "Success",
	}
}

// cycle writes one ended cycle holding entries and returns its id.
func cycle(t testing.TB, s logstore.Store, kind logstore.CycleKind, start time.Time, entries []logstore.Entry) int64 {
	t.Helper()
	ctx := t.Context()
	id, err := s.BeginCycle(ctx, logstore.CycleStart{Tenant: "contoso", Kind: kind, Started: start})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddEntries(ctx, id, entries); err != nil {
		t.Fatal(err)
	}
	err = s.EndCycle(ctx, id, logstore.CycleEnd{Ended: start.Add(time.Minute), Outcome: logstore.OutcomeSucceeded,
		Actions: map[string]int{"Create": len(entries)}, Statuses: map[string]int{"Success": len(entries)},
		DruvaRequests: int64(len(entries) + 1), GraphRequests: 2})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func ids(es []logstore.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ChangeID)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	s := open(t, "")
	want := entry(1, t0.Add(time.Second))
	want.Action, want.Status = "Update", "Failure"
	want.ErrorCode, want.Message, want.Detail = "SystemForCrossDomainIdentityManagementServiceIncompatible", "fix the mapping", "400 invalidValue"
	want.Steps = []logstore.Step{{Name: "Import", Status: "Success"}, {Name: "Action", Status: "Failure", Detail: "400"}}
	want.Modified = []logstore.PropertyChange{{Path: "title", Old: "Engineer", New: "Lead"}}
	id := cycle(t, s, logstore.KindInitial, t0, []logstore.Entry{entry(0, t0), want})

	got := collect(t, s.Entries(t.Context(), logstore.Query{}))
	want.ID, want.CycleID = 2, id
	if d := cmp.Diff(want, got[0]); d != "" {
		t.Errorf("newest entry (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"c-1", "c-0"}, ids(got)); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	c, err := s.Cycle(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	wantCycle := logstore.Cycle{ID: id, Tenant: "contoso", Kind: logstore.KindInitial, Started: t0,
		Ended: t0.Add(time.Minute), Outcome: logstore.OutcomeSucceeded, Actions: map[string]int{"Create": 2},
		Statuses: map[string]int{"Success": 2}, DruvaRequests: 3, GraphRequests: 2, Entries: 2}
	if d := cmp.Diff(wantCycle, c); d != "" {
		t.Errorf("cycle (-want +got):\n%s", d)
	}
	if c.Duration() != time.Minute {
		t.Errorf("Duration = %v", c.Duration())
	}
	if size, err := s.Size(t.Context()); err != nil || size < 4096 {
		t.Errorf("Size = %d, %v", size, err)
	}
	if _, err := s.Cycle(t.Context(), 99); !errors.Is(err, logstore.ErrNotFound) {
		t.Errorf("Cycle(99): %v, want ErrNotFound", err)
	}
	if err := s.AddEntries(t.Context(), id, []logstore.Entry{entry(5, t0)}); !errors.Is(err, logstore.ErrCycleEnded) {
		t.Errorf("AddEntries to an ended cycle: %v, want ErrCycleEnded", err)
	}
	if err := s.AddEntries(t.Context(), 99, []logstore.Entry{entry(5, t0)}); !errors.Is(err, logstore.ErrNotFound) {
		t.Errorf("AddEntries to no cycle: %v, want ErrNotFound", err)
	}
	if n := len(collect(t, s.Entries(t.Context(), logstore.Query{}))); n != 2 {
		t.Errorf("%d entries after refused writes, want 2", n)
	}
}

func TestCyclesNewestFirst(t *testing.T) {
	s := open(t, "")
	var want []int64
	for i := range 5 {
		want = append(want, cycle(t, s, logstore.KindIncremental, t0.Add(time.Duration(i)*40*time.Minute), nil))
	}
	slices.Reverse(want)
	var got []int64
	for _, c := range collect(t, s.Cycles(t.Context(), logstore.CycleQuery{Limit: 3})) {
		got = append(got, c.ID)
	}
	if d := cmp.Diff(want[:3], got); d != "" {
		t.Errorf("last 3 cycles (-want +got):\n%s", d)
	}
	got = nil
	for _, c := range collect(t, s.Cycles(t.Context(), logstore.CycleQuery{Before: want[2]})) {
		got = append(got, c.ID)
	}
	if d := cmp.Diff(want[3:], got); d != "" {
		t.Errorf("next page (-want +got):\n%s", d)
	}
	if n := len(collect(t, s.Cycles(t.Context(), logstore.CycleQuery{Tenant: "fabrikam"}))); n != 0 {
		t.Errorf("%d cycles of another tenant", n)
	}
}

func TestFilters(t *testing.T) {
	s := open(t, "")
	var es []logstore.Entry
	for i := range 10 {
		e := entry(i, t0.Add(time.Duration(i)*time.Minute))
		switch i {
		case 3:
			e.DisplayName, e.UserName = "Åsa Öberg", "asa.oberg@contoso.example"
		case 4:
			e.Action, e.Status, e.ErrorCode = "Update", "Failure", "HttpConflict"
		case 5:
			e.Action, e.Status, e.Reason = "Skip", "Skipped", "NotEffectivelyEntitled"
		}
		es = append(es, e)
	}
	first := cycle(t, s, logstore.KindInitial, t0, es[:6])
	second := cycle(t, s, logstore.KindIncremental, t0.Add(time.Hour), es[6:])
	tests := []struct {
		name string
		q    logstore.Query
		want []string
	}{
		{"all", logstore.Query{}, []string{"c-9", "c-8", "c-7", "c-6", "c-5", "c-4", "c-3", "c-2", "c-1", "c-0"}},
		{"display name, other case", logstore.Query{User: "åSA öBERG"}, []string{"c-3"}},
		{"userName", logstore.Query{User: "ASA.OBERG@contoso.example"}, []string{"c-3"}},
		{"source id", logstore.Query{User: "00000000-0000-0000-0000-000000000007"}, []string{"c-7"}},
		{"druva id", logstore.Query{User: "1002"}, []string{"c-2"}},
		{"user with spaces", logstore.Query{User: "  user 8 "}, []string{"c-8"}},
		{"action", logstore.Query{Action: "Update"}, []string{"c-4"}},
		{"status", logstore.Query{Status: "Failure"}, []string{"c-4"}},
		{"error code as reason", logstore.Query{Reason: "HttpConflict"}, []string{"c-4"}},
		{"reason", logstore.Query{Reason: "NotEffectivelyEntitled"}, []string{"c-5"}},
		{"cycle", logstore.Query{CycleID: second}, []string{"c-9", "c-8", "c-7", "c-6"}},
		{"tenant", logstore.Query{Tenant: "contoso", CycleID: first, Limit: 2}, []string{"c-5", "c-4"}},
		{"other tenant", logstore.Query{Tenant: "fabrikam"}, nil},
		{"since until", logstore.Query{Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute)}, []string{"c-3", "c-2"}},
		{"page", logstore.Query{Before: 8, Limit: 3}, []string{"c-6", "c-5", "c-4"}},
		{"combined", logstore.Query{Action: "Create", Status: "Success", Since: t0.Add(5 * time.Minute)}, []string{"c-9", "c-8", "c-7", "c-6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, ids(collect(t, s.Entries(t.Context(), tt.q)))); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestBadQueries(t *testing.T) {
	s := open(t, "")
	for name, q := range map[string]logstore.Query{
		"negative limit":    {Limit: -1},
		"since after until": {Since: t0, Until: t0.Add(-time.Second)},
	} {
		for _, err := range s.Entries(t.Context(), q) {
			if !errors.Is(err, logstore.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
	}
	if _, err := s.BeginCycle(t.Context(), logstore.CycleStart{Kind: "weekly", Started: t0}); !errors.Is(err, logstore.ErrInvalid) {
		t.Errorf("BeginCycle with a bad kind: %v", err)
	}
	id, err := s.BeginCycle(t.Context(), logstore.CycleStart{Kind: logstore.KindInitial, Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddEntries(t.Context(), id, []logstore.Entry{{ChangeID: "x"}}); !errors.Is(err, logstore.ErrInvalid) {
		t.Errorf("AddEntries without a time: %v", err)
	}
	if err := s.EndCycle(t.Context(), id, logstore.CycleEnd{Ended: t0, Outcome: logstore.OutcomeRunning}); !errors.Is(err, logstore.ErrInvalid) {
		t.Errorf("EndCycle as running: %v", err)
	}
	if _, err := logstore.Open(t.Context(), ""); !errors.Is(err, logstore.ErrInvalid) {
		t.Errorf("Open(\"\"): %v", err)
	}
	if _, err := logstore.Open(t.Context(), "x.db", logstore.WithRetention(0)); !errors.Is(err, logstore.ErrInvalid) {
		t.Errorf("WithRetention(0): %v", err)
	}
}

// TestHostileFilters puts SQL and LIKE metacharacters into every filter:
// each is matched literally (finding the one entry that holds it, or
// nothing), and the tables are unchanged.
func TestHostileFilters(t *testing.T) {
	hostile := []string{
		`' OR '1'='1`, `x' OR 1=1 --`, `"; DROP TABLE entries; --`, `'); DELETE FROM cycles; --`,
		`%`, `_`, `*`, `\`, "a\x00b", `1 UNION SELECT * FROM meta`, `) OR (1=1`, `?`, `$1`,
	}
	s := open(t, "")
	var es []logstore.Entry
	for i, h := range hostile {
		e := entry(i, t0)
		e.DisplayName, e.Action, e.Status, e.Reason = "name "+h, "action "+h, "status "+h, "reason "+h
		es = append(es, e)
	}
	cycle(t, s, logstore.KindInitial, t0, es)
	total := len(es)
	for i, h := range hostile {
		for _, f := range []struct {
			name  string
			q     logstore.Query
			match logstore.Query
		}{
			{"user", logstore.Query{User: h}, logstore.Query{User: "name " + h}},
			{"action", logstore.Query{Action: h}, logstore.Query{Action: "action " + h}},
			{"status", logstore.Query{Status: h}, logstore.Query{Status: "status " + h}},
			{"reason", logstore.Query{Reason: h}, logstore.Query{Reason: "reason " + h}},
			{"tenant", logstore.Query{Tenant: h}, logstore.Query{}},
		} {
			if got := collect(t, s.Entries(t.Context(), f.q)); len(got) != 0 {
				t.Errorf("%s %q matched %v", f.name, h, ids(got))
			}
			if f.name == "tenant" {
				continue
			}
			got := ids(collect(t, s.Entries(t.Context(), f.match)))
			if d := cmp.Diff([]string{fmt.Sprintf("c-%d", i)}, got); d != "" {
				t.Errorf("%s %q (-want +got):\n%s", f.name, "… "+h, d)
			}
		}
		if n := len(collect(t, s.Cycles(t.Context(), logstore.CycleQuery{Tenant: h}))); n != 0 {
			t.Errorf("cycles of tenant %q: %d", h, n)
		}
	}
	if n := len(collect(t, s.Entries(t.Context(), logstore.Query{Limit: logstore.MaxLimit}))); n != total {
		t.Errorf("%d entries after hostile queries, want %d", n, total)
	}
	if n := len(collect(t, s.Cycles(t.Context(), logstore.CycleQuery{}))); n != 1 {
		t.Errorf("%d cycles after hostile queries, want 1", n)
	}
}

func TestScrub(t *testing.T) {
	s := open(t, "")
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	e := entry(1, t0)
	e.Detail = "401 from Druva: Authorization: Bearer abc.DEF-123/xyz= refused"
	e.Message = "token " + jwt + " expired"
	e.ErrorCode = "BEARER abc"
	e.Steps = []logstore.Step{{Name: "Action", Status: "Failure", Detail: "bearer s3cr3t"}}
	e.Modified = []logstore.PropertyChange{{Path: "password", Old: "old-secret", New: "new-secret", Redacted: true},
		{Path: "note", Old: "", New: "Bearer zzz"}}
	given := e
	given.Steps, given.Modified = slices.Clone(e.Steps), slices.Clone(e.Modified)
	cycle(t, s, logstore.KindInitial, t0, []logstore.Entry{e})
	if d := cmp.Diff(given, e); d != "" {
		t.Errorf("AddEntries modified its argument:\n%s", d)
	}
	got := collect(t, s.Entries(t.Context(), logstore.Query{}))[0]
	want := e
	want.ID, want.CycleID = got.ID, got.CycleID
	want.Detail = "401 from Druva: Authorization: Bearer [masked] refused"
	want.Message = "token [masked] expired"
	want.ErrorCode = "BEARER [masked]"
	want.Steps = []logstore.Step{{Name: "Action", Status: "Failure", Detail: "bearer [masked]"}}
	want.Modified = []logstore.PropertyChange{{Path: "password", Redacted: true}, {Path: "note", New: "Bearer [masked]"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stored entry (-want +got):\n%s", d)
	}
}

func TestInterruptedOnReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	clk := fakeclock.New(t0.Add(time.Hour))
	s, err := logstore.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.BeginCycle(t.Context(), logstore.CycleStart{Tenant: "contoso", Kind: logstore.KindInitial, Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddEntries(t.Context(), id, []logstore.Entry{entry(1, t0)}); err != nil {
		t.Fatal(err)
	}
	// A reader opening the store of a live writer changes nothing.
	r := open(t, path, logstore.WithReadOnly())
	if c, err := r.Cycle(t.Context(), id); err != nil || c.Outcome != logstore.OutcomeRunning {
		t.Errorf("through a reader: %+v, %v; want running", c, err)
	}
	if _, err := r.BeginCycle(t.Context(), logstore.CycleStart{Kind: logstore.KindInitial, Started: t0}); !errors.Is(err, logstore.ErrReadOnly) {
		t.Errorf("BeginCycle on a reader: %v", err)
	}
	if _, err := r.Prune(t.Context(), t0); !errors.Is(err, logstore.ErrReadOnly) {
		t.Errorf("Prune on a reader: %v", err)
	}
	s.Close() // the writer goes away without ending its cycle

	s2 := open(t, path, logstore.WithClock(clk.Now))
	c, err := s2.Cycle(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Outcome != logstore.OutcomeInterrupted || !c.Ended.Equal(clk.Now()) || c.Entries != 1 {
		t.Errorf("after reopening: %+v; want interrupted at %v with its entry", c, clk.Now())
	}
	if err := s2.EndCycle(t.Context(), id, logstore.CycleEnd{Ended: t0, Outcome: logstore.OutcomeSucceeded}); !errors.Is(err, logstore.ErrCycleEnded) {
		t.Errorf("ending an interrupted cycle: %v", err)
	}
}

func TestReadOnlyNeedsADatabase(t *testing.T) {
	_, err := logstore.Open(t.Context(), filepath.Join(t.TempDir(), "missing.db"), logstore.WithReadOnly())
	if err == nil {
		t.Fatal("opened a missing database read-only")
	}
}

func TestContextCanceled(t *testing.T) {
	s := open(t, "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.BeginCycle(ctx, logstore.CycleStart{Kind: logstore.KindInitial, Started: t0}); !errors.Is(err, context.Canceled) {
		t.Errorf("BeginCycle on a canceled context: %v", err)
	}
}

// TestQueriesUseIndexes checks SQLite's plan for each filter: none reads
// the whole entries table. (Since alone walks the table newest first,
// which ends with the page: every newer entry matches.)
func TestQueriesUseIndexes(t *testing.T) {
	s := open(t, "")
	for name, q := range map[string]logstore.Query{
		"user":             {User: "alice@contoso.example"},
		"action":           {Action: "Delete"},
		"status":           {Status: "Failure"},
		"reason":           {Reason: "HttpConflict"},
		"cycle":            {CycleID: 7},
		"time range":       {Since: t0, Until: t0.Add(time.Hour)},
		"page":             {Before: 100},
		"status and range": {Status: "Failure", Since: t0, Until: t0.Add(time.Hour)},
	} {
		plan, err := logstore.QueryPlan(s, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range strings.Split(plan, "; ") {
			if strings.HasPrefix(step, "SCAN entries") && !strings.Contains(step, "INDEX") {
				t.Errorf("%s: the plan scans the table: %s", name, plan)
			}
		}
		t.Logf("%s: %s", name, plan)
	}
}

// TestOddPath: a path with characters that mean something in a URI opens
// that very file.
func TestOddPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs 50% ?mode=ro#x.db")
	s := open(t, path)
	cycle(t, s, logstore.KindInitial, t0, []logstore.Entry{entry(1, t0)})
	s.Close()
	r := open(t, path, logstore.WithReadOnly())
	if n := len(collect(t, r.Entries(t.Context(), logstore.Query{}))); n != 1 {
		t.Errorf("%d entries through the reader, want 1", n)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, path) {
		t.Errorf("files in the directory: %q; want %q among them", files, path)
	}
}
