package service

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/notify"
	"github.com/google/go-cmp/cmp"
)

// TestScheduleAndSingleFlight: the first cycle runs at once, the next one
// an interval later; sync-now asked three times during a running cycle
// runs one more cycle after it, never two at once.
func TestScheduleAndSingleFlight(t *testing.T) {
	r := newRig(t, "contoso", 60)
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	w := tm.next(t, run.done)
	if w.tenant != "contoso" || w.d != 40*time.Minute {
		t.Fatalf("after the first cycle the service waits %v for %q, want 40m", w.d, w.tenant)
	}
	st := status(t, run.svc, "contoso")
	if st.State != control.StateIdle || !st.Ready || !st.NextCycle.Equal(t0.Add(40*time.Minute)) || st.LastCycle == nil {
		t.Fatalf("status after the first cycle: %+v", st)
	}
	if r.d.Len() == 0 {
		t.Fatal("the first cycle created no Druva user")
	}
	tm.fire(w)
	tm.next(t, run.done)

	// A change that makes the next cycle write, so it can be held mid-cycle.
	var linked string
	for src := range loadState(t, r.state).Links {
		linked = src
		break
	}
	if err := r.g.Rename(linked, "renamed.user@contoso.example"); err != nil {
		t.Fatal(err)
	}
	r.px.hold()
	if err := run.svc.Do(t.Context(), "contoso", control.OpSyncNow); err != nil {
		t.Fatal(err)
	}
	<-r.px.arrived
	if st := status(t, run.svc, "contoso"); st.State != control.StateRunning || st.Running == nil {
		t.Errorf("during the cycle: state %s, progress %v", st.State, st.Running)
	}
	for range 2 {
		if err := run.svc.Do(t.Context(), "contoso", control.OpSyncNow); err != nil {
			t.Fatal(err)
		}
	}
	r.px.release()
	tm.next(t, run.done) // after the held cycle (abandoned: a sync is queued)
	tm.next(t, run.done) // after the one queued cycle
	var kinds []logstore.CycleKind
	for _, c := range cycles(t, r.spec.LogPath) {
		kinds = append(kinds, c.Kind)
		if c.Outcome != logstore.OutcomeSucceeded {
			t.Errorf("cycle %d: outcome %s (%s)", c.ID, c.Outcome, c.Error)
		}
	}
	want := []logstore.CycleKind{logstore.KindInitial, logstore.KindIncremental, logstore.KindIncremental, logstore.KindIncremental}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("cycles (-want +got):\n%s", diff)
	}
}

// TestPauseSurvivesRestart: a pause stops the schedule, is written before
// Do returns, and holds after the process restarts; resume runs a cycle.
func TestPauseSurvivesRestart(t *testing.T) {
	r := newRig(t, "contoso", 30)
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	w := tm.next(t, run.done)
	if err := run.svc.Do(t.Context(), "contoso", control.OpPause); err != nil {
		t.Fatal(err)
	}
	if sc, err := ReadSidecar(r.spec.Sidecar); err != nil || !sc.Paused {
		t.Fatalf("sidecar after pause: %+v, %v", sc, err)
	}
	tm.fire(w)
	<-tm.paused
	st := status(t, run.svc, "contoso")
	if st.State != control.StatePaused || !st.Paused || !st.NextCycle.IsZero() {
		t.Errorf("paused status: %+v", st)
	}
	if err := run.svc.Do(t.Context(), "contoso", control.OpSyncNow); !errors.Is(err, ErrPaused) || !errors.Is(err, control.ErrConflict) {
		t.Errorf("sync while paused: %v, want ErrPaused", err)
	}
	run.stop(t, tm)
	requests := r.d.Stats().Requests

	run = start(t, tm, []Tenant{r.spec})
	<-tm.paused
	if n := r.d.Stats().Requests; n != requests || len(cycles(t, r.spec.LogPath)) != 1 {
		t.Fatalf("a paused tenant ran after the restart: %d Druva requests (were %d)", n, requests)
	}
	if err := run.svc.Do(t.Context(), "contoso", control.OpResume); err != nil {
		t.Fatal(err)
	}
	tm.next(t, run.done)
	if n := len(cycles(t, r.spec.LogPath)); n != 2 {
		t.Errorf("%d cycles after resume, want 2", n)
	}
	if sc, _ := ReadSidecar(r.spec.Sidecar); sc.Paused {
		t.Error("the sidecar still says paused after resume")
	}
}

