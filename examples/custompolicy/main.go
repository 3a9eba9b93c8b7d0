package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/mapping"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, w io.Writer) error {
	graph, err := entratest.NewServer(entratest.WithUsers(200), entratest.WithGroups(5))
	if err != nil {
		return err
	}
	defer graph.Close()
	dv, err := druvatest.NewServer()
	if err != nil {
		return err
	}
	defer dv.Close()

	reader, err := graph.Client() // an *entra.Reader wired to the fake Graph
	if err != nil {
		return err
	}

	// The policy: people on the legal-hold list are never disabled by the
	// sync, whatever Entra says; everything else goes through. A hook may
	// rewrite or veto single operations; vetoed ones are logged as Skip.
	legalHold := map[string]bool{}
	protect := func(op druvascim.Operation) (druvascim.Operation, bool) {
		if op.Action == druvascim.ActionDisable && legalHold[op.SourceID] {
			return op, false
		}
		return op, true
	}
	syncer, err := druvascim.NewSyncer(reader, dv.Client(), mapping.DruvaDefault(), druvascim.NewMemoryStore(),
		druvascim.WithHook(protect), druvascim.WithPolicy(druvascim.Policy{DeletionThreshold: 25}))
	if err != nil {
		return err
	}
	if _, err := syncer.Run(ctx); err != nil {
		return err
	}

	// Put every other directly assigned user on legal hold, then unassign
	// all of them: the ones on hold stay active, the others are disabled.
	unassigned, held := 0, 0
	for _, a := range graph.Assignments() {
		if a.PrincipalType != "User" {
			continue
		}
		if unassigned%2 == 0 {
			legalHold[a.PrincipalID] = true
			held++
		}
		unassigned++
		if err := graph.RemoveAssignment(a.ID); err != nil {
			return err
		}
	}
	activeBefore := countActive(dv)
	res, err := syncer.Run(ctx)
	if err != nil {
		return err
	}
	vetoed := 0
	for _, e := range res.Report.Entries {
		if e.Reason == druvascim.ReasonVetoed {
			vetoed++
		}
	}
	fmt.Fprintf(w, "unassigned: %d users, %d of them on legal hold\n", unassigned, held)
	fmt.Fprintf(w, "second cycle: %d disables applied, %d vetoed by the legal-hold policy\n",
		res.Report.Summary.Actions[druvascim.ActionDisable], vetoed)
	fmt.Fprintf(w, "active Druva users: %d before the cycle, %d after\n", activeBefore, countActive(dv))
	return nil
}

func countActive(dv *druvatest.Server) int {
	n := 0
	for _, u := range dv.Users() {
		if active, _ := u.Active(); active {
			n++
		}
	}
	return n
}
