package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/cyclelog"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/metrics"
	"github.com/druvascim/druvascim/internal/statuspage"
)

// demoTenant is the name of the demo's one tenant on the status page.
const demoTenant = "demo"

// adminTokenEnv names the variable holding the status page's admin token.
const adminTokenEnv = "DRUVASYNC_ADMIN_TOKEN"

// liveProgress is the running cycle's progress, shared with the page.
type liveProgress struct {
	mu sync.Mutex
	p  *druvascim.Progress
}

func (l *liveProgress) set(p *druvascim.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p = p
}

func (l *liveProgress) get() *druvascim.Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.p == nil {
		return nil
	}
	p := *l.p
	return &p
}

// demoRecorder records the demo's cycles for the status page: in a
// provisioning-log database in a temporary directory, and in metrics.
type demoRecorder struct {
	dir     string
	store   *logstore.SQLite
	metrics *metrics.Metrics
}

func newDemoRecorder(ctx context.Context) (*demoRecorder, error) {
	dir, err := os.MkdirTemp("", "druvasync-demo-")
	if err != nil {
		return nil, err
	}
	m, err := metrics.New(metrics.WithProcessCollectors())
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	store, err := logstore.Open(ctx, dir+string(os.PathSeparator)+"demo.log.db")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	m.SetRate(demoTenant, metrics.TargetDruva, 0)
	return &demoRecorder{dir: dir, store: store, metrics: m}, nil
}

// record writes one cycle of the demo.
func (d *demoRecorder) record(ctx context.Context, res *druvascim.Result, cycleErr error, dc demoCycle) error {
	var rep *druvascim.Report
	if res != nil {
		rep = res.Report
	}
	d.metrics.ObserveCycle(demoTenant, rep, cycleErr)
	var druvaReqs int64
	for _, n := range dc.DruvaRequests {
		druvaReqs += int64(n)
	}
	_, err := cyclelog.Record(context.WithoutCancel(ctx), d.store, demoTenant, rep, cycleErr,
		cyclelog.Requests{Druva: druvaReqs, Graph: int64(dc.GraphRequests)})
	return err
}

func (d *demoRecorder) Close() {
	d.store.Close()
	os.RemoveAll(d.dir)
}

// demoController is the demo as the status page sees it: one tenant whose
// cycles run when asked (the demo schedules none).
type demoController struct {
	rig   *demoRig
	cycle sync.Mutex // one cycle at a time
	mu    sync.Mutex // guards what follows
	// paused is the operator's pause; last the last cycle's summary and
	// lastSuccess when a cycle last ended with no failure.
	paused      bool
	last        *druvascim.Summary
	lastSuccess time.Time
}

// newDemoController starts from the cycles the demo ran.
func newDemoController(r *demoRig) *demoController {
	c := &demoController{rig: r}
	for _, dc := range r.cycles {
		if !dc.Summary.DryRun {
			c.observe(dc.Summary)
		}
	}
	return c
}

// observe keeps a finished cycle's summary; the caller holds c.mu or is
// the only user.
func (c *demoController) observe(s druvascim.Summary) {
	c.last = &s
	if s.Statuses[druvascim.StatusFailure] == 0 {
		c.lastSuccess = s.Finished
	}
}

var _ control.Controller = (*demoController)(nil)

func (c *demoController) Tenants() []string { return []string{demoTenant} }

func (c *demoController) Status(tenant string) (control.TenantStatus, error) {
	if tenant != demoTenant {
		return control.TenantStatus{}, fmt.Errorf("%w: %q", control.ErrUnknownTenant, tenant)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := control.TenantStatus{Tenant: demoTenant, State: control.StateIdle, Paused: c.paused, Ready: true,
		Running: c.rig.live.get(), LastCycle: c.last, LastSuccess: c.lastSuccess}
	switch {
	case st.Running != nil:
		st.State = control.StateRunning
	case c.paused:
		st.State = control.StatePaused
	}
	return st, nil
}

// Do pauses, resumes, or runs a cycle now (and returns when it ends).
// Restart and approve need the state of a real service.
func (c *demoController) Do(ctx context.Context, tenant string, op control.Operation) error {
	if tenant != demoTenant {
		return fmt.Errorf("%w: %q", control.ErrUnknownTenant, tenant)
	}
	c.mu.Lock()
	paused := c.paused
	switch op {
	case control.OpPause:
		c.paused = true
	case control.OpResume:
		c.paused = false
	}
	c.mu.Unlock()
	switch op {
	case control.OpPause, control.OpResume:
		return nil
	case control.OpSyncNow:
		if paused {
			return fmt.Errorf("%w: provisioning is paused: resume it first", control.ErrConflict)
		}
		if !c.cycle.TryLock() {
			return fmt.Errorf("%w: a cycle is running", control.ErrConflict)
		}
		defer c.cycle.Unlock()
		res, err := c.rig.runCycle(ctx, "sync now", c.rig.syncer, false)
		if res != nil && res.Report != nil {
			c.mu.Lock()
			c.observe(res.Report.Summary)
			c.mu.Unlock()
		}
		return err
	}
	return fmt.Errorf("%w: the demo keeps no held deprovisions and no state to restart; %s is for druvasync serve", control.ErrConflict, op)
}

// serveDemo serves the status page over the demo's cycles on loopback
// until ctx ends or SIGTERM comes.
func serveDemo(ctx context.Context, env *environment, r *demoRig, addr string) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	token := env.getenv(adminTokenEnv)
	if err := statuspage.CheckListen(statuspage.ListenConfig{Addr: addr, AdminToken: token}); err != nil {
		return fail(env, "demo", exitBadInput, err)
	}
	opts := []statuspage.Option{statuspage.WithMetrics(r.rec.metrics)}
	if token != "" {
		opts = append(opts, statuspage.WithAdminToken(token))
	}
	ctl := newDemoController(r)
	h, err := statuspage.New(ctl, func(t string) logstore.Store {
		if t == demoTenant {
			return r.rec.store
		}
		return nil
	}, opts...)
	if err != nil {
		return fail(env, "demo", exitBadInput, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(env, "demo", exitBadInput, fmt.Errorf("--addr %s: %v", addr, err))
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // Serve ends with ErrServerClosed at Shutdown
	fmt.Fprintf(env.stderr, "Status page: http://%s/ (Ctrl-C to stop)\n", ln.Addr())
	if token == "" {
		fmt.Fprintf(env.stderr, "Write operations are off; set %s to a long random value to pause, resume and sync from the page.\n", adminTokenEnv)
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fail(env, "demo", exitFailures, err)
	}
	return exitConverged
}