// TestRestartReadsEverything: restart runs a full cycle that keeps the
// links and creates nobody again.
func TestRestartReadsEverything(t *testing.T) {
	r := newRig(t, "contoso", 40)
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	tm.next(t, run.done)
	links := len(loadState(t, r.state).Links)
	if err := run.svc.Do(t.Context(), "contoso", control.OpRestart); err != nil {
		t.Fatal(err)
	}
	tm.next(t, run.done)
	cs := cycles(t, r.spec.LogPath)
	if len(cs) != 2 || cs[1].Kind != logstore.KindRestart {
		t.Fatalf("cycles: %+v", cs)
	}
	st := status(t, run.svc, "contoso")
	if !st.LastCycle.Full || st.LastCycle.Actions[druvascim.ActionCreate] != 0 {
		t.Errorf("restart cycle: full %v, creates %d", st.LastCycle.Full, st.LastCycle.Actions[druvascim.ActionCreate])
	}
	if n := len(loadState(t, r.state).Links); n != links {
		t.Errorf("%d links after restart, had %d", n, links)
	}
}

// TestApproveHeld: deprovisions over the threshold are held (the status
// says how many) and applied only when approved.
func TestApproveHeld(t *testing.T) {
	r := newRig(t, "contoso", 60)
	r.spec.Policy.DeletionThreshold = 2
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	w := tm.next(t, run.done)
	if err := run.svc.Do(t.Context(), "contoso", control.OpApprove); !errors.Is(err, ErrNothingHeld) || !errors.Is(err, control.ErrConflict) {
		t.Errorf("approve with nothing held: %v", err)
	}
	gone := unassign(t, r, 4)
	tm.fire(w)
	tm.next(t, run.done)
	st := status(t, run.svc, "contoso")
	if st.State != control.StateHeld || st.Held != 4 {
		t.Fatalf("after the held cycle: state %s, held %d (want held, 4)", st.State, st.Held)
	}
	if n := activeCount(t, r, gone); n != 4 {
		t.Fatalf("%d of the unassigned users still active before approval, want 4", n)
	}
	if err := run.svc.Do(t.Context(), "contoso", control.OpApprove); err != nil {
		t.Fatal(err)
	}
	tm.next(t, run.done)
	if n := activeCount(t, r, gone); n != 0 {
		t.Errorf("%d unassigned users still active after approval", n)
	}
	if st := status(t, run.svc, "contoso"); st.State != control.StateIdle || st.Held != 0 {
		t.Errorf("after approval: state %s, held %d", st.State, st.Held)
	}
}

// unassign unassigns n linked users in the fake Graph and returns their
// Druva ids.
func unassign(t *testing.T, r *rig, n int) []string {
	t.Helper()
	var ids []string
	for src, id := range loadState(t, r.state).Links {
		if len(ids) == n {
			break
		}
		if err := r.g.Unassign(src); err != nil {
			continue // assigned through a group only
		}
		ids = append(ids, id)
	}
	if len(ids) < n {
		t.Fatalf("only %d users could be unassigned", len(ids))
	}
	return ids
}

func activeCount(t *testing.T, r *rig, ids []string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		u, err := r.d.User(id)
		if err != nil {
			t.Fatal(err)
		}
		if u["active"] == true {
			n++
		}
	}
	return n
}

// TestQuarantineStretchesInterval: a refused credential quarantines the
// tenant; each quarantined cycle doubles the interval up to once a day;
// an accepted credential ends the quarantine and the interval returns.
func TestQuarantineStretchesInterval(t *testing.T) {
	r := newRig(t, "contoso", 20)
	r.px.refuse.Store(true)
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	var got []time.Duration
	for range 6 {
		w := tm.next(t, run.done)
		got = append(got, w.d)
		tm.fire(w)
	}
	want := []time.Duration{80 * time.Minute, 160 * time.Minute, 320 * time.Minute, 640 * time.Minute, 1280 * time.Minute, 24 * time.Hour}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("intervals in quarantine (-want +got):\n%s", diff)
	}
	w := tm.next(t, run.done) // the seventh cycle ran
	st := status(t, run.svc, "contoso")
	if st.State != control.StateQuarantined || st.Quarantine == nil || st.Quarantine.Reason != reasonCredential ||
		!st.Quarantine.NextAttempt.Equal(tm.clk.Now().Add(24*time.Hour)) || st.Ready {
		t.Fatalf("quarantined status: %+v (quarantine %+v)", st, st.Quarantine)
	}
	r.px.refuse.Store(false)
	tm.fire(w)
	w = tm.next(t, run.done)
	if st := status(t, run.svc, "contoso"); w.d != 40*time.Minute || st.Quarantine != nil || st.State != control.StateIdle || !st.Ready {
		t.Errorf("after the credential was accepted: wait %v, status %+v", w.d, st)
	}
}

