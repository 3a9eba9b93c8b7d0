package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/notify"
)

// tenant is one tenant's runtime.
type tenant struct {
	svc  *Service
	spec Tenant

	// Set by open, read-only afterwards (log is also read by LogStore,
	// under mu).
	unlock      func() error
	syncer      *druvascim.Syncer
	log         logstore.Store
	dispatchers map[string]*notify.Dispatcher

	wake chan struct{} // a queued operation wants a cycle now

	mu          sync.Mutex
	side        Sidecar
	pendRestart bool
	pendApprove int // the count approved; 0 when no approval is pending
	running     *druvascim.Progress
	held        int
	lastCycle   *druvascim.Summary
	lastSuccess time.Time
	lastError   string
	next        time.Time
	ready       bool
}

func newTenant(s *Service, spec Tenant) *tenant {
	return &tenant{svc: s, spec: spec, wake: make(chan struct{}, 1), side: Sidecar{Version: sidecarVersion}}
}

func (t *tenant) now() time.Time { return t.svc.cfg.now() }

// open takes the state lock, reads the sidecar, builds the Syncer and
// opens the log store and the dispatchers.
func (t *tenant) open(ctx context.Context) error {
	unlock, err := t.spec.Store.Lock(ctx)
	if err != nil {
		return err
	}
	t.unlock = unlock
	if t.spec.Sidecar != "" {
		if t.side, err = ReadSidecar(t.spec.Sidecar); err != nil {
			_ = unlock() // close would write a fresh sidecar over the unreadable one
			t.unlock = nil
			return err
		}
		t.held, t.ready = t.side.Held, t.side.Ready
	}
	if t.syncer, err = t.spec.NewSyncer(druvascim.WithProgress(t.onProgress), druvascim.WithPolicy(t.spec.Policy)); err != nil {
		return fmt.Errorf("build the syncer: %w", err)
	}
	if t.spec.LogPath != "" {
		opts := []logstore.Option{logstore.WithClock(t.svc.cfg.now)}
		if t.spec.LogRetention > 0 {
			opts = append(opts, logstore.WithRetention(t.spec.LogRetention))
		}
		if l := t.svc.cfg.logger; l != nil {
			opts = append(opts, logstore.WithLogger(l.With("tenant", t.spec.Name)))
		}
		log, err := logstore.Open(ctx, t.spec.LogPath, opts...)
		if err != nil {
			return fmt.Errorf("open the provisioning log: %w", err)
		}
		t.mu.Lock() // the status page reads it (LogStore)
		t.log = log
		t.mu.Unlock()
	}
	return t.openDispatchers()
}

func (t *tenant) openDispatchers() error {
	t.dispatchers = map[string]*notify.Dispatcher{}
	for name, n := range t.spec.Notifiers {
		opts := []notify.DispatcherOption{notify.WithClock(t.svc.cfg.now), notify.WithMemory(t.side.Notify[name])}
		if l := t.svc.cfg.logger; l != nil {
			opts = append(opts, notify.WithLogger(l.With("tenant", t.spec.Name, "notifier", name)))
		}
		d, err := notify.NewDispatcher(n, append(opts, t.svc.cfg.notifyOpts...)...)
		if err != nil {
			return fmt.Errorf("notifier %s: %w", name, err)
		}
		t.dispatchers[name] = d
	}
	return nil
}

func (t *tenant) startDispatchers(ctx context.Context) {
	for _, d := range t.dispatchers {
		go d.Run(ctx)
	}
}

// startPruner prunes the log store hourly until ctx ends.
func (t *tenant) startPruner(ctx context.Context) {
	sq, ok := t.log.(*logstore.SQLite)
	if !ok {
		return
	}
	tick := time.NewTicker(time.Hour)
	go func() {
		defer tick.Stop()
		sq.RunPruner(ctx, tick.C)
	}()
}

// close saves the sidecar, closes the log store and releases the lock.
func (t *tenant) close() {
	if t.unlock == nil {
		return
	}
	t.mu.Lock()
	t.saveSidecarLocked()
	log := t.log
	t.log = nil
	t.mu.Unlock()
	if log != nil {
		if err := log.Close(); err != nil {
			t.svc.logWarn("service: close the provisioning log", "tenant", t.spec.Name, "error", err)
		}
	}
	if err := t.unlock(); err != nil {
		t.svc.logWarn("service: release the state lock", "tenant", t.spec.Name, "error", err)
	}
	t.unlock = nil
}

// saveSidecarLocked writes the sidecar with the dispatchers' memory; the
// caller holds t.mu.
func (t *tenant) saveSidecarLocked() error {
	t.side.Held, t.side.Ready = t.held, t.ready
	if len(t.dispatchers) > 0 {
		t.side.Notify = map[string]notify.Memory{}
		for name, d := range t.dispatchers {
			t.side.Notify[name] = d.Memory()
		}
	}
	if t.spec.Sidecar == "" {
		return nil
	}
	err := WriteSidecar(t.spec.Sidecar, t.side)
	if err != nil {
		t.svc.logWarn("service: save the sidecar", "tenant", t.spec.Name, "error", err)
	}
	return err
}

func (t *tenant) onProgress(p druvascim.Progress) {
	t.mu.Lock()
	t.running = &p
	t.mu.Unlock()
}

