package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/internal/notify"
	"github.com/google/go-cmp/cmp"
)

func run(t *testing.T, d *notify.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func flush(t *testing.T, ds ...*notify.Dispatcher) {
	t.Helper()
	for _, d := range ds {
		if err := d.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDispatcherEndToEnd raises a quarantine, held deprovisions and a
// refused credential through an email dispatcher and a webhook
// dispatcher: each channel gets one message per condition, none while the
// conditions hold within the reminder period, one reminder each after it,
// and one "cleared" message each.
func TestDispatcherEndToEnd(t *testing.T) {
	srv, pool := newSMTPServer(t, startTLS, "druvasync", smtpPassword)
	email := newEmail(t, srv.Port, pool, notify.WithAuth("druvasync", smtpPassword))
	r := newHookReceiver(t)
	hook, err := notify.NewWebhook(r.hookURL(), notify.WithHTTPClient(r.Client()))
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(t0)
	var ds []*notify.Dispatcher
	for _, n := range []notify.Notifier{email, hook} {
		d, err := notify.NewDispatcher(n, notify.WithClock(clk.Now), notify.WithWait(clk.Wait))
		if err != nil {
			t.Fatal(err)
		}
		run(t, d)
		ds = append(ds, d)
	}
	conditions := []notify.Event{
		quarantine(),
		{Kind: notify.KindDeprovisionsHeld, Tenant: "contoso", Summary: "12 deletes wait for approval.",
			Counts: map[string]int{"Delete": 12}, Command: "druvasync approve"},
		{Kind: notify.KindCredentialRefused, Tenant: "contoso", Key: "graph", Reason: "invalid_client",
			Summary: "Microsoft Graph refused the client secret."},
	}
	cycleNow := func(clear bool) {
		for _, d := range ds {
			for _, ev := range conditions {
				if clear {
					d.Clear(ev)
				} else {
					d.Raise(ev)
				}
			}
		}
		flush(t, ds...)
	}
	cycleNow(false)
	for range 3 { // three cycles 40 minutes apart: nothing new
		clk.Advance(40 * time.Minute)
		cycleNow(false)
	}
	clk.Advance(22 * time.Hour) // a day after the first notice
	cycleNow(false)
	clk.Advance(40 * time.Minute)
	cycleNow(false)
	cycleNow(true)
	cycleNow(true) // clearing twice reports once

	want := []string{
		"druvasync contoso: Provisioning quarantined",
		"druvasync contoso: Deprovisions held for approval",
		"druvasync contoso: Credential refused (graph)",
		"druvasync contoso: Reminder: Provisioning quarantined",
		"druvasync contoso: Reminder: Deprovisions held for approval",
		"druvasync contoso: Reminder: Credential refused (graph)",
		"druvasync contoso: Provisioning left quarantine",
		"druvasync contoso: Held deprovisions released",
		"druvasync contoso: Credential accepted again (graph)",
	}
	if d := cmp.Diff(want, srv.Subjects()); d != "" {
		t.Errorf("emails received (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, r.Texts()); d != "" {
		t.Errorf("webhook posts received (-want +got):\n%s", d)
	}
	for _, d := range ds {
		if m := d.Memory(); len(m.Conditions) != 0 {
			t.Errorf("conditions remembered after clearing: %+v", m)
		}
	}
}

// blocking is a notifier that waits for its release, as a hung server
// would.
type blocking struct {
	entered chan string
	release chan struct{}
	mu      sync.Mutex
	got     []string
}

func (b *blocking) Notify(ctx context.Context, ev notify.Event) error {
	b.entered <- ev.Key
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	b.got = append(b.got, ev.Key)
	b.mu.Unlock()
	return nil
}

// TestDispatcherNeverBlocks: with the notifier hung, Raise and Clear
// return at once; what did not fit in the queue is sent at the next Raise
// once the notifier recovers.
func TestDispatcherNeverBlocks(t *testing.T) {
	n := &blocking{entered: make(chan string, 100), release: make(chan struct{})}
	var logs bytes.Buffer
	d, err := notify.NewDispatcher(n, notify.WithQueueSize(2), notify.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	ev := func(key string) notify.Event {
		return notify.Event{Kind: notify.KindCredentialRefused, Tenant: "contoso", Key: key}
	}
	if !d.Raise(ev("a")) {
		t.Fatal("the first notice was not queued")
	}
	<-n.entered // the notifier holds "a"; the queue is empty
	var queued []bool
	for _, k := range []string{"b", "c", "d", "e"} {
		queued = append(queued, d.Raise(ev(k)))
	}
	if d := cmp.Diff([]bool{true, true, false, false}, queued); d != "" {
		t.Errorf("queued while the notifier hangs (-want +got):\n%s", d)
	}
	if !strings.Contains(logs.String(), "queue full") {
		t.Errorf("the dropped notices were not logged:\n%s", logs.String())
	}
	close(n.release)
	flush(t, d)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		d.Raise(ev(k)) // the next cycle: only the dropped ones go again
	}
	flush(t, d)
	n.mu.Lock()
	defer n.mu.Unlock()
	if d := cmp.Diff([]string{"a", "b", "c", "d", "e"}, n.got); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
}

// flaky fails its first failures deliveries.
type flaky struct {
	mu       sync.Mutex
	failures int
	calls    int
}

func (f *flaky) Notify(context.Context, notify.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		return &notify.DeliveryError{Channel: "test", Destination: "nowhere", Detail: "refused"}
	}
	return nil
}

func TestDispatcherRetries(t *testing.T) {
	clk := fakeclock.New(t0)
	var logs bytes.Buffer
	f := &flaky{failures: 2}
	d, err := notify.NewDispatcher(f, notify.WithClock(clk.Now), notify.WithWait(clk.Wait),
		notify.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	d.Raise(quarantine())
	flush(t, d)
	if f.calls != 3 {
		t.Errorf("%d calls, want 3", f.calls)
	}
	if d := cmp.Diff([]time.Duration{time.Minute, 2 * time.Minute}, clk.Waits()); d != "" {
		t.Errorf("backoff (-want +got):\n%s", d)
	}
	if got := strings.Count(logs.String(), "notification failed"); got != 2 {
		t.Errorf("%d failures logged, want 2:\n%s", got, logs.String())
	}

	// Every attempt fails: the notice is given up, and the next Raise
	// sends it again although the reminder period has not passed.
	f.mu.Lock()
	f.calls, f.failures = 0, 4
	f.mu.Unlock()
	held := notify.Event{Kind: notify.KindDeprovisionsHeld, Tenant: "contoso"}
	d.Raise(held)
	flush(t, d)
	if !d.Memory().Conditions[0].Undelivered {
		t.Errorf("memory after giving up: %+v", d.Memory())
	}
	if !d.Raise(held) {
		t.Error("the undelivered notice was not sent again")
	}
	flush(t, d)
	if f.calls != 5 {
		t.Errorf("%d calls, want 4 failed and 1 delivered", f.calls)
	}
}

type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) Notify(_ context.Context, ev notify.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, ev.Subject())
	return nil
}

func (r *recorder) Got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// TestDispatcherMemory: a dispatcher restored from a saved memory neither
// repeats a notice nor forgets to clear it.
func TestDispatcherMemory(t *testing.T) {
	clk := fakeclock.New(t0)
	rec := &recorder{}
	d, err := notify.NewDispatcher(rec, notify.WithClock(clk.Now), notify.WithReminder(6*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	d.Raise(quarantine())
	flush(t, d)
	saved, err := json.Marshal(d.Memory())
	if err != nil {
		t.Fatal(err)
	}

	var m notify.Memory
	if err := json.Unmarshal(saved, &m); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	d2, err := notify.NewDispatcher(rec, notify.WithClock(clk.Now), notify.WithReminder(6*time.Hour), notify.WithMemory(m))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d2)
	if d2.Raise(quarantine()) {
		t.Error("the restored dispatcher repeated the notice")
	}
	clk.Advance(5 * time.Hour)
	if !d2.Raise(quarantine()) {
		t.Error("no reminder after the period")
	}
	d2.Clear(quarantine())
	flush(t, d2)
	want := []string{"druvasync contoso: Provisioning quarantined", "druvasync contoso: Reminder: Provisioning quarantined",
		"druvasync contoso: Provisioning left quarantine"}
	if d := cmp.Diff(want, rec.Got()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, err := notify.NewDispatcher(rec, notify.WithMemory(notify.Memory{Conditions: []notify.Condition{{}}})); !errors.Is(err, notify.ErrInvalid) {
		t.Errorf("a memory without kind: %v", err)
	}
}

func TestTokenExpiry(t *testing.T) {
	created := t0
	end := created.Add(notify.DruvaTokenLifetime)
	for _, tt := range []struct {
		at    time.Time
		stage string
	}{
		{created, ""},
		{end.Add(-30*24*time.Hour - time.Second), ""},
		{end.Add(-30 * 24 * time.Hour), "30 days"},
		{end.Add(-8 * 24 * time.Hour), "30 days"},
		{end.Add(-7 * 24 * time.Hour), "7 days"},
		{end.Add(-time.Second), "7 days"},
		{end, "expired"},
	} {
		ev, ok := notify.TokenExpiry("contoso", created, tt.at)
		if ok != (tt.stage != "") || ev.Stage != tt.stage {
			t.Errorf("at %v: %q, %v; want %q", tt.at, ev.Stage, ok, tt.stage)
		}
		if ok && !ev.Expires.Equal(end) {
			t.Errorf("at %v: expires %v, want %v", tt.at, ev.Expires, end)
		}
	}
	if _, ok := notify.TokenExpiry("contoso", time.Time{}, t0); ok {
		t.Error("a warning without a creation date")
	}

	// Checked every 40 minutes from 31 days before the end until it is
	// renewed: one warning at 30 days, one at 7, one when renewed.
	clk := fakeclock.New(end.Add(-31 * 24 * time.Hour))
	rec := &recorder{}
	d, err := notify.NewDispatcher(rec, notify.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	run(t, d)
	for ; clk.Now().Before(end.Add(-2 * 24 * time.Hour)); clk.Advance(40 * time.Minute) {
		if ev, ok := notify.TokenExpiry("contoso", created, clk.Now()); ok {
			d.Raise(ev)
		} else {
			d.Clear(notify.Event{Kind: notify.KindTokenExpiry, Tenant: "contoso"})
		}
	}
	_, ok := notify.TokenExpiry("contoso", clk.Now(), clk.Now()) // a new token
	if ok {
		t.Fatal("a new token expires soon")
	}
	d.Clear(notify.Event{Kind: notify.KindTokenExpiry, Tenant: "contoso"})
	flush(t, d)
	want := []string{"druvasync contoso: Druva token expires soon: 30 days", "druvasync contoso: Druva token expires soon: 7 days",
		"druvasync contoso: Druva token renewed"}
	if d := cmp.Diff(want, rec.Got()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