// panicSource panics in Fetch: a bug in one tenant's cycle.
type panicSource struct{}

func (panicSource) Fetch(context.Context, string) (druvascim.Batch, error) { panic("boom") }

// TestTenantsIsolated: one tenant panics, one has its credential refused,
// the third converges; the failing ones keep their schedules.
func TestTenantsIsolated(t *testing.T) {
	good := newRig(t, "good", 40)
	refused := newRig(t, "refused", 20)
	refused.px.refuse.Store(true)
	bad := newRig(t, "panics", 20)
	client, store := bad.d.Client(), bad.store
	bad.spec.NewSyncer = func(extra ...druvascim.Option) (*druvascim.Syncer, error) {
		return druvascim.NewSyncer(panicSource{}, client, mappingDefault(), store, extra...)
	}
	tm := newTimers()
	run := start(t, tm, []Tenant{good.spec, refused.spec, bad.spec})
	waits := map[string]time.Duration{}
	for range 3 {
		w := tm.next(t, run.done)
		waits[w.tenant] = w.d
	}
	if diff := cmp.Diff(map[string]time.Duration{"good": 40 * time.Minute, "refused": 80 * time.Minute, "panics": 40 * time.Minute}, waits); diff != "" {
		t.Errorf("schedules (-want +got):\n%s", diff)
	}
	if st := status(t, run.svc, "panics"); !strings.Contains(st.LastError, "panicked") {
		t.Errorf("the panicking tenant's status: %+v", st)
	}
	if st := status(t, run.svc, "good"); st.LastError != "" || good.d.Len() == 0 || len(loadState(t, good.state).Links) != good.d.Len() {
		t.Errorf("the good tenant did not converge: %+v, %d users", st, good.d.Len())
	}
	if diff := cmp.Diff([]string{"good", "panics", "refused"}, run.svc.Tenants()); diff != "" {
		t.Errorf("Tenants (-want +got):\n%s", diff)
	}
	if _, err := run.svc.Status("nobody"); !errors.Is(err, control.ErrUnknownTenant) {
		t.Errorf("unknown tenant: %v", err)
	}
}

// TestSecondServiceRefused: a second service on a locked state does not
// start, and names the holder.
func TestSecondServiceRefused(t *testing.T) {
	r := newRig(t, "contoso", 20)
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	tm.next(t, run.done)
	other, err := druvascim.NewFileStore(r.state)
	if err != nil {
		t.Fatal(err)
	}
	spec := r.spec
	spec.Store = other
	svc, err := New([]Tenant{spec}, WithClock(tm.clk.Now), WithAfter(tm.after))
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Run(t.Context())
	if !errors.Is(err, druvascim.ErrLocked) || !strings.Contains(err.Error(), "contoso") {
		t.Fatalf("second service: %v, want an error matching ErrLocked", err)
	}
}

// TestShutdownGrace: a stopping service lets the running cycle finish
// within the grace period, or cancels it when the period ends; either way
// every Druva user it created is linked.
func TestShutdownGrace(t *testing.T) {
	for _, finish := range []bool{true, false} {
		name := map[bool]string{true: "finishes", false: "canceled"}[finish]
		t.Run(name, func(t *testing.T) {
			r := newRig(t, "contoso", 30)
			r.px.hold()
			tm := newTimers()
			run := start(t, tm, []Tenant{r.spec})
			<-r.px.arrived
			run.cancel()
			w := tm.next(t, run.done)
			if w.tenant != "" || w.d != DefaultShutdownGrace {
				t.Fatalf("stopping: waits %v for %q, want the grace period", w.d, w.tenant)
			}
			if err := run.svc.Do(t.Context(), "contoso", control.OpSyncNow); !errors.Is(err, ErrNotRunning) || !errors.Is(err, control.ErrUnavailable) {
				t.Errorf("an operation while stopping: %v", err)
			}
			if !finish {
				tm.fire(w)
			}
			r.px.release()
			<-run.done
			links := loadState(t, r.state).Links
			if len(links) != r.d.Len() {
				t.Errorf("%d links for %d Druva users", len(links), r.d.Len())
			}
			cs := cycles(t, r.spec.LogPath)
			if finish && (len(cs) != 1 || cs[0].Outcome != logstore.OutcomeSucceeded) {
				t.Errorf("cycles: %+v", cs)
			}
		})
	}
}

