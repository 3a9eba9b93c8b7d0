package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/druvascim/druvascim"
)

func provisionCommand() command {
	return command{
		name:    "provision",
		args:    "--user UPN-or-object-id [--dry-run] [--config FILE] [--state FILE] [--json]",
		summary: "provision one user on demand, step by step",
		help: `
Like Entra's "provision on demand": reads one user from Entra, decides whether
it is in scope, matches it against Druva, and creates, updates or disables it
now, printing each step (Import, Scope, Match, Action).

Example:
  druvasync provision --user ada@contoso.com --service-principal-id 0f1c… --state druva-state.json`,
		run: runProvision,
	}
}

func runProvision(ctx context.Context, env *environment, args []string) int {
	c := provisionCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var f syncFlags
	f.register(fs, true)
	user := fs.String("user", "", "the user's userPrincipalName or object id")
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	if *user == "" {
		return fail(env, c.name, exitBadInput, errors.New("--user is required: give the user's userPrincipalName or object id"))
	}
	w, err := f.wire(env, fs)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	set, client, reader, store := w.set, w.client, w.reader, w.store
	syncer, err := druvascim.NewSyncer(reader, client, set, store,
		druvascim.WithPlanOptions(f.planOptions()...))
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	res, err := syncer.ProvisionOnDemand(ctx, *user, f.dryRun)
	if f.jsonOut && res != nil {
		out := map[string]any{"result": res}
		if err != nil {
			out["error"] = err.Error()
		}
		env.stdout.Write(jsonIndent(out))
	} else if res != nil {
		printOnDemand(env, res)
	}
	switch {
	case errors.Is(err, druvascim.ErrNotFound):
		return fail(env, c.name, exitBadInput, err)
	case err != nil:
		return fail(env, c.name, exitFailures, err)
	case res.Entry != nil && res.Entry.Status == druvascim.StatusFailure:
		return exitFailures
	}
	return exitConverged
}

func printOnDemand(env *environment, res *druvascim.OnDemandResult) {
	name := res.DisplayName
	if name == "" {
		name = res.SourceID
	}
	fmt.Fprintf(env.stdout, "Provision on demand: %s\n", name)
	for i, s := range res.Steps {
		fmt.Fprintf(env.stdout, "  %d. %-7s %-8s %s\n", i+1, s.Name, s.Status, s.Detail)
	}
	if op := res.Operation; op != nil {
		fmt.Fprintf(env.stdout, "  Action: %s", op.Action)
		if op.Reason != "" {
			fmt.Fprintf(env.stdout, " (%s)", op.Reason)
		}
		fmt.Fprintln(env.stdout)
		for _, ch := range op.Changes {
			fmt.Fprintf(env.stdout, "    %s: %s\n", ch.Path, changeText(ch))
		}
	}
	if e := res.Entry; e != nil && e.Status == druvascim.StatusFailure {
		fmt.Fprintf(env.stdout, "  error %s: %s\n", e.ErrorCode, strings.TrimSpace(e.Message))
	}
}
