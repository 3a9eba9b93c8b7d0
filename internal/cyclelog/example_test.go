package cyclelog_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/cyclelog"
	"github.com/druvascim/druvascim/internal/logstore"
)

func ExampleRecord() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "cyclelog")
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

	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	rep := &druvascim.Report{ // what Syncer.Run returned
		Summary: druvascim.Summary{Started: start, Finished: start.Add(2 * time.Second), Full: true,
			Actions: map[druvascim.Action]int{druvascim.ActionCreate: 1}, Statuses: map[druvascim.Status]int{druvascim.StatusSuccess: 1}},
		Entries: []druvascim.Entry{{SourceID: "a1", DisplayName: "Alice", Action: druvascim.ActionCreate, Status: druvascim.StatusSuccess}},
	}
	id, err := cyclelog.Record(ctx, store, "contoso", rep, nil, cyclelog.Requests{Druva: 2, Graph: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := store.Cycle(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Kind, c.Outcome, c.Entries, c.Duration(), c.DruvaRequests, c.GraphRequests)
	// Output: initial succeeded 1 2s 2 3
}
