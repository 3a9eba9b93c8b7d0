package logstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/druvascim/druvascim/internal/logstore"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "logstore")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	store, err := logstore.Open(ctx, filepath.Join(dir, "contoso.log.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	id, err := store.BeginCycle(ctx, logstore.CycleStart{Tenant: "contoso", Kind: logstore.KindInitial, Started: start})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = store.AddEntries(ctx, id, []logstore.Entry{
		{Time: start, SourceID: "a1", DisplayName: "Alice", UserName: "alice@contoso.example", Action: "Create", Status: "Success"},
		{Time: start, SourceID: "b2", DisplayName: "Bob", UserName: "bob@contoso.example", Action: "Create", Status: "Failure",
			ErrorCode: "HttpConflict", Detail: "409 uniqueness"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = store.EndCycle(ctx, id, logstore.CycleEnd{Ended: start.Add(time.Minute), Outcome: logstore.OutcomeSucceeded,
		Actions: map[string]int{"Create": 2}, Statuses: map[string]int{"Success": 1, "Failure": 1}})
	if err != nil {
		fmt.Println(err)
		return
	}

	// What happened to Alice?
	for e, err := range store.Entries(ctx, logstore.Query{User: "ALICE@contoso.example"}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(e.Time.Format(time.DateTime), e.DisplayName, e.Action, e.Status)
	}
	// What failed?
	for e, err := range store.Entries(ctx, logstore.Query{Status: "Failure"}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(e.DisplayName, e.ErrorCode, e.Detail)
	}
	for c, err := range store.Cycles(ctx, logstore.CycleQuery{Limit: 10}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(c.Kind, c.Outcome, c.Duration(), c.Entries, "entries")
	}
	// Output:
	// 2026-03-01 09:00:00 Alice Create Success
	// Bob HttpConflict 409 uniqueness
	// initial succeeded 1m0s 2 entries
}
