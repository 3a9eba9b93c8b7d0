package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/druvascim/druvascim/internal/logstore"
)

func cyclesCommand() command {
	return command{
		name:    "cycles",
		args:    "[--state FILE | --log-db FILE] [--tenant T] [--limit N] [--json]",
		summary: "list the provisioning cycles: time, kind, counts, duration, requests",
		help: `
Reads the provisioning-log database next to the state, with or without a
running service, and lists the cycles newest first: when each started, its
kind (initial, incremental or restart), its outcome, how many objects it
created, updated, disabled, deleted and skipped, how many failed, how long it
took and how many requests it sent to Druva and to Microsoft Graph.

Examples:
  druvasync cycles --state druva-state.json
  druvasync cycles --config druvasync.yaml --limit 10 --json`,
		run: runCycles,
	}
}

func runCycles(ctx context.Context, env *environment, args []string) int {
	c := cyclesCommand()
	fset := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var db logDBFlags
	db.register(fset)
	limit := fset.Int("limit", 50, "at most `N` cycles")
	asJSON := fset.Bool("json", false, "print JSON lines")
	if status, ok := parseFlags(env, c, fset, args); !ok {
		return status
	}
	if *limit < 1 || *limit > logstore.MaxLimit {
		return fail(env, c.name, exitBadInput, badInput("--limit must be between 1 and %d, not %d", logstore.MaxLimit, *limit))
	}
	store, err := db.open(ctx)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	defer store.Close()
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	enc := json.NewEncoder(env.stdout)
	if !*asJSON {
		fmt.Fprintln(tw, "CYCLE\tSTARTED\tKIND\tOUTCOME\tCREATE\tUPDATE\tDISABLE\tDELETE\tSKIP\tFAILED\tDURATION\tDRUVA REQ\tGRAPH REQ\t")
	}
	for cy, err := range store.Cycles(ctx, logstore.CycleQuery{Tenant: db.tenant, Limit: *limit}) {
		if err != nil {
			return fail(env, c.name, exitFailures, err)
		}
		if *asJSON {
			_ = enc.Encode(cy) // a write error ends the output; nothing else to do
			continue
		}
		dur := "running"
		if cy.Outcome != logstore.OutcomeRunning {
			dur = cy.Duration().Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t\n", cy.ID, cy.Started.Format("2006-01-02 15:04:05"),
			cy.Kind, cy.Outcome, cy.Actions["Create"], cy.Actions["Update"], cy.Actions["Disable"],
			cy.Actions["Delete"]+cy.Actions["StagedDelete"], cy.Actions["Skip"], cy.Statuses["Failure"], dur,
			cy.DruvaRequests, cy.GraphRequests)
	}
	if err := tw.Flush(); err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	return exitConverged
}
