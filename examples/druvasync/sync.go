package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/internal/cyclelog"
	"github.com/druvascim/druvascim/internal/logstore"
)

func syncCommand() command {
	return command{
		name:    "sync",
		args:    "[--dry-run] [--config FILE] [--state FILE] [--json] [--log FILE] [--max-deletes N] [--approve-deletes] [--concurrency N] [--rate RPS]",
		summary: "run one provisioning cycle from Entra into Druva",
		help: `
Reads who is assigned to the Druva app in Entra (incrementally when --state
holds a delta link), plans against what Druva holds and applies the plan.
The Druva token comes from DRUVA_TOKEN; the Graph credential from GRAPH_TOKEN
or azidentity (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, workload
or managed identity, Azure CLI).

Examples:
  DRUVA_TOKEN=… AZURE_TENANT_ID=… AZURE_CLIENT_ID=… AZURE_CLIENT_SECRET=… \
    druvasync sync --service-principal-id 0f1c… --state druva-state.json --log provisioning.jsonl
  druvasync sync --dry-run --config druvasync.yaml

One sync at a time works on a state: a sync holds the state's lock (the
file --state names, followed by ".lock") for its whole run, and a second one
exits 2 at once, naming the process that holds it. A run that was killed
leaves no lock behind. Each cycle is recorded, in one transaction, in the
provisioning-log database next to the state (--log-db to choose another
file), which druvasync logs and druvasync cycles read. --log appends each
run's records to a file as well.

Unattended runs: SIGTERM (systemd, Kubernetes, docker stop, timeout) is
handled like Ctrl-C: no new operation starts, the ones in flight get up to
10 seconds, then the state and the log are saved and sync exits 1. While it
applies, sync saves the state every 100 operations or every 5 seconds, so
even kill -9 loses only the last few links, and the next run finds those
users again without creating them twice. --timeout (default 30m) ends a
cycle that runs too long the same way; --request-timeout (default 2m) ends
one request that takes too long, body included. Druva's learned request
rate is kept in the state, and the next run starts from it (--rate stays a
ceiling).

Exit status: 0 converged, 1 some objects failed (the log says which),
2 bad input or configuration, 3 held by a safety rule (rerun with
--approve-deletes to apply it).`,
		run: func(ctx context.Context, env *environment, args []string) int {
			return runSync(ctx, env, syncCommand(), args, false)
		},
	}
}

func planCommand() command {
	return command{
		name:    "plan",
		args:    "[--config FILE] [--state FILE] [--json] [--max-deletes N] ...",
		summary: "print what sync would change, write nothing",
		help: `
Takes the same inputs as sync, makes the same plan, and prints it like
"terraform plan": creates, updates with old → new values, disables, deletes,
and skips with their reasons. Nothing is written to Druva or to the state.

Example:
  druvasync plan --service-principal-id 0f1c… --state druva-state.json`,
		run: func(ctx context.Context, env *environment, args []string) int {
			return runSync(ctx, env, planCommand(), args, true)
		},
	}
}

func runSync(ctx context.Context, env *environment, c command, args []string, planOnly bool) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var f syncFlags
	f.register(fs, !planOnly)
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	bars := newPhaseProgress(env, !f.jsonOut)
	defer bars.Done()
	countOpt, graphRequests := graphCounter(nil)
	w, err := f.wire(env, fs, entraProgress(bars.Update), countOpt)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	set, client, reader, store := w.set, w.client, w.reader, w.store
	dry := planOnly || f.dryRun
	if !dry {
		unlock, err := f.lockState(ctx, store)
		if err != nil {
			return fail(env, c.name, exitBadInput, err)
		}
		defer unlock()
	}
	var logDB *logstore.SQLite
	if !dry {
		if logDB, err = f.openLogDB(ctx); err != nil {
			return fail(env, c.name, exitBadInput, err)
		}
		if logDB != nil {
			defer logDB.Close()
		}
	}
	client, err = f.startFromLearnedRate(ctx, env, store, client)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	var log *provisioningLog
	if f.log != "" && !dry {
		if log, err = openLog(f.log); err != nil {
			return fail(env, c.name, exitBadInput, err)
		}
		defer log.Close()
	}
	opts := append(f.planOptions(),
		druvascim.WithConcurrency(f.concurrency),
		druvascim.WithProgress(bars.Update))
	if f.fullRead {
		opts = append(opts, druvascim.WithFullRead())
	}
	syncer, err := druvascim.NewSyncer(reader, client, set, store, opts...)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	cctx, cancel := withTimeout(ctx, f.timeout)
	defer cancel()
	var res *druvascim.Result
	druvaBefore := client.Stats().Requests
	if dry {
		res, err = syncer.DryRun(cctx)
	} else {
		res, err = syncer.Run(cctx)
	}
	err = withCause(cctx, err)
	bars.Done()
	var recErr error
	if logDB != nil {
		recErr = recordCycle(ctx, logDB, res, err,
			cyclelog.Requests{Druva: client.Stats().Requests - druvaBefore, Graph: graphRequests.n.Load()})
	}
	status := finishCycle(env, c.name, &f, res, err, dry, log)
	if recErr != nil {
		fmt.Fprintf(env.stderr, "druvasync %s: the cycle was not recorded in the provisioning log %s: %v\n", c.name, logDB.Path(), recErr)
		status = max(status, exitFailures)
	}
	return status
}

