package main

import (
	"context"
	"flag"
	"fmt"
	"net"

	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra/entratest"
)

func fakeGraphCommand() command {
	return command{
		name:    "fake-graph",
		args:    "--addr HOST:PORT [--users N] [--groups N] [--seed S] [--token T]",
		summary: "run a fake Microsoft Graph tenant on a loopback address",
		help: `
Serves a generated Entra tenant (users, groups, the Druva app's service
principal and its app-role assignments) over Microsoft Graph v1.0 until
interrupted, so other tools and languages can test against it. Prints the
Graph URL, the service principal id and the bearer token to use.

Example:
  druvasync fake-graph --addr 127.0.0.1:8081 --users 500 --groups 20`,
		run: runFakeGraph,
	}
}

func runFakeGraph(ctx context.Context, env *environment, args []string) int {
	c := fakeGraphCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `HOST:PORT` to listen on")
	users := fs.Int("users", 200, "number of generated users")
	groups := fs.Int("groups", 10, "number of generated groups")
	seed := fs.Uint64("seed", 1, "seed of the generated tenant")
	token := fs.String("token", "", "bearer token to accept (default: a generated one)")
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	if err := checkLoopback(*addr); err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	opts := []entratest.Option{entratest.WithAddr(*addr), entratest.WithUsers(*users), entratest.WithGroups(*groups), entratest.WithSeed(*seed)}
	if *token != "" {
		opts = append(opts, entratest.WithToken(*token))
	}
	srv, err := entratest.NewServer(opts...)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	defer srv.Close()
	fmt.Fprintf(env.stdout, "fake Microsoft Graph listening\n  --graph-url %s\n  --service-principal-id %s\n  GRAPH_TOKEN=%s\n", srv.URL, srv.ServicePrincipalID, srv.Token)
	<-ctx.Done()
	return exitConverged
}

func fakeDruvaCommand() command {
	return command{
		name:    "fake-druva",
		args:    "--addr HOST:PORT [--token T] [--rate RPS] [--faults RATE]",
		summary: "run a fake Druva SCIM service on a loopback address",
		help: `
Serves a fake Druva inSync SCIM service (users only, Druva's rules: unique
userName and email, displayName and email required, DELETE preserves) until
interrupted. Prints the base URL and the token to use.

Example:
  druvasync fake-druva --addr 127.0.0.1:8082 --rate 25`,
		run: runFakeDruva,
	}
}

func runFakeDruva(ctx context.Context, env *environment, args []string) int {
	c := fakeDruvaCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `HOST:PORT` to listen on")
	token := fs.String("token", "", "bearer token to accept (default: a generated one)")
	rate := fs.Float64("rate", 0, "server-side rate limit in requests/s (0: none)")
	faults := fs.Float64("faults", 0, "share of requests answered with a fault, 0..1")
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	if err := checkLoopback(*addr); err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	opts, err := fakeDruvaOptions(*addr, *token, *rate, *faults, 1)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	srv, err := druvatest.NewServer(opts...)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	defer srv.Close()
	fmt.Fprintf(env.stdout, "fake Druva SCIM listening\n  --druva-url %s\n  DRUVA_TOKEN=%s\n", srv.URL, srv.Token)
	<-ctx.Done()
	return exitConverged
}

// checkLoopback refuses an address that is not on the loopback interface:
// the fakes are test servers and must not be reachable from the network.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q is not HOST:PORT: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q is not a loopback address (use 127.0.0.1 or [::1])", addr)
	}
	return nil
}
