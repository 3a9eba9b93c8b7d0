package cyclelog

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/logstore"
)

func TestRecord(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	rep := &druvascim.Report{
		Summary: druvascim.Summary{Started: t0, Finished: t0.Add(3 * time.Second), Full: true,
			Actions:  map[druvascim.Action]int{druvascim.ActionCreate: 1, druvascim.ActionUpdate: 1},
			Statuses: map[druvascim.Status]int{druvascim.StatusSuccess: 1, druvascim.StatusFailure: 1}},
		Entries: []druvascim.Entry{
			{ChangeID: "c-1", Time: t0.Add(time.Second), SourceID: "s1", TargetID: "d1", DisplayName: "Alice",
				Action: druvascim.ActionCreate, Status: druvascim.StatusSuccess,
				Steps:    []druvascim.Step{{Name: "Action", Status: druvascim.StatusSuccess, Detail: "POST"}},
				Modified: []druvascim.PropertyChange{{Path: "userName", New: "alice@contoso.example"}, {Path: "externalId", Old: "x", New: "[REDACTED]", Redacted: true}}},
			{ChangeID: "c-2", SourceID: "s2", Action: druvascim.ActionUpdate, Status: druvascim.StatusFailure,
				ErrorCode: "HttpConflict", Message: "fix it", Detail: "409"},
		},
	}
	id, err := Record(ctx, store, "contoso", rep, nil, Requests{Druva: 4, Graph: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.Cycle(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := logstore.Cycle{ID: id, Tenant: "contoso", Kind: logstore.KindInitial, Started: t0, Ended: t0.Add(3 * time.Second),
		Outcome: logstore.OutcomeSucceeded, Actions: map[string]int{"Create": 1, "Update": 1},
		Statuses: map[string]int{"Success": 1, "Failure": 1}, DruvaRequests: 4, GraphRequests: 2, Entries: 2}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("cycle (-want +got):\n%s", d)
	}
	var got []logstore.Entry
	for e, err := range store.Entries(ctx, logstore.Query{CycleID: id}) {
		if err != nil {
			t.Fatal(err)
		}
		e.ID = 0
		got = append(got, e)
	}
	wantEntries := []logstore.Entry{
		{CycleID: id, Time: t0, ChangeID: "c-2", SourceID: "s2", Action: "Update", Status: "Failure",
			ErrorCode: "HttpConflict", Message: "fix it", Detail: "409"},
		{CycleID: id, Time: t0.Add(time.Second), ChangeID: "c-1", SourceID: "s1", DruvaID: "d1", DisplayName: "Alice",
			UserName: "alice@contoso.example", Action: "Create", Status: "Success",
			Steps:    []logstore.Step{{Name: "Action", Status: "Success", Detail: "POST"}},
			Modified: []logstore.PropertyChange{{Path: "userName", Old: "(none)", New: `"alice@contoso.example"`}, {Path: "externalId", Redacted: true}}},
	}
	if d := cmp.Diff(wantEntries, got); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}

	// A cycle that failed before its report, with an operator's kind.
	now := t0.Add(time.Hour)
	id, err = Record(ctx, store, "contoso", nil, errors.New("graph: 401"), Requests{}, WithKind(logstore.KindRestart), WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := store.Cycle(ctx, id); c.Outcome != logstore.OutcomeFailed || c.Kind != logstore.KindRestart || c.Error != "graph: 401" || !c.Started.Equal(now) {
		t.Errorf("failed cycle: %+v", c)
	}
	if _, err := Record(ctx, store, "contoso", nil, nil, Requests{}, WithKind("weekly")); err == nil {
		t.Error("an unknown kind was accepted")
	}
}

// TestUserNameFromEarlierCycle: an update's entry, which the report gives
// no userName, takes the one the user's create recorded, so a search by
// UPN finds both.
func TestUserNameFromEarlierCycle(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	create := &druvascim.Report{Summary: druvascim.Summary{Started: t0}, Entries: []druvascim.Entry{{SourceID: "s1",
		Action: druvascim.ActionCreate, Status: druvascim.StatusSuccess,
		Modified: []druvascim.PropertyChange{{Path: "userName", New: "alice@contoso.example"}}}}}
	update := &druvascim.Report{Summary: druvascim.Summary{Started: t0.Add(time.Hour)}, Entries: []druvascim.Entry{
		{SourceID: "s1", TargetID: "d1", Action: druvascim.ActionUpdate, Status: druvascim.StatusSuccess},
		{SourceID: "s2", TargetID: "d2", Action: druvascim.ActionDisable, Status: druvascim.StatusSuccess}}}
	for _, rep := range []*druvascim.Report{create, update} {
		if _, err := Record(ctx, store, "contoso", rep, nil, Requests{}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for e, err := range store.Entries(ctx, logstore.Query{User: "ALICE@contoso.example"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Action)
	}
	if d := cmp.Diff([]string{"Update", "Create"}, got); d != "" {
		t.Errorf("entries of alice (-want +got):\n%s", d)
	}
}

// TestNoUnchangedEntries: the report holds an entry for every object,
// unchanged ones included; the log, like Entra's, lists none of those.
func TestNoUnchangedEntries(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	rep := &druvascim.Report{Summary: druvascim.Summary{Started: t0}, Entries: []druvascim.Entry{
		{SourceID: "s1", Action: druvascim.ActionSkip, Reason: druvascim.ReasonUnchanged, Status: druvascim.StatusSkipped},
		{SourceID: "s2", Action: druvascim.ActionSkip, Reason: druvascim.ReasonVetoed, Status: druvascim.StatusSkipped},
		{SourceID: "s3", Action: druvascim.ActionUpdate, Status: druvascim.StatusSuccess}}}
	id, err := Record(ctx, store, "contoso", rep, nil, Requests{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for e, err := range store.Entries(ctx, logstore.Query{CycleID: id}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.SourceID)
	}
	slices.Sort(got)
	if d := cmp.Diff([]string{"s2", "s3"}, got); d != "" {
		t.Errorf("logged entries (-want +got):\n%s", d)
	}
}

// TestCanceledCycleInterrupted: a cycle canceled before it finished (a
// stopping service, Ctrl-C) is recorded as interrupted, not failed.
func TestCanceledCycleInterrupted(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	id, err := Record(ctx, store, "contoso", nil, fmt.Errorf("read source: %w", context.Canceled), Requests{})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := store.Cycle(ctx, id); c.Outcome != logstore.OutcomeInterrupted {
		t.Errorf("outcome %q, want %q", c.Outcome, logstore.OutcomeInterrupted)
	}
}

// openStore opens a log store in a temporary directory, closed at the
// end of the test.
func openStore(t *testing.T) *logstore.SQLite {
	t.Helper()
	store, err := logstore.Open(context.Background(), filepath.Join(t.TempDir(), "log.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// lookupCounter counts the store's entry queries.
type lookupCounter struct {
	logstore.Store
	n int
}

func (c *lookupCounter) Entries(ctx context.Context, q logstore.Query) iter.Seq2[logstore.Entry, error] {
	c.n++
	return c.Store.Entries(ctx, q)
}

// TestNoLookupForUnlinked: an entry of a user that was never linked (a
// skip out of scope, every cycle) has no earlier create that named it, so
// it costs no lookup; a linked user's entry is looked up.
func TestNoLookupForUnlinked(t *testing.T) {
	store := &lookupCounter{Store: openStore(t)}
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	rep := &druvascim.Report{Summary: druvascim.Summary{Started: t0}, Entries: []druvascim.Entry{
		{SourceID: "s1", Action: druvascim.ActionSkip, Reason: druvascim.ReasonScopingFilter, Status: druvascim.StatusSkipped},
		{SourceID: "s2", Action: druvascim.ActionSkip, Reason: druvascim.ReasonScopingFilter, Status: druvascim.StatusSkipped},
		{SourceID: "s3", TargetID: "d3", Action: druvascim.ActionUpdate, Status: druvascim.StatusSuccess}}}
	if _, err := Record(context.Background(), store, "contoso", rep, nil, Requests{}); err != nil {
		t.Fatal(err)
	}
	if store.n != 1 {
		t.Errorf("%d lookups, want 1 (the linked user's)", store.n)
	}
}
