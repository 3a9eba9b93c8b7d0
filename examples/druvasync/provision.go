package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"
)

func provisionCommand() command {
	return command{
		name:    "provision",
		args:    "--user UPN-or-object-id | --group object-id [--dry-run] [--config FILE] [--state FILE] [--json]",
		summary: "provision one user (or up to 5 members of a group) on demand, step by step",
		help: `
Like Entra's "provision on demand": reads one user from Entra, decides whether
it is in scope, matches it against Druva, and creates, updates or disables it
now, printing each step (Import, Scope, Match, Action). With --group, as
Entra's provision on demand of a group, it provisions up to 5 of the group's
user members, one after the other.

Example:
  druvasync provision --user ada@contoso.com --service-principal-id 0f1c… --state druva-state.json
  druvasync provision --group 5e2b… --service-principal-id 0f1c… --state druva-state.json`,
		run: runProvision,
	}
}

func runProvision(ctx context.Context, env *environment, args []string) int {
	c := provisionCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var f syncFlags
	f.register(fs, true)
	user := fs.String("user", "", "the user's userPrincipalName or object id")
	group := fs.String("group", "", "a group's object id: provision up to 5 of its user members")
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	if (*user == "") == (*group == "") {
		return fail(env, c.name, exitBadInput, errors.New("give --user (a userPrincipalName or object id) or --group (a group's object id), one of the two"))
	}
	w, err := f.wire(env, fs)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	set, client, reader, store := w.set, w.client, w.reader, w.store
	if !f.dryRun {
		unlock, err := f.lockState(ctx, store)
		if err != nil {
			return fail(env, c.name, exitBadInput, err)
		}
		defer unlock()
	}
	ctx, cancel := withTimeout(ctx, f.timeout)
	defer cancel()
	syncer, err := druvascim.NewSyncer(reader, client, set, store, f.planOptions()...)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	ids := []string{*user}
	if *group != "" {
		members, err := w.reader.FetchGroupMembers(ctx, *group, entra.DefaultGroupMembers)
		switch {
		case errors.Is(err, druvascim.ErrNotFound):
			return fail(env, c.name, exitBadInput, err)
		case err != nil:
			return fail(env, c.name, exitFailures, err)
		}
		ids = ids[:0]
		for _, m := range members {
			ids = append(ids, m.ID)
		}
	}
	status := exitConverged
	for _, id := range ids {
		status = max(status, provisionOne(ctx, env, c.name, &f, syncer, id))
	}
	return status
}

// provisionOne provisions one user on demand and prints the steps; it
// returns the exit status.
func provisionOne(ctx context.Context, env *environment, name string, f *syncFlags, syncer *druvascim.Syncer, id string) int {
	res, err := syncer.ProvisionOnDemand(ctx, id, f.dryRun)
	err = withCause(ctx, err)
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
		return fail(env, name, exitBadInput, err)
	case err != nil:
		return fail(env, name, exitFailures, err)
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