// loop runs the tenant's schedule until stop ends; cycles run under
// cycles, which outlives stop by the shutdown grace.
func (t *tenant) loop(stop, cycles context.Context) {
	next := t.now() // the first cycle at once
	for {
		wait := t.schedule(next)
		select {
		case <-stop.Done():
			return
		case <-wait:
		case <-t.wake:
		}
		if stop.Err() != nil {
			return
		}
		kind, approve, ok := t.take(next)
		if !ok {
			continue
		}
		t.cycle(cycles, kind, approve)
		next = t.nextCycle()
	}
}

// schedule records next as the next cycle's time and returns what to wait
// on: nil while paused (only an operation wakes the loop), a closed
// channel when next is due.
func (t *tenant) schedule(next time.Time) <-chan time.Time {
	t.mu.Lock()
	paused := t.side.Paused
	if paused {
		t.next = time.Time{}
	} else {
		t.next = next
	}
	t.mu.Unlock()
	if paused {
		if f := t.svc.cfg.pausedWait; f != nil {
			f(t.spec.Name)
		}
		return nil
	}
	d := next.Sub(t.now())
	if d <= 0 {
		c := make(chan time.Time, 1)
		c <- next
		return c
	}
	return t.svc.cfg.after(t.spec.Name, d)
}

// take decides whether a cycle runs now (not while paused) and of which
// kind, and takes the pending approval.
func (t *tenant) take(next time.Time) (kind logstore.CycleKind, approve int, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.side.Paused {
		return "", 0, false
	}
	kind = logstore.KindIncremental
	if t.side.Cycles == 0 {
		kind = logstore.KindInitial
	}
	if t.pendRestart {
		kind = logstore.KindRestart
	}
	approve, t.pendApprove = t.pendApprove, 0
	return kind, approve, true
}

// nextCycle is when the cycle after the one that just ended is due: a
// quarantine's next attempt, else the interval with jitter, doubled for
// each quarantined cycle in a row up to the maximum.
func (t *tenant) nextCycle() time.Time {
	t.mu.Lock()
	streak, q := t.side.Streak, t.side.Quarantine
	t.mu.Unlock()
	if now := t.now(); q != nil && q.NextAttempt.After(now) {
		return q.NextAttempt
	}
	return t.now().Add(t.interval(streak))
}

func (t *tenant) interval(streak int) time.Duration {
	ivl := t.spec.Interval
	if ivl == 0 {
		ivl = DefaultInterval
	}
	if streak > 0 {
		for range min(streak, 16) {
			ivl *= 2
			if ivl >= t.svc.cfg.maxIvl {
				return t.svc.cfg.maxIvl
			}
		}
		return ivl
	}
	if j := t.svc.cfg.jitter; j > 0 {
		r := t.svc.cfg.rand
		if r == nil {
			r = rand.Float64
		}
		ivl += time.Duration((r()*2 - 1) * j * float64(ivl))
	}
	return ivl
}

// do records an operation (see [Service.Do]).
func (t *tenant) do(ctx context.Context, op control.Operation) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch op {
	case control.OpPause, control.OpResume:
		was := t.side.Paused
		if was == (op == control.OpPause) {
			return nil // already so: nothing to record, no cycle to start
		}
		t.side.Paused = op == control.OpPause
		if err := t.saveSidecarLocked(); err != nil {
			t.side.Paused = was
			return fmt.Errorf("%s not recorded: %w", op, err)
		}
		if op == control.OpPause {
			return nil
		}
	case control.OpSyncNow:
		if t.side.Paused {
			return fmt.Errorf("%w: %q is paused; resume it to run cycles", ErrPaused, t.spec.Name)
		}
	case control.OpRestart:
		t.pendRestart = true
		if t.side.Paused {
			return nil // the restart waits for the resume
		}
	case control.OpApprove:
		if t.held == 0 {
			return fmt.Errorf("%w: tenant %q has no held deprovision (a cycle that holds some shows the count in the status)", ErrNothingHeld, t.spec.Name)
		}
		if t.side.Paused {
			return fmt.Errorf("%w: %q is paused; resume it, then approve", ErrPaused, t.spec.Name)
		}
		t.pendApprove = t.held
	}
	select {
	case t.wake <- struct{}{}:
	default: // a wake-up is queued already; the next cycle takes every pending operation
	}
	return nil
}

// status returns the tenant's status.
func (t *tenant) status() control.TenantStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := control.TenantStatus{Tenant: t.spec.Name, Paused: t.side.Paused, Held: t.held,
		LastCycle: t.lastCycle, LastSuccess: t.lastSuccess, NextCycle: t.next, Ready: t.ready, LastError: t.lastError}
	if t.running != nil {
		p := *t.running
		st.Running = &p
	}
	if q := t.side.Quarantine; q != nil {
		qc := *q
		st.Quarantine = &qc
	}
	switch {
	case st.Running != nil:
		st.State = control.StateRunning
	case st.Paused:
		st.State = control.StatePaused
	case st.Quarantine != nil:
		st.State = control.StateQuarantined
	case st.Held > 0:
		st.State = control.StateHeld
	default:
		st.State = control.StateIdle
	}
	return st
}