// TestApproveAppliesNoMoreThanHeld: an approval applies the plan that was
// held, never a larger one made since: a plan that grew is refused and
// nothing is applied.
func TestApproveAppliesNoMoreThanHeld(t *testing.T) {
	r := newRig(t, "contoso", 80)
	r.spec.Policy.DeletionThreshold = 2
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	w := tm.next(t, run.done)
	first := unassign(t, r, 3)
	tm.fire(w)
	tm.next(t, run.done)
	if st := status(t, run.svc, "contoso"); st.Held != 3 {
		t.Fatalf("held %d, want 3", st.Held)
	}
	more := unassign(t, r, 6) // the 3 already unassigned and 3 more
	if err := run.svc.Do(t.Context(), "contoso", control.OpApprove); err != nil {
		t.Fatal(err)
	}
	tm.next(t, run.done)
	if n := activeCount(t, r, append(first, more...)); n != len(first)+len(more) {
		t.Errorf("an approval of 3 deprovisions applied %d of %d", len(first)+len(more)-n, len(first)+len(more))
	}
	st := status(t, run.svc, "contoso")
	if !strings.Contains(st.LastError, "more than the 3 approved") {
		t.Errorf("last error %q, want the refusal", st.LastError)
	}
}

// TestLongQuarantinePauses: a tenant whose Druva token stays refused is
// quarantined, runs once a day, and is paused once its quarantine has
// lasted more than four weeks, as Entra disables such a job; a webhook
// gets the notice of the new stage. Resumed with the token accepted
// again, it runs and leaves quarantine.
func TestLongQuarantinePauses(t *testing.T) {
	r := newRig(t, "contoso", 20)
	hook := &hookReceiver{}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	wh, err := notify.NewWebhook(hs.URL + "/hook")
	if err != nil {
		t.Fatal(err)
	}
	r.spec.Notifiers = map[string]notify.Notifier{"webhook": wh}
	r.px.refuse.Store(true)
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	var since time.Time
	cycles := 0
	for paused := false; !paused; {
		select {
		case w := <-tm.waits:
			cycles++
			st := status(t, run.svc, "contoso")
			if st.Quarantine == nil || st.Paused {
				t.Fatalf("cycle %d: status %+v, want quarantined and running", cycles, st)
			}
			since = st.Quarantine.Since
			if tm.clk.Now().Sub(since) > quarantineLimit {
				t.Fatalf("cycle %d ended %v after the quarantine began and the tenant still runs", cycles, tm.clk.Now().Sub(since))
			}
			tm.fire(w)
		case <-tm.paused:
			paused = true
		case <-run.done:
			t.Fatal("the service stopped")
		}
	}
	st := status(t, run.svc, "contoso")
	if !st.Paused || st.State != control.StatePaused || st.Quarantine == nil || !st.Quarantine.Since.Equal(since) ||
		tm.clk.Now().Sub(since) <= quarantineLimit || tm.clk.Now().Sub(since) > quarantineLimit+24*time.Hour {
		t.Fatalf("after %d cycles, %v into the quarantine: status %+v", cycles, tm.clk.Now().Sub(since), st)
	}
	if sc, err := ReadSidecar(r.spec.Sidecar); err != nil || !sc.Paused {
		t.Fatalf("sidecar: %+v, %v; want paused", sc, err)
	}
	for _, d := range run.svc.tenants["contoso"].dispatchers {
		if err := d.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	hook.mu.Lock()
	var stage []notify.Event
	for _, e := range hook.events {
		if e.Kind == notify.KindQuarantine && e.Stage == "paused" {
			stage = append(stage, e)
		}
	}
	hook.mu.Unlock()
	if len(stage) != 1 || stage[0].State != notify.StateRaised || !strings.Contains(stage[0].Summary, "four weeks") {
		t.Errorf("notices of the paused stage: %+v, want one, raised, that says why", stage)
	}

	r.px.refuse.Store(false)
	if err := run.svc.Do(t.Context(), "contoso", control.OpResume); err != nil {
		t.Fatal(err)
	}
	tm.next(t, run.done)
	if st := status(t, run.svc, "contoso"); st.Paused || st.Quarantine != nil {
		t.Errorf("after resume with the token accepted: status %+v", st)
	}
}
