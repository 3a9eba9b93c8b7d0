package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/metrics"
	"github.com/druvascim/druvascim/internal/notify"
	"github.com/druvascim/druvascim/internal/service"
	"github.com/druvascim/druvascim/internal/statuspage"
)

func serveCommand() command {
	return command{
		name:    "serve",
		args:    "--config FILE",
		summary: "run provisioning as a service: cycles on a schedule, operations over HTTP",
		help: `
Runs cycles for every tenant of the configuration file: the first at once,
then one every interval (40m by default) with jitter; a quarantined tenant
waits longer after each quarantined cycle, up to a day, and is paused
after more than four weeks in quarantine (resume or restart it). It holds each
tenant's state lock while it runs: a second serve or a sync on the same
state exits 2, naming this process. It keeps, next to each state file
(say contoso.state), contoso.state.service.json (pause, quarantine, what
was notified) and contoso.log.db (the provisioning log, the database sync
writes and "druvasync logs" and "cycles" read).

It listens on loopback (listen:, default 127.0.0.1:8470) and serves the
status page (GET /), GET /api/status, /api/cycles and /api/logs, the
Prometheus metrics (GET /metrics), GET /healthz and /readyz, and the write
operations POST /api/sync|pause|resume|restart|approve?tenant=T with
"Authorization: Bearer" the admin token (at least 16 characters, from the
variable adminTokenEnv names, DRUVASYNC_ADMIN_TOKEN by default). Off
loopback it needs tlsCert, tlsKey and an admin token.

SIGTERM or SIGINT: running cycles get shutdownGrace (30s) to finish, then
stop after their writes in flight; state is saved; exit 0. A second signal
exits at once (status 1); the next start adopts whatever was written.

Example:
  DRUVASYNC_ADMIN_TOKEN=… druvasync serve --config druvasync.yaml`,
		run: runServe,
	}
}

func runServe(ctx context.Context, env *environment, args []string) int {
	c := serveCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	config := fs.String("config", "", "configuration `FILE` (YAML): tenants, listen address, notifications")
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	if *config == "" {
		return fail(env, c.name, exitBadInput, errors.New("give --config FILE; run \"druvasync serve --help\" for its format"))
	}
	srv, err := newServer(env, *config)
	if err != nil {
		return fail(env, c.name, exitStatusFor(err), err)
	}
	defer srv.ln.Close()
	ctx, stop := serveSignalContext(ctx, env)
	defer stop()
	return srv.run(ctx, env)
}

// server is a configured service and its HTTP listener.
type server struct {
	svc    *service.Service
	ln     net.Listener
	http   *http.Server
	tls    bool
	cert   string
	key    string
	logger *slog.Logger
}

// newServer reads the configuration, builds the tenants, checks the listen
// address and listens.
func newServer(env *environment, path string) (*server, error) {
	cfg, err := readServeConfig(path)
	if err != nil {
		return nil, err
	}
	grace, err := durationSetting("shutdownGrace", cfg.ShutdownGrace, service.DefaultShutdownGrace, 0)
	if err != nil {
		return nil, err
	}
	reminder, err := durationSetting("reminder", cfg.Reminder, notify.DefaultReminder, time.Minute)
	if err != nil {
		return nil, err
	}
	token := env.getenv(cmp.Or(cfg.AdminTokenEnv, adminTokenEnv))
	addr := cmp.Or(cfg.Listen, defaultListen)
	if err := statuspage.CheckListen(statuspage.ListenConfig{Addr: addr, CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey, AdminToken: token}); err != nil {
		return nil, badInput("listen: %s (the admin token is read from %s)", strings.TrimPrefix(err.Error(), "statuspage: "), cmp.Or(cfg.AdminTokenEnv, adminTokenEnv))
	}
	m, err := metrics.New(metrics.WithProcessCollectors())
	if err != nil {
		return nil, err
	}
	tenants, err := cfg.tenants(env, path, m)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, badInput("listen %s: %v", addr, err)
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	logger := slog.New(slog.NewJSONHandler(env.stderr, nil))
	svc, err := service.New(tenants, service.WithLogger(logger), service.WithServiceURL(url), service.WithMetrics(m),
		service.WithShutdownGrace(grace), service.WithNotifyOptions(notify.WithReminder(reminder)))
	if err != nil {
		ln.Close()
		return nil, badInput("%v", err)
	}
	h, err := pageHandler(svc, m, token, logger)
	if err != nil {
		ln.Close()
		return nil, badInput("%v", err)
	}
	s := &server{svc: svc, ln: ln, tls: cfg.TLSCert != "", cert: cfg.TLSCert, key: cfg.TLSKey, logger: logger}
	s.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	logger.Info("druvasync serve: listening", "url", url, "tenants", svc.Tenants(), "writes", token != "")
	return s, nil
}

// pageHandler is the status page, its API, /metrics and the health checks
// over the service; without a token the write operations are off.
func pageHandler(svc *service.Service, m *metrics.Metrics, token string, logger *slog.Logger) (http.Handler, error) {
	opts := []statuspage.Option{statuspage.WithMetrics(m), statuspage.WithLogger(logger)}
	if token != "" {
		opts = append(opts, statuspage.WithAdminToken(token))
	}
	return statuspage.New(svc, svc.LogStore, opts...)
}

// run serves HTTP and runs the service until ctx ends.
func (s *server) run(ctx context.Context, env *environment) int {
	go func() {
		var err error
		if s.tls {
			err = s.http.ServeTLS(s.ln, s.cert, s.key)
		} else {
			err = s.http.Serve(s.ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("druvasync serve: HTTP server stopped", "error", err)
		}
	}()
	err := s.svc.Run(ctx)
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(shut)
	if err != nil {
		if errors.Is(err, druvascim.ErrLocked) {
			return fail(env, "serve", exitBadInput, err)
		}
		return fail(env, "serve", exitStatusFor(err), err)
	}
	s.logger.Info("druvasync serve: stopped")
	return exitConverged
}

// serveSignalContext ends with SIGTERM or SIGINT; when the environment says the
// process owns its signals, a second one exits at once.
func serveSignalContext(ctx context.Context, env *environment) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	if !env.signals {
		return ctx, cancel
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
	go func() {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
		cancel()
		fmt.Fprintln(env.stderr, "druvasync serve: stopping; a second signal exits at once")
		<-ch
		fmt.Fprintln(env.stderr, "druvasync serve: second signal: exiting now")
		os.Exit(exitFailures)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
