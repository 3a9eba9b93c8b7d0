package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/metrics"
	"github.com/druvascim/druvascim/internal/notify"
)

// Defaults of a [Service].
const (
	DefaultInterval      = 40 * time.Minute
	DefaultMaxInterval   = 24 * time.Hour
	DefaultJitter        = 0.1
	DefaultShutdownGrace = 30 * time.Second
	// notifyFlush bounds how long a stopping service waits for queued
	// notices.
	notifyFlush = 5 * time.Second
)

// Errors of the service, matched with errors.Is.
var (
	// ErrInvalid: a bad tenant or option (the message names it).
	ErrInvalid = errors.New("service: invalid configuration")
	// ErrNotRunning: an operation asked of a service that is not running
	// (not started yet, or stopping). It matches control.ErrUnavailable.
	ErrNotRunning error = &opError{"service: not running", control.ErrUnavailable}
	// ErrPaused: a sync or an approval asked of a paused tenant; resume it
	// first. It matches control.ErrConflict.
	ErrPaused error = &opError{"service: tenant is paused", control.ErrConflict}
	// ErrNothingHeld: an approval asked when no deprovision waits for one.
	// It matches control.ErrConflict.
	ErrNothingHeld error = &opError{"service: nothing waits for approval", control.ErrConflict}
)

// opError is a refused operation's sentinel: it also matches the kind of
// refusal the controller's clients know (control.ErrConflict,
// control.ErrUnavailable).
type opError struct {
	msg  string
	kind error
}

func (e *opError) Error() string        { return e.msg }
func (e *opError) Is(target error) bool { return target == e.kind }

// Tenant describes one tenant the service runs.
type Tenant struct {
	// Name identifies the tenant in the status, the API and notices.
	Name string
	// Store keeps the tenant's state. The service holds its lock while it
	// runs, and the Syncers NewSyncer builds must save through it.
	Store druvascim.StateStore
	// NewSyncer builds a Syncer over Store with the tenant's source,
	// target and mapping set, adding opts last (the service passes
	// WithProgress and WithPolicy with Policy; for an approval, Policy
	// with ApproveHolds and a plan policy that bounds what it approves).
	NewSyncer func(opts ...druvascim.Option) (*druvascim.Syncer, error)
	// Policy is the tenant's planner settings (the zero Policy is Entra's
	// default behaviour). NewSyncer must not set its own: the service's
	// WithPolicy comes after and replaces it.
	Policy druvascim.Policy
	// Sidecar is the file that keeps the pause, the quarantine and the
	// notifiers' memory across restarts (see [SidecarPath]); empty keeps
	// them in memory only.
	Sidecar string
	// LogPath is the tenant's SQLite provisioning-log store; empty records
	// no log.
	LogPath string
	// LogRetention is how long log entries are kept (0: the log store's
	// default, 30 days).
	LogRetention time.Duration
	// Notifiers deliver the tenant's notices, by a name that keys their
	// memory in the sidecar ("email", "webhook").
	Notifiers map[string]notify.Notifier
	// Interval is the time between cycles (0: [DefaultInterval]).
	Interval time.Duration
	// DruvaTokenCreated is when the Druva token was made; when set, the
	// service warns 30 and 7 days before its 365 days end.
	DruvaTokenCreated time.Time
	// DruvaRequests and GraphRequests, when set, read the clients'
	// cumulative request counts, recorded per cycle in the log.
	DruvaRequests, GraphRequests func() int64
	// DruvaRate, when set, reads the Druva client's current rate limit in
	// requests per second, reported to the metrics after each cycle.
	DruvaRate func() float64
	// Refused, when set, says which credential err shows refused:
	// "druva", "graph" or "" for none, for a source or target that reports
	// a refusal its own way. The service recognises Graph's
	// (entra.ErrUnauthorized) and Druva's (a *scim.Error with status 401
	// or 403) itself.
	Refused func(err error) string
}

// Service runs the tenants' cycles. Create it with [New], run it with
// [Service.Run]. It implements [control.Controller].
type Service struct {
	cfg     config
	tenants map[string]*tenant
	names   []string
	state   atomic.Int32 // stateNew, stateRunning, stateStopping
	ran     atomic.Bool
}

const (
	stateNew int32 = iota
	stateRunning
	stateStopping
)

var _ control.Controller = (*Service)(nil)

type config struct {
	logger     *slog.Logger
	now        func() time.Time
	after      func(tenant string, d time.Duration) <-chan time.Time
	jitter     float64
	rand       func() float64
	grace      time.Duration
	maxIvl     time.Duration
	serviceURL string
	metrics    *metrics.Metrics
	notifyOpts []notify.DispatcherOption
	// pausedWait, when set, is told each time a paused tenant's loop
	// waits for an operation (tests use it to know the loop is idle).
	pausedWait func(tenant string)
}

