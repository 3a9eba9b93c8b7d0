package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/metrics"
	"github.com/druvascim/druvascim/internal/notify"
	"github.com/druvascim/druvascim/scim"
)

// Quarantine reasons, as Microsoft Graph's synchronizationQuarantine names
// them.
const (
	reasonCredential = "EncounteredQuarantineException"
	reasonEscrow     = "EncounteredEscrowProportionThreshold"
)

// maxErrorCodes is how many distinct error codes a failure notice lists.
const maxErrorCodes = 5

// quarantineLimit is how long a tenant may stay quarantined before the
// service pauses it, as Entra disables a provisioning job quarantined for
// more than four weeks
// (https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-quarantine-status).
// Resume or restart starts it again.
const quarantineLimit = 28 * 24 * time.Hour

// conclude updates the tenant's status from a finished cycle, raises and
// clears its notices, and saves the sidecar.
func (t *tenant) conclude(o outcome, kind logstore.CycleKind) {
	t.observe(o)
	if errors.Is(o.err, context.Canceled) {
		t.mu.Lock()
		t.running = nil
		t.lastError = "the service stopped during the cycle"
		t.saveSidecarLocked()
		t.mu.Unlock()
		return
	}
	refused := t.refused(o.err)
	planned := o.res != nil && o.res.Plan != nil
	t.mu.Lock()
	t.running = nil
	t.side.Cycles++
	t.ready = t.ready || planned
	if o.res != nil && o.res.Report != nil {
		sum := o.res.Report.Summary
		t.lastCycle = &sum
	}
	t.lastError = ""
	if o.err != nil && !isHeld(o.err) {
		t.lastError = o.err.Error()
	}
	if o.err == nil && len(failed(o)) == 0 {
		t.lastSuccess = o.ended
	}
	switch {
	case isHeld(o.err) && planned && o.res.Plan.Hold != nil:
		t.held = max(1, o.res.Plan.Hold.Disables+o.res.Plan.Hold.Deletes)
	case planned:
		t.held = 0
	}
	q := t.quarantineLocked(o, refused)
	stopped := t.stopLongQuarantineLocked(q, o.ended)
	held := t.held
	t.mu.Unlock()
	if stopped {
		t.svc.logInfo("service: quarantined for more than four weeks; provisioning paused", "tenant", t.spec.Name, "since", q.Since)
	}
	t.notifyQuarantine(o, q, stopped)
	t.notifyHeld(o, held)
	t.notifyFailures(o, q != nil)
	t.notifyCredentials(o, refused, planned)
	t.notifyToken()
	t.mu.Lock()
	t.saveSidecarLocked()
	t.mu.Unlock()
	t.svc.logInfo("service: cycle ended", "tenant", t.spec.Name, "kind", string(kind), "error", errText(o.err))
}