// startFromLearnedRate returns the Druva client to use: one that starts
// from the rate the last run learned (State.LearnedRate, kept by the
// Syncer), bounded by --rate when given, else client. A state that cannot
// be read leaves client as it is: the cycle reports that error.
func (f *syncFlags) startFromLearnedRate(ctx context.Context, env *environment, store druvascim.StateStore, client *druva.Client) (*druva.Client, error) {
	if f.rateGiven && f.rate == 0 {
		return client, nil // no client-side limit
	}
	st, err := store.Load(ctx)
	if err != nil || !(st.LearnedRate > 0) {
		return client, nil
	}
	return f.druvaClient(env, druva.WithStartRate(min(st.LearnedRate, maxStartRate)))
}

// maxStartRate bounds the rate read from a state file (druva refuses a
// start rate above it).
const maxStartRate = 10_000

// finishCycle prints a cycle's plan or report, writes the log (nil for a
// dry run or without --log), and maps the outcome to an exit status.
func finishCycle(env *environment, name string, f *syncFlags, res *druvascim.Result, err error, dry bool, log *provisioningLog) int {
	held := errors.Is(err, druvascim.ErrHeld)
	if res == nil || (err != nil && !held && res.Report == nil) {
		if err == nil {
			err = errors.New("the cycle produced no result")
		}
		return fail(env, name, exitStatusFor(err), err)
	}
	if f.jsonOut {
		out := map[string]any{"plan": res.Plan}
		if res.Report != nil {
			out["summary"] = res.Report.Summary
			if !dry {
				out["entries"] = res.Report.Entries
			}
		}
		if err != nil {
			out["error"] = err.Error()
		}
		env.stdout.Write(jsonIndent(out))
	} else {
		if dry || held {
			fmt.Fprint(env.stdout, res.Plan.Format())
			fmt.Fprintln(env.stdout)
		}
		if res.Report != nil {
			if err := writeSummary(env.stdout, res.Report); err != nil {
				return fail(env, name, exitFailures, err)
			}
			if !dry {
				printNotable(env, res.Report, 20)
			}
		}
	}
	if log != nil && res.Report != nil {
		if werr := log.write(res.Report); werr != nil {
			fmt.Fprintf(env.stderr, "druvasync %s: %v\n", name, werr)
			if err == nil {
				return exitFailures
			}
		}
	}
	switch {
	case held:
		fmt.Fprintf(env.stderr, "druvasync %s: %s: %v\n", name, heldText(res), err)
		return exitHeld
	case err != nil:
		fmt.Fprintf(env.stderr, "druvasync %s: %v\n", name, err)
		return exitFailures
	case res.Report != nil && len(res.Report.Failed()) > 0:
		fmt.Fprintf(env.stderr, "druvasync %s: %d objects failed; the provisioning log says which and why\n", name, len(res.Report.Failed()))
		return exitFailures
	}
	return exitConverged
}

// heldText says what a hold kept back: the disables and deletes waiting
// for approval, or the whole plan.
func heldText(res *druvascim.Result) string {
	h := res.Plan.Hold
	if h == nil {
		return "held"
	}
	if h.Everything {
		return "held, nothing applied; review the plan and rerun with --approve-deletes to apply it"
	}
	return fmt.Sprintf("held: %d disables and %d deletes waiting for approval (druvasync sync --approve-deletes); the creates and updates were applied", h.Disables, h.Deletes)
}

// exitStatusFor maps an error that ended a cycle before it produced a report.
func exitStatusFor(err error) int {
	switch {
	case errors.Is(err, errBadInput):
		return exitBadInput
	case errors.Is(err, druvascim.ErrHeld):
		return exitHeld
	}
	return exitFailures
}

// printNotable prints up to n entries a person wants to see: failures
// first, then disables, deletes, updates and creates.
func printNotable(env *environment, rep *druvascim.Report, n int) {
	order := []druvascim.Action{druvascim.ActionDisable, druvascim.ActionDelete, druvascim.ActionUpdate, druvascim.ActionCreate}
	var picked []druvascim.Entry
	picked = append(picked, rep.Failed()...)
	for _, a := range order {
		for _, e := range rep.Entries {
			if e.Action == a && e.Status != druvascim.StatusFailure {
				picked = append(picked, e)
			}
		}
	}
	if len(picked) == 0 {
		return
	}
	fmt.Fprintln(env.stdout)
	fmt.Fprintln(env.stdout, "Provisioning log (notable entries):")
	for i, e := range picked {
		if i == n {
			fmt.Fprintf(env.stdout, "  … and %d more (write them all with --log FILE)\n", len(picked)-n)
			break
		}
		printEntry(env.stdout, e)
	}
}

// changeText renders one property change as "old → new", values as JSON
// text (strings quoted), "(none)" for no value and the mask of a redacted
// value as it is.
func changeText(m druvascim.PropertyChange) string {
	return valueText(m.Old, m.Redacted) + " → " + valueText(m.New, m.Redacted)
}

// valueText renders one value of a property change.
func valueText(v any, redacted bool) string {
	if v == nil {
		return "(none)"
	}
	if s, ok := v.(string); ok && redacted {
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