// Option configures [New].
type Option func(*config) error

// WithLogger logs cycles, refused operations and failed log writes. The
// service logs nothing without it.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger: the logger is nil", ErrInvalid)
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the clock that dates cycles, schedules and notices
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock: the clock is nil", ErrInvalid)
		}
		c.now = now
		return nil
	}
}

// WithAfter sets how the service waits: after returns a channel that
// receives once d has passed for the named tenant (or "" for the shutdown
// grace). The default is time.After; tests pass a fake that fires when
// told.
func WithAfter(after func(tenant string, d time.Duration) <-chan time.Time) Option {
	return func(c *config) error {
		if after == nil {
			return fmt.Errorf("%w: WithAfter: the function is nil", ErrInvalid)
		}
		c.after = after
		return nil
	}
}

// WithJitter spreads cycles by up to fraction of the interval either way
// (default [DefaultJitter]; 0 for none), so that many tenants do not
// start together.
func WithJitter(fraction float64) Option {
	return func(c *config) error {
		if fraction < 0 || fraction >= 1 {
			return fmt.Errorf("%w: WithJitter(%g): want a fraction from 0 up to, not including, 1", ErrInvalid, fraction)
		}
		c.jitter = fraction
		return nil
	}
}

// WithShutdownGrace sets how long running cycles may go on once Run's
// context ends before they are canceled (default [DefaultShutdownGrace]).
func WithShutdownGrace(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: WithShutdownGrace(%v): want 0 or more", ErrInvalid, d)
		}
		c.grace = d
		return nil
	}
}

// WithMaxInterval caps the interval a quarantine stretches (default
// [DefaultMaxInterval], once a day).
func WithMaxInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithMaxInterval(%v): want more than 0", ErrInvalid, d)
		}
		c.maxIvl = d
		return nil
	}
}

// WithServiceURL names the service's URL in the commands notices suggest
// ("druvasync approve --service URL --tenant T").
func WithServiceURL(u string) Option {
	return func(c *config) error {
		c.serviceURL = u
		return nil
	}
}

// WithMetrics reports each finished cycle (its outcome, operations and
// duration) and each tenant's Druva rate limit to m; the status page
// serves m on /metrics.
func WithMetrics(m *metrics.Metrics) Option {
	return func(c *config) error {
		if m == nil {
			return fmt.Errorf("%w: WithMetrics: the metrics are nil", ErrInvalid)
		}
		c.metrics = m
		return nil
	}
}

// WithNotifyOptions passes options to every tenant's notify.Dispatcher
// (reminder period, retries, clock for tests). The service adds the
// clock, logger and remembered conditions itself; options given here
// come after them.
func WithNotifyOptions(opts ...notify.DispatcherOption) Option {
	return func(c *config) error {
		c.notifyOpts = append(c.notifyOpts, opts...)
		return nil
	}
}

// New returns a service for tenants; it starts nothing until [Service.Run].
func New(tenants []Tenant, opts ...Option) (*Service, error) {
	c := config{now: time.Now, jitter: DefaultJitter, grace: DefaultShutdownGrace, maxIvl: DefaultMaxInterval,
		after: func(_ string, d time.Duration) <-chan time.Time { return time.After(d) }}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: a nil Option", ErrInvalid)
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if len(tenants) == 0 {
		return nil, fmt.Errorf("%w: no tenant; configure at least one", ErrInvalid)
	}
	s := &Service{cfg: c, tenants: map[string]*tenant{}}
	files := map[string]string{} // sidecars and log stores, by the tenant that has them
	for i, spec := range tenants {
		if err := checkTenant(i, spec); err != nil {
			return nil, err
		}
		if _, dup := s.tenants[spec.Name]; dup {
			return nil, fmt.Errorf("%w: tenant %q is configured twice; give each tenant its own name", ErrInvalid, spec.Name)
		}
		for _, f := range []string{spec.Sidecar, spec.LogPath} {
			if other, dup := files[f]; dup && f != "" {
				return nil, fmt.Errorf("%w: tenants %q and %q share the file %s; give each tenant its own state", ErrInvalid, other, spec.Name, f)
			}
			files[f] = spec.Name
		}
		s.tenants[spec.Name] = newTenant(s, spec)
		s.names = append(s.names, spec.Name)
	}
	slices.Sort(s.names)
	return s, nil
}

