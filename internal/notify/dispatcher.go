package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/druvascim/druvascim/internal/httpx"
)

// Defaults of a [Dispatcher].
const (
	DefaultReminder  = 24 * time.Hour
	DefaultQueueSize = 64
	DefaultAttempts  = 4
	DefaultBackoff   = time.Minute
)

// Dispatcher stands in front of a [Notifier]: it reports each condition
// once when raised, then as a reminder no more often than the reminder
// period, and once more when it clears. [Dispatcher.Raise] and
// [Dispatcher.Clear] never block: notices go through a bounded queue to
// [Dispatcher.Run], which delivers them one at a time and retries a
// failing notifier with backoff. A notice that cannot be delivered (queue
// full, or every attempt failed) is logged and sent again at the next
// Raise; a "cleared" notice that cannot be delivered is logged and
// dropped, as nothing raises it again.
//
// Its memory of conditions ([Dispatcher.Memory], [WithMemory]) is a
// small JSON-able value the service saves with its state, so a restart
// neither repeats nor forgets a notice.
type Dispatcher struct {
	n        Notifier
	reminder time.Duration
	attempts int
	backoff  time.Duration
	now      func() time.Time
	wait     func(context.Context, time.Duration) error
	logger   *slog.Logger
	queue    chan Event

	mu      sync.Mutex
	conds   map[conditionKey]*Condition
	pending int
	idle    chan struct{} // closed while pending == 0
}

// Condition is the dispatcher's memory of one raised condition.
type Condition struct {
	Kind   Kind   `json:"kind"`
	Tenant string `json:"tenant"`
	Key    string `json:"key,omitempty"`
	Stage  string `json:"stage,omitempty"`
	// Since is when it was first raised; Sent when a notice of it was last
	// queued.
	Since time.Time `json:"since"`
	Sent  time.Time `json:"sent"`
	// Undelivered is set when the last notice was dropped or failed: the
	// next Raise sends it again.
	Undelivered bool `json:"undelivered,omitempty"`
}

// Memory is what a dispatcher remembers, to be saved across restarts.
type Memory struct {
	Conditions []Condition `json:"conditions"`
}

type conditionKey struct {
	kind        Kind
	tenant, key string
}

func keyOf(ev Event) conditionKey { return conditionKey{ev.Kind, ev.Tenant, ev.Key} }

// DispatcherOption configures [NewDispatcher].
type DispatcherOption func(*Dispatcher) error

// WithReminder sets the reminder period (default [DefaultReminder]).
func WithReminder(d time.Duration) DispatcherOption {
	return func(x *Dispatcher) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithReminder(%v): the period must be positive", ErrInvalid, d)
		}
		x.reminder = d
		return nil
	}
}

// WithQueueSize sets how many notices may wait for delivery (default
// [DefaultQueueSize]); more are dropped and sent at a later Raise.
func WithQueueSize(n int) DispatcherOption {
	return func(x *Dispatcher) error {
		if n < 1 {
			return fmt.Errorf("%w: WithQueueSize(%d): the queue needs room for one notice", ErrInvalid, n)
		}
		x.queue = make(chan Event, n)
		return nil
	}
}

// WithRetry sets how many times a notice is tried (default
// [DefaultAttempts]) and the first wait between tries (default
// [DefaultBackoff], doubling each time).
func WithRetry(attempts int, backoff time.Duration) DispatcherOption {
	return func(x *Dispatcher) error {
		if attempts < 1 || backoff < 0 {
			return fmt.Errorf("%w: WithRetry(%d, %v): want at least one attempt and a backoff of 0 or more", ErrInvalid, attempts, backoff)
		}
		x.attempts, x.backoff = attempts, backoff
		return nil
	}
}

// WithClock sets the clock that dates notices and measures the reminder
// period (default time.Now).
func WithClock(now func() time.Time) DispatcherOption {
	return func(x *Dispatcher) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalid)
		}
		x.now = now
		return nil
	}
}

// WithWait sets how the dispatcher waits between tries (default: a timer
// that ends early with ctx); tests pass a fake clock's Wait.
func WithWait(wait func(ctx context.Context, d time.Duration) error) DispatcherOption {
	return func(x *Dispatcher) error {
		if wait == nil {
			return fmt.Errorf("%w: WithWait(nil)", ErrInvalid)
		}
		x.wait = wait
		return nil
	}
}

// WithLogger logs failed and dropped deliveries. Without it the
// dispatcher logs nothing.
func WithLogger(l *slog.Logger) DispatcherOption {
	return func(x *Dispatcher) error { x.logger = l; return nil }
}

// WithMemory restores the conditions a dispatcher remembered (see
// [Dispatcher.Memory]).
func WithMemory(m Memory) DispatcherOption {
	return func(x *Dispatcher) error {
		for i, c := range m.Conditions {
			if c.Kind == "" {
				return fmt.Errorf("%w: WithMemory: condition %d has no kind", ErrInvalid, i)
			}
			x.conds[conditionKey{c.Kind, c.Tenant, c.Key}] = &c
		}
		return nil
	}
}