// observe reports the cycle and the Druva rate limit to the metrics.
func (t *tenant) observe(o outcome) {
	m := t.svc.cfg.metrics
	if m == nil {
		return
	}
	m.ObserveCycle(t.spec.Name, o.report(), o.err)
	if t.spec.DruvaRate != nil {
		m.SetRate(t.spec.Name, metrics.TargetDruva, t.spec.DruvaRate())
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func failed(o outcome) []druvascim.Entry {
	if o.res == nil || o.res.Report == nil {
		return nil
	}
	return o.res.Report.Failed()
}

// refused says which credential err shows refused: the tenant's Refused
// first, then Graph's refusal (entra.ErrUnauthorized) or Druva's (a
// *scim.Error with status 401 or 403, which the auth quarantine wraps).
func (t *tenant) refused(err error) string {
	if err == nil {
		return ""
	}
	if t.spec.Refused != nil {
		if who := t.spec.Refused(err); who != "" {
			return who
		}
	}
	if errors.Is(err, entra.ErrUnauthorized) {
		return "graph"
	}
	var se *scim.Error
	if errors.As(err, &se) && (se.Status == 401 || se.Status == 403) {
		return "druva"
	}
	return ""
}

// quarantineLocked updates the quarantine and its streak from the cycle
// and returns it (nil when the tenant is not quarantined): the engine's
// quarantine when the cycle's report has one, else the service's own
// judgement of a cycle that made no report (a refused credential). The
// caller holds t.mu.
func (t *tenant) quarantineLocked(o outcome, refused string) *druvascim.Quarantine {
	if rep := o.report(); rep != nil && refused == "" {
		// The engine judges the job (its quarantine rules follow Entra's);
		// the service only schedules by it.
		if q := rep.Summary.Quarantine; q != nil {
			t.side.Quarantine = new(*q)
			t.side.Streak = q.Cycles
			return t.side.Quarantine
		}
	}
	if !errors.Is(o.err, druvascim.ErrQuarantined) && refused == "" {
		if o.err == nil || isHeld(o.err) {
			t.side.Quarantine, t.side.Streak = nil, 0
		}
		return t.side.Quarantine
	}
	q := druvascim.Quarantine{Reason: reasonCredential, Since: o.ended}
	switch {
	case refused != "":
		q.Detail = fmt.Sprintf("%s refused the credential; renew it in the configuration", credentialName(refused))
	default:
		q.Reason = reasonEscrow
		q.Detail = "too many operations failed (" + strings.TrimPrefix(o.err.Error(), druvascim.ErrQuarantined.Error()+": ") + "); the provisioning log says why"
	}
	if prev := t.side.Quarantine; prev != nil && prev.Reason == q.Reason {
		q.Since = prev.Since
	}
	t.side.Streak++
	q.NextAttempt = o.ended.Add(t.interval(t.side.Streak))
	t.side.Quarantine = &q
	return &q
}

func credentialName(who string) string {
	switch who {
	case "druva":
		return "Druva"
	case "graph":
		return "Microsoft Graph"
	}
	return who
}

// command renders a druvasync command about this tenant.
func (t *tenant) command(verb string, args ...string) string {
	parts := append([]string{"druvasync", verb}, args...)
	if u := t.svc.cfg.serviceURL; u != "" && verb != "logs" {
		parts = append(parts, "--service", u)
	}
	parts = append(parts, "--tenant", t.spec.Name)
	return strings.Join(parts, " ")
}

func (t *tenant) event(kind notify.Kind) notify.Event {
	return notify.Event{Kind: kind, Tenant: t.spec.Name, Time: t.now()}
}

func (t *tenant) raise(ev notify.Event) {
	for _, d := range t.dispatchers {
		d.Raise(ev)
	}
}

func (t *tenant) clear(ev notify.Event) {
	for _, d := range t.dispatchers {
		d.Clear(ev)
	}
}

// stopLongQuarantineLocked pauses the tenant when its quarantine q began
// more than quarantineLimit before now, and reports whether it did. The
// caller holds t.mu and saves the sidecar.
func (t *tenant) stopLongQuarantineLocked(q *druvascim.Quarantine, now time.Time) bool {
	if q == nil || t.side.Paused || now.Sub(q.Since) <= quarantineLimit {
		return false
	}
	t.side.Paused = true
	return true
}

// notifyQuarantine raises or clears the quarantine notice; stopped says
// that the quarantine's length has just paused the tenant, a new stage of
// the notice.
func (t *tenant) notifyQuarantine(o outcome, q *druvascim.Quarantine, stopped bool) {
	ev := t.event(notify.KindQuarantine)
	if q == nil {
		if o.err == nil || isHeld(o.err) {
			ev.Summary = "Provisioning left quarantine: the last cycle ran normally."
			t.clear(ev)
		}
		return
	}
	ev.Summary = "Provisioning is quarantined: " + q.Detail + "."
	ev.Reason, ev.NextAttempt = q.Reason, q.NextAttempt
	ev.Command = t.command("restart")
	if stopped {
		ev.Stage = "paused"
		ev.Summary = "Provisioning was quarantined for more than four weeks and is now paused: " + q.Detail +
			". Fix the cause, then resume or restart it."
		ev.NextAttempt = time.Time{}
	}
	t.raise(ev)
}

func (t *tenant) notifyHeld(o outcome, held int) {
	ev := t.event(notify.KindDeprovisionsHeld)
	if !isHeld(o.err) || o.res == nil || o.res.Plan == nil || o.res.Plan.Hold == nil {
		if o.err == nil {
			ev.Summary = "No deprovision waits for approval any more."
			t.clear(ev)
		}
		return
	}
	h := o.res.Plan.Hold
	ev.Summary = fmt.Sprintf("%d deprovisions wait for approval: %s", held, h.Message)
	ev.Reason = h.Code
	ev.Counts = map[string]int{"disables": h.Disables, "deletes": h.Deletes}
	ev.Command = t.command("approve")
	t.raise(ev)
}

func (t *tenant) notifyFailures(o outcome, quarantined bool) {
	ev := t.event(notify.KindCycleFailures)
	ev.Command = t.command("logs", "--status", "Failure")
	fails := failed(o)
	switch {
	case len(fails) > 0:
		ev.Counts = map[string]int{}
		for _, e := range fails {
			ev.Counts[string(e.Action)]++
			if c := string(e.ErrorCode); c != "" && !slices.Contains(ev.ErrorCodes, c) && len(ev.ErrorCodes) < maxErrorCodes {
				ev.ErrorCodes = append(ev.ErrorCodes, c)
			}
		}
		ev.Summary = fmt.Sprintf("The last cycle finished with %d failed entries.", len(fails))
		t.raise(ev)
	case o.err != nil && !isHeld(o.err) && !quarantined:
		ev.Summary = "The last cycle failed: " + o.err.Error()
		ev.Reason = "CycleFailed"
		t.raise(ev)
	case o.err == nil || isHeld(o.err):
		ev.Summary = "The last cycle finished without failures."
		t.clear(ev)
	}
}

func (t *tenant) notifyCredentials(o outcome, refused string, planned bool) {
	for _, who := range []string{"druva", "graph"} {
		ev := t.event(notify.KindCredentialRefused)
		ev.Key = who
		if who == refused {
			ev.Summary = credentialName(who) + " refused the credential; provisioning is quarantined until it is renewed."
			ev.Reason = errText(o.err)
			ev.Command = t.command("restart")
			t.raise(ev)
		} else if planned {
			ev.Summary = credentialName(who) + " accepts the credential again."
			t.clear(ev)
		}
	}
}

func (t *tenant) notifyToken() {
	if t.spec.DruvaTokenCreated.IsZero() {
		return
	}
	if ev, ok := notify.TokenExpiry(t.spec.Name, t.spec.DruvaTokenCreated, t.now()); ok {
		t.raise(ev)
		return
	}
	ev := t.event(notify.KindTokenExpiry)
	ev.Summary = "The Druva token is far from the end of its life."
	t.clear(ev)
}
