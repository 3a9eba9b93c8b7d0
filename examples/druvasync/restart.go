package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/druvascim/druvascim"
)

func restartCommand() command {
	return command{
		name:    "restart",
		args:    "--state FILE [--config FILE] ...",
		summary: "make the next sync an initial cycle: clear the delta link, escrows and quarantine, keep the links",
		help: `
Restarts provisioning as Entra's "Restart provisioning" does: the delta link
(watermark), the escrowed failures, the vetoed writes and the quarantine are
cleared, and the links between Entra objects and Druva users are kept. The
next sync reads everything, retries every object and reports the cycle as a
full one for "restart". It takes the state's lock, as sync does, and takes
the same inputs as sync (it checks them but reads nothing from Entra or
Druva).

Example:
  druvasync restart --config druvasync.yaml --state druva-state.json`,
		run: runRestart,
	}
}

func runRestart(ctx context.Context, env *environment, args []string) int {
	c := restartCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var f syncFlags
	f.register(fs, false)
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	w, err := f.wire(env, fs)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	if f.state == "" {
		return fail(env, c.name, exitBadInput, badInput("--state: restart needs the state file of the syncs to restart"))
	}
	unlock, err := f.lockState(ctx, w.store)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	defer unlock()
	syncer, err := druvascim.NewSyncer(w.reader, w.client, w.set, w.store, f.planOptions()...)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	if err := syncer.Restart(ctx); err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	fmt.Fprintf(env.stdout, "restarted %s: the next sync is an initial (full) cycle; links kept, escrows and quarantine cleared\n", f.state)
	return exitConverged
}