// NewDispatcher returns a dispatcher delivering to n. Start
// [Dispatcher.Run] to deliver.
func NewDispatcher(n Notifier, opts ...DispatcherOption) (*Dispatcher, error) {
	if n == nil {
		return nil, fmt.Errorf("%w: NewDispatcher: the notifier is nil", ErrInvalid)
	}
	d := &Dispatcher{n: n, reminder: DefaultReminder, attempts: DefaultAttempts, backoff: DefaultBackoff,
		now: time.Now, wait: httpx.Sleep, queue: make(chan Event, DefaultQueueSize),
		conds: map[conditionKey]*Condition{}, idle: make(chan struct{})}
	close(d.idle)
	for _, opt := range opts {
		if err := opt(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Raise reports that the condition of ev holds. It queues a notice when
// the condition is new, reaches a new stage, or was last reported a
// reminder period ago (never for the token, whose stages are its
// reminders); it returns whether it did. It never blocks.
func (d *Dispatcher) Raise(ev Event) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	ev.Time = cmpTime(ev.Time, now)
	k := keyOf(ev)
	c, ok := d.conds[k]
	switch {
	case !ok:
		c = &Condition{Kind: ev.Kind, Tenant: ev.Tenant, Key: ev.Key, Since: now}
		d.conds[k] = c
		ev.State = StateRaised
	case c.Undelivered || c.Stage != ev.Stage:
		ev.State = StateRaised
	case ev.Kind != KindTokenExpiry && now.Sub(c.Sent) >= d.reminder:
		ev.State = StateReminder
	default:
		return false
	}
	c.Stage, c.Sent = ev.Stage, now
	c.Undelivered = !d.enqueue(ev)
	return !c.Undelivered
}

// Clear reports that the condition of ev no longer holds. If it was
// raised, the condition is forgotten and a "cleared" notice is queued;
// Clear returns whether it was. It never blocks.
func (d *Dispatcher) Clear(ev Event) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := keyOf(ev)
	if _, ok := d.conds[k]; !ok {
		return false
	}
	delete(d.conds, k)
	ev.Time = cmpTime(ev.Time, d.now())
	ev.State = StateCleared
	return d.enqueue(ev)
}

func cmpTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// enqueue queues ev without blocking; d.mu is held.
func (d *Dispatcher) enqueue(ev Event) bool {
	select {
	case d.queue <- ev:
		if d.pending == 0 {
			d.idle = make(chan struct{})
		}
		d.pending++
		return true
	default:
		d.logf("notification queue full: notice dropped, sent again at the next check", ev, nil)
		return false
	}
}

// Memory returns the raised conditions, sorted, for saving.
func (d *Dispatcher) Memory() Memory {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := Memory{Conditions: []Condition{}}
	for _, c := range d.conds {
		m.Conditions = append(m.Conditions, *c)
	}
	slices.SortFunc(m.Conditions, func(a, b Condition) int {
		return strings.Compare(string(a.Kind)+"\x00"+a.Tenant+"\x00"+a.Key, string(b.Kind)+"\x00"+b.Tenant+"\x00"+b.Key)
	})
	return m
}

// Run delivers queued notices until ctx ends. Run it once, in its own
// goroutine.
func (d *Dispatcher) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-d.queue:
			d.deliver(ctx, ev)
			d.mu.Lock()
			d.pending--
			if d.pending == 0 {
				close(d.idle)
			}
			d.mu.Unlock()
		}
	}
}

// deliver tries ev up to the configured attempts.
func (d *Dispatcher) deliver(ctx context.Context, ev Event) {
	backoff := d.backoff
	var err error
	for attempt := 1; attempt <= d.attempts; attempt++ {
		if err = d.n.Notify(ctx, ev); err == nil {
			return
		}
		if ctx.Err() != nil {
			break
		}
		d.logf(fmt.Sprintf("notification failed (attempt %d of %d)", attempt, d.attempts), ev, err)
		if attempt < d.attempts {
			if d.wait(ctx, backoff) != nil {
				break
			}
			backoff *= 2
		}
	}
	d.logf("notification given up; sent again at the next check", ev, err)
	if ev.State == StateCleared {
		return
	}
	d.mu.Lock()
	if c, ok := d.conds[keyOf(ev)]; ok && c.Stage == ev.Stage {
		c.Undelivered = true
	}
	d.mu.Unlock()
}

// Flush waits until every queued notice was delivered or given up, or
// ctx ends.
func (d *Dispatcher) Flush(ctx context.Context) error {
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Dispatcher) logf(msg string, ev Event, err error) {
	if d.logger == nil {
		return
	}
	args := []any{"kind", ev.Kind, "tenant", ev.Tenant, "state", ev.State}
	if ev.Key != "" {
		args = append(args, "key", ev.Key)
	}
	if err != nil {
		args = append(args, "error", err.Error())
	}
	d.logger.Warn(msg, args...)
}
