package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/service"
	"github.com/druvascim/druvascim/mapping"
)

// opCommand is a command that asks for one operation on a tenant: of a
// running service over its HTTP API, or, without --service, on the state
// file directly (pause, resume and restart only).
func opCommand(name string, op control.Operation, summary, offline string) command {
	return command{
		name:    name,
		args:    "--service URL [--tenant T] | --config FILE [--tenant T] | --state FILE",
		summary: summary,
		help: fmt.Sprintf(`
With --service, asks the running service (druvasync serve) over its HTTP
API, with the admin token from DRUVASYNC_ADMIN_TOKEN:
  POST URL/api/%s?tenant=T
--tenant may be left out when the service runs one tenant.

%s

Exit status: 0 done, 1 the service could not do it now (paused, nothing
held, stopping), 2 bad input, a refused token or an unknown tenant.

Example:
  DRUVASYNC_ADMIN_TOKEN=… druvasync %s --service http://127.0.0.1:8470 --tenant contoso`, op, strings.TrimSpace(offline), name),
		run: func(ctx context.Context, env *environment, args []string) int {
			return runOp(ctx, env, name, op, args)
		},
	}
}

func pauseCommand() command {
	return opCommand("pause", control.OpPause, "turn provisioning off (Provisioning Status: Off); it stays off across restarts", `
Without --service, it records the pause next to the state file (taking the
state's lock, so it is refused while a service runs on it); the next serve
starts paused.`)
}

func resumeCommand() command {
	return opCommand("resume", control.OpResume, "turn provisioning back on; a cycle starts at once", `
Without --service, it records the resume next to the state file (taking
the state's lock).`)
}

func restartCommand() command {
	return opCommand("restart", control.OpRestart, "start over: the next cycle reads everything and retries every failure; links are kept", `
Without --service, it restarts on the state file (taking the state's lock):
the delta link, the escrowed failures, the vetoed writes and the quarantine
are cleared and the links kept, as Entra's "Restart provisioning" does. The
next sync or serve cycle reads everything, as a full cycle for "restart".`)
}

func syncNowCommand() command {
	return opCommand("sync-now", control.OpSyncNow, "run a cycle of the running service now", `
It needs --service: without a service, run "druvasync sync".`)
}

func approveCommand() command {
	return opCommand("approve", control.OpApprove, "apply the deprovisions a safety rule holds", `
It needs --service: without a service, review the plan with "druvasync plan"
and apply it with "druvasync sync --approve-deletes".`)
}

func runOp(ctx context.Context, env *environment, name string, op control.Operation, args []string) int {
	c := opCommand(name, op, "", "")
	for _, cmd := range commands() {
		if cmd.name == name {
			c = cmd
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	svcURL := fs.String("service", "", "`URL` of the running service")
	tenant := fs.String("tenant", "", "`NAME` of the tenant")
	config := fs.String("config", "", "serve's configuration `FILE` (without --service: find the tenant's state)")
	state := fs.String("state", "", "state `FILE` (without --service)")
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	if *svcURL != "" {
		return remoteOp(ctx, env, name, op, *svcURL, *tenant)
	}
	path, err := opStatePath(*config, *state, *tenant)
	if err != nil {
		return fail(env, name, exitBadInput, err)
	}
	if err := localOp(ctx, op, path); err != nil {
		return fail(env, name, exitStatusFor(err), err)
	}
	fmt.Fprintf(env.stdout, "%s: done on %s\n", name, path)
	return exitConverged
}

// remoteOp asks a running service for op.
func remoteOp(ctx context.Context, env *environment, name string, op control.Operation, base, tenant string) int {
	token := env.getenv("DRUVASYNC_ADMIN_TOKEN")
	if token == "" {
		return fail(env, name, exitBadInput, errors.New("DRUVASYNC_ADMIN_TOKEN is not set; export the service's admin token"))
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(env, name, exitBadInput, fmt.Errorf("--service %q is not an http(s) URL like http://127.0.0.1:8470", base))
	}
	u = u.JoinPath("api", string(op))
	if tenant != "" {
		u.RawQuery = url.Values{"tenant": {tenant}}.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return fail(env, name, exitBadInput, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(env, name, exitFailures, fmt.Errorf("the service at %s did not answer: %v", base, errors.Unwrap(err)))
	}
	defer resp.Body.Close()
	var body struct {
		Tenant string `json:"tenant"`
		Error  string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body)
	switch {
	case resp.StatusCode == http.StatusOK:
		fmt.Fprintf(env.stdout, "%s: accepted for tenant %s\n", name, body.Tenant)
		return exitConverged
	case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden,
		resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusBadRequest:
		return fail(env, name, exitBadInput, fmt.Errorf("refused (%s): %s", resp.Status, body.Error))
	}
	return fail(env, name, exitFailures, fmt.Errorf("not done (%s): %s", resp.Status, body.Error))
}

// opStatePath finds the state file an offline operation works on.
func opStatePath(config, state, tenant string) (string, error) {
	if state != "" {
		if config != "" {
			return "", badInput("give --config or --state, not both")
		}
		return state, nil
	}
	if config == "" {
		return "", badInput("give --service URL (a running service), or --config FILE or --state FILE to change the state directly")
	}
	cfg, err := readServeConfig(config)
	if err != nil {
		return "", err
	}
	var names []string
	for _, t := range cfg.Tenants {
		if t.Name == tenant || (tenant == "" && len(cfg.Tenants) == 1) {
			if t.State == "" {
				return "", badInput("tenant %s has no state: in %s", t.Name, config)
			}
			return t.State, nil
		}
		names = append(names, t.Name)
	}
	return "", badInput("--tenant: say which tenant of %s: %s", config, strings.Join(names, ", "))
}

// localOp does op on the state at path, holding its lock.
func localOp(ctx context.Context, op control.Operation, path string) error {
	switch op {
	case control.OpSyncNow:
		return badInput("sync-now needs --service; without a service, run \"druvasync sync\"")
	case control.OpApprove:
		return badInput("approve needs --service; without a service, run \"druvasync sync --approve-deletes\" after reviewing \"druvasync plan\"")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return badInput("--state %s: %v", path, err)
	}
	fs, err := stateStore(abs)
	if err != nil {
		return err
	}
	unlock, err := fs.Lock(ctx)
	if err != nil {
		return badInput("--state %s: %s (a running service takes operations with --service URL)", path, strings.TrimPrefix(err.Error(), "druvascim: "))
	}
	defer unlock()
	side := service.SidecarPath(abs)
	sc, err := service.ReadSidecar(side)
	if err != nil {
		return err
	}
	switch op {
	case control.OpPause, control.OpResume:
		sc.Paused = op == control.OpPause
	case control.OpRestart:
		if err := restartState(ctx, fs); err != nil {
			return err
		}
		sc.Quarantine, sc.Streak = nil, 0
	}
	return service.WriteSidecar(side, sc)
}

// restartState restarts provisioning on the state alone, through the SDK's
// Syncer.Restart: nothing is read from Entra or Druva.
func restartState(ctx context.Context, store druvascim.StateStore) error {
	s, err := druvascim.NewSyncer(stateOnly{}, stateOnly{}, mapping.DruvaDefault(), store)
	if err != nil {
		return err
	}
	return s.Restart(ctx)
}

// stateOnly stands for Entra and Druva in a Syncer that only changes the
// state (Restart reads neither): a read of the source is refused, and the
// target's methods are never called.
type stateOnly struct{ druvascim.Target }

func (stateOnly) Fetch(context.Context, string) (druvascim.Batch, error) {
	return druvascim.Batch{}, errors.New("restart reads nothing from Entra")
}
