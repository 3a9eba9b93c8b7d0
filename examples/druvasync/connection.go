package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/druvascim/druvascim/mapping"
)

func testConnectionCommand() command {
	return command{
		name:    "test-connection",
		args:    "[--druva-url URL] [--graph-url URL] [--service-principal-id ID | --app-id ID]",
		summary: "check the Druva token and URL and the Graph credential",
		help: `
Checks, as Entra's "Test Connection" does, that Druva answers a query with the
token in DRUVA_TOKEN, and that Microsoft Graph accepts the credential and
knows the Druva app's service principal. Says which failed and why.

Example:
  DRUVA_TOKEN=… GRAPH_TOKEN=… druvasync test-connection --service-principal-id 0f1c…`,
		run: runTestConnection,
	}
}

func runTestConnection(ctx context.Context, env *environment, args []string) int {
	c := testConnectionCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var f syncFlags
	f.register(fs, false)
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	if err := f.load(fs); err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	status := exitConverged
	client, err := f.druvaClient(env)
	if err == nil {
		err = client.TestConnection(ctx)
	}
	if err != nil {
		fmt.Fprintf(env.stdout, "Druva  %s: FAILED: %v\n", f.druvaURL, err)
		status = exitFailures
	} else {
		fmt.Fprintf(env.stdout, "Druva  %s: ok\n", f.druvaURL)
	}
	set := f.set
	if set == nil {
		set = mapping.DruvaDefault()
	}
	reader, err := f.entraReader(env, set)
	if err == nil {
		err = reader.TestConnection(ctx)
	}
	if err != nil {
		fmt.Fprintf(env.stdout, "Graph  %s: FAILED: %v\n", f.graphURL, err)
		status = exitFailures
	} else {
		fmt.Fprintf(env.stdout, "Graph  %s: ok\n", f.graphURL)
	}
	return status
}