func checkTenant(i int, t Tenant) error {
	switch {
	case strings.TrimSpace(t.Name) == "":
		return fmt.Errorf("%w: tenant %d has no name", ErrInvalid, i+1)
	case t.Store == nil:
		return fmt.Errorf("%w: tenant %q has no state store", ErrInvalid, t.Name)
	case t.NewSyncer == nil:
		return fmt.Errorf("%w: tenant %q has no NewSyncer", ErrInvalid, t.Name)
	case t.Interval < 0:
		return fmt.Errorf("%w: tenant %q: interval %v is negative", ErrInvalid, t.Name, t.Interval)
	}
	for name, n := range t.Notifiers {
		if n == nil {
			return fmt.Errorf("%w: tenant %q: notifier %q is nil", ErrInvalid, t.Name, name)
		}
	}
	return nil
}

// Tenants lists the tenants by name, sorted.
func (s *Service) Tenants() []string { return slices.Clone(s.names) }

// Status returns a tenant's status.
func (s *Service) Status(name string) (control.TenantStatus, error) {
	t, ok := s.tenants[name]
	if !ok {
		return control.TenantStatus{}, unknownTenant(name)
	}
	return t.status(), nil
}

// LogStore returns the tenant's provisioning-log store while the service
// runs, nil before, after, or when the tenant keeps none. It suits
// statuspage.LogStores; the service closes it when Run ends.
func (s *Service) LogStore(name string) logstore.Store {
	t, ok := s.tenants[name]
	if !ok {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.log
}

// Do performs op on the tenant. It returns once the operation is
// recorded: a pause or resume is written to the sidecar, a sync, restart
// or approval is queued for the tenant's next cycle, which starts at once
// unless one is running (then right after it).
func (s *Service) Do(ctx context.Context, name string, op control.Operation) error {
	t, ok := s.tenants[name]
	if !ok {
		return unknownTenant(name)
	}
	if _, err := control.ParseOperation(string(op)); err != nil {
		return err
	}
	if s.state.Load() != stateRunning {
		return fmt.Errorf("%w: the service is not running or is stopping; %s was not done", ErrNotRunning, op)
	}
	return t.do(ctx, op)
}

func unknownTenant(name string) error {
	return fmt.Errorf("%w: %q; the service runs other tenants (see its status)", control.ErrUnknownTenant, name)
}

// Run takes every tenant's state lock, runs the tenants' schedules until
// ctx ends, then stops gracefully (see the package documentation) and
// returns nil. It returns an error without running anything when a lock
// is held elsewhere (matching druvascim.ErrLocked, naming the holder) or a
// tenant's sidecar or log store cannot be opened. Run runs once.
func (s *Service) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Run was already called; make a new Service", ErrInvalid)
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	defer s.closeAll()
	notifyCtx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	defer stopNotify()
	for _, t := range s.tenants {
		t.startDispatchers(notifyCtx)
		t.startPruner(notifyCtx)
	}
	cycles, cancelCycles := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCycles()
	var wg sync.WaitGroup
	s.state.Store(stateRunning)
	s.logInfo("service: running", "tenants", s.names)
	for _, name := range s.names {
		t := s.tenants[name]
		wg.Go(func() { t.loop(ctx, cycles) })
	}
	<-ctx.Done()
	s.state.Store(stateStopping)
	s.logInfo("service: stopping; running cycles get a grace period", "grace", s.cfg.grace)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-s.cfg.after("", s.cfg.grace):
		s.logInfo("service: grace period over; canceling running cycles")
		cancelCycles()
		<-done
	}
	s.flushNotices(notifyCtx)
	return nil
}

// open locks every tenant's state and opens its sidecar and log store;
// on any error it releases what it took.
func (s *Service) open(ctx context.Context) error {
	for _, name := range s.names {
		if err := s.tenants[name].open(ctx); err != nil {
			s.closeAll()
			return fmt.Errorf("tenant %s: %w", name, err)
		}
	}
	return nil
}

func (s *Service) closeAll() {
	for _, name := range s.names {
		s.tenants[name].close()
	}
}

// flushNotices waits a short while for queued notices of every tenant.
func (s *Service) flushNotices(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, notifyFlush)
	defer cancel()
	for _, name := range s.names {
		for _, d := range s.tenants[name].dispatchers {
			if err := d.Flush(ctx); err != nil {
				s.logWarn("service: notices still queued at shutdown", "tenant", name, "error", err)
			}
		}
	}
}

func (s *Service) logInfo(msg string, args ...any) {
	if s.cfg.logger != nil {
		s.cfg.logger.Info(msg, args...)
	}
}

func (s *Service) logWarn(msg string, args ...any) {
	if s.cfg.logger != nil {
		s.cfg.logger.Warn(msg, args...)
	}
}
