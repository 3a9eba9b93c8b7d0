package service

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/logstore"
)

// outcome is what one cycle left: its result and error, and what the
// service concludes from them.
type outcome struct {
	res     *druvascim.Result
	err     error
	started time.Time
	ended   time.Time
	druva   int64 // requests, when counted
	graph   int64
}

// cycle runs one cycle of the given kind (approve > 0: apply a held plan
// of at most that many deprovisions), records it and notifies. A panic in
// the cycle is recovered and recorded as the cycle's failure.
func (t *tenant) cycle(ctx context.Context, kind logstore.CycleKind, approve int) {
	o := outcome{started: t.now()}
	d0, g0 := count(t.spec.DruvaRequests), count(t.spec.GraphRequests)
	t.mu.Lock()
	t.running = &druvascim.Progress{Phase: druvascim.PhaseReadSource}
	t.mu.Unlock()
	logID := t.beginLog(ctx, kind, o.started)
	o.res, o.err = t.runProtected(ctx, kind, approve)
	o.ended = t.now()
	o.druva, o.graph = count(t.spec.DruvaRequests)-d0, count(t.spec.GraphRequests)-g0
	t.endLog(ctx, logID, o)
	t.conclude(o, kind)
}

// report is the cycle's report, nil when it ended before making one.
func (o outcome) report() *druvascim.Report {
	if o.res == nil {
		return nil
	}
	return o.res.Report
}

func count(f func() int64) int64 {
	if f == nil {
		return 0
	}
	return f()
}

// runProtected runs the cycle and turns a panic into an error.
func (t *tenant) runProtected(ctx context.Context, kind logstore.CycleKind, approve int) (res *druvascim.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			t.svc.logWarn("service: a cycle panicked", "tenant", t.spec.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = nil, fmt.Errorf("the cycle panicked: %v", p)
		}
	}()
	if kind == logstore.KindRestart {
		if err := t.restartState(ctx); err != nil {
			return nil, err
		}
	}
	if approve > 0 {
		p := t.spec.Policy
		p.ApproveHolds = true
		s, err := t.spec.NewSyncer(druvascim.WithProgress(t.onProgress), druvascim.WithPolicy(p),
			druvascim.WithPlanPolicy(approvalLimit(approve)))
		if err != nil {
			return nil, fmt.Errorf("build the approving syncer: %w", err)
		}
		return s.Run(ctx)
	}
	return t.syncer.Run(ctx)
}

// approvalLimit refuses a plan that would disable or delete more users
// than the operator approved: an approval applies what was held, never a
// larger plan made since. It counts the operations itself: a plan policy
// runs before the plan's counts are made.
func approvalLimit(approved int) func(*druvascim.Plan) error {
	return func(p *druvascim.Plan) error {
		n := 0
		for _, op := range p.Operations {
			if op.Action == druvascim.ActionDisable || op.Action == druvascim.ActionDelete {
				n++
			}
		}
		if n > approved {
			return fmt.Errorf("the plan now disables or deletes %d users, more than the %d approved; nothing was applied: review the new plan and approve again", n, approved)
		}
		return nil
	}
}

// restartState starts over as Entra's "restart provisioning" does, through
// the SDK's Syncer.Restart: the delta link, escrows, vetoes and quarantine
// are cleared, the links kept; the next cycle reads everything.
func (t *tenant) restartState(ctx context.Context) error {
	if err := t.syncer.Restart(ctx); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	t.mu.Lock()
	t.pendRestart = false
	t.side.Quarantine, t.side.Streak = nil, 0
	t.mu.Unlock()
	return nil
}

// isHeld reports whether err is a safety rule's hold.
func isHeld(err error) bool {
	return errors.Is(err, druvascim.ErrHeld)
}
