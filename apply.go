package druvascim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/druvascim/druvascim/scim"
)

// entraRetrySchedule is Entra's escrow schedule for failures the target
// refused: how long after its attempts-th failure an escrowed operation
// waits before the next try: 6 h after the first failure, 12 h after the second,
// 24 h after the third and every 24 h after that.
func entraRetrySchedule(attempts int) time.Duration {
	switch {
	case attempts <= 1:
		return 6 * time.Hour
	case attempts == 2:
		return 12 * time.Hour
	default:
		return 24 * time.Hour
	}
}

// Apply stops early (quarantine) when more than quarantineShare of at least
// quarantineMinimum finished operations failed, as Entra does; tests set
// other values in the executor's configuration.
const (
	quarantineShare   = 0.4
	quarantineMinimum = 20
)

// inFlightGrace bounds how long operations already sent may take to finish
// once the context is canceled. Their answers decide links and escrows, so
// they are not cut off at once; an operation still unanswered after it is
// reported with an unknown outcome.
const inFlightGrace = 10 * time.Second

type execConfig struct {
	concurrency int
	now         func() time.Time
	schedule    func(attempts int) time.Duration
	share       float64
	minimum     int
	logger      *slog.Logger
	progress    func(Progress)
	grace       time.Duration // tests shorten it
}

// executor applies plans to a [Target]; it is immutable and safe for
// concurrent use (on different states).
type executor struct {
	cfg execConfig
}

// newExecutor returns an executor configured by the applying options.
func newExecutor(who string, opts []Option) (*executor, error) {
	c := execConfig{concurrency: defaultConcurrency, now: time.Now, schedule: entraRetrySchedule,
		share: quarantineShare, minimum: quarantineMinimum, grace: inFlightGrace}
	if err := configure(who, opts, func(o Option) func(*execConfig) error { return o.exec }, &c); err != nil {
		return nil, err
	}
	return &executor{cfg: c}, nil
}

// Apply runs the plan's write operations against t and records links and
// escrows in st. Creates and updates run first, then disables and deletes,
// each with bounded concurrency ([WithConcurrency]). It returns the
// provisioning report of every operation. The error is non-nil when the
// plan is held and not approved (the hold's error: [ErrDeletionThreshold]
// or [ErrSourceShrank]), when the cycle was quarantined
// ([ErrQuarantined], and the target's error for a rejected token) or canceled (the context's error); the report and st
// are consistent in every case.
//
// Canceling ctx starts no new operation; the operations already sent get up
// to 10 seconds to finish, so their links and escrows are recorded. One
// still unanswered then is reported with error code OutcomeUnknown (see [Entry]) and retried
// next cycle, which adopts the user if the write did reach the target.
// The applying options configure it; any other option is an error.
func Apply(ctx context.Context, t Target, p *Plan, st *State, opts ...Option) (*Report, error) {
	e, err := newExecutor("Apply", opts)
	if err != nil {
		return nil, err
	}
	return e.apply(ctx, t, p, st, "")
}

// quarantine says why Apply stopped early.
type quarantine struct {
	cause            error // the rejected request of an auth quarantine; nil for a failure share
	failed, finished int   // operations when the cycle stopped
}

// err is the error Apply returns for the quarantine: it matches
// [ErrQuarantined], and the cause when there is one.
func (q *quarantine) err() error {
	if q.cause != nil {
		return fmt.Errorf("%w: the target rejected the credentials (%w); %s", ErrQuarantined, q.cause, advice(reasonUnauthorized))
	}
	return fmt.Errorf("%w: %d of %d operations failed; cycle stopped early", ErrQuarantined, q.failed, q.finished)
}

// applyRun is the working memory of one Apply call.
type applyRun struct {
	unchanged []Step // shared by the entries of unchanged linked objects
	e         *executor
	t         Target
	p         *Plan
	st        *State
	report    *Report
	paths     map[string]*attrPath
	opCtx     context.Context // the operations' context: outlives a cancellation by the grace period
	calls     atomic.Int64
	stop      atomic.Bool // set with quar: start no further operation

	mu      sync.Mutex // guards st (links, escrows), failed, done, quar and started
	failed  int
	done    int
	quar    *quarantine
	started int
	ckpt    *checkpointer // nil: no checkpoints
}

func (e *executor) apply(ctx context.Context, t Target, p *Plan, st *State, cycle string) (*Report, error) {
	return e.applySaving(ctx, t, p, st, cycle, nil)
}

// applySaving is apply with checkpoints: while the writes run, ckpt (when
// not nil) saves copies of st (see [checkpointer]).
func (e *executor) applySaving(ctx context.Context, t Target, p *Plan, st *State, cycle string, ckpt *checkpointer) (*Report, error) {
	if p == nil || st == nil || t == nil {
		return nil, errors.New("druvascim: apply: nil plan, state or target")
	}
	if p.held() {
		return nil, fmt.Errorf("druvascim: apply: the plan is held and not approved (set Plan.Approved after review): %w", p.Hold.err())
	}
	if st.Links == nil {
		st.Links = map[string]string{}
	}
	if st.Escrows == nil {
		st.Escrows = map[string]Escrow{}
	}
	start := e.cfg.now()
	noteVetoes(st, p, start)
	cycle = cmp.Or(cycle, cycleIDAt(start))
	r := &applyRun{e: e, t: t, p: p, st: st, paths: map[string]*attrPath{},
		report: &Report{Summary: Summary{CycleID: cycle, Started: start, Full: p.Full}, Entries: make([]Entry, len(p.Operations))}}
	if err := r.compilePaths(); err != nil {
		return nil, err
	}
	opCtx, stopOps := graceContext(ctx, e.cfg.grace)
	defer stopOps()
	r.opCtx = opCtx

	var phases [2][]int
	for i := range p.Operations {
		op := &p.Operations[i]
		r.report.Entries[i] = newEntry(cycle, i, op)
		if !op.isWrite() {
			r.skip(op, &r.report.Entries[i])
			continue
		}
		phases[phaseOf(op.Action)] = append(phases[phaseOf(op.Action)], i)
	}
	total := len(phases[0]) + len(phases[1])
	if ckpt != nil {
		r.ckpt = ckpt
		go ckpt.run(ctx, r)
	}
	for _, ph := range phases {
		r.runPhase(ctx, ph, total)
	}
	ckpt.close()
	r.report.Summary.Finished = e.cfg.now()
	r.report.Summary.Apply = r.report.Summary.Finished.Sub(start)
	r.report.Summary.TargetCalls = r.calls.Load()
	r.report.count()
	if r.quar != nil {
		r.report.Summary.Quarantined = true
		qerr := r.quar.err()
		r.report.Summary.QuarantineReason = qerr.Error()
		return r.report, qerr
	}
	if err := ctx.Err(); err != nil {
		r.report.Summary.Canceled = true
		return r.report, fmt.Errorf("druvascim: apply canceled: %w", err)
	}
	return r.report, nil
}

// graceContext returns the context operations run with: not canceled with
// ctx, but grace after ctx ends (and when stop is called). It keeps ctx's
// deadline, moved by grace, so a client can still tell that a wait (a
// long Retry-After) would pass the end of the cycle and not start it.
func graceContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	opCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if dl, ok := ctx.Deadline(); ok {
		var cancelDL context.CancelFunc
		opCtx, cancelDL = context.WithDeadline(opCtx, dl.Add(grace))
		cancelAll := cancel
		cancel = func() { cancelDL(); cancelAll() }
	}
	var timer *time.Timer
	var mu sync.Mutex
	stopAfter := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(grace, cancel)
	})
	return opCtx, func() {
		stopAfter()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// compilePaths compiles the update paths the workers need before they start.
func (r *applyRun) compilePaths() error {
	for _, op := range r.p.Operations {
		for _, a := range op.Update {
			if _, ok := r.paths[a.Path]; !ok {
				ap, err := compilePath(a.Path)
				if err != nil {
					return fmt.Errorf("druvascim: apply: %w", err)
				}
				r.paths[a.Path] = &ap
			}
		}
	}
	return nil
}

// skip records an operation that is not a write, and its link and escrow
// bookkeeping.
func (r *applyRun) skip(op *Operation, ent *Entry) {
	ent.Time = r.e.cfg.now()
	if op.Reason == ReasonUnchanged && op.MatchedBy == "link" && op.Detail == "" {
		// The common case of a steady state: one shared, read-only slice
		// instead of a million identical ones.
		if r.unchanged == nil {
			r.unchanged = []Step{{Name: stepImport, Status: StatusSuccess}, {Name: stepScope, Status: StatusSuccess, Detail: "in scope"},
				{Name: stepMatch, Status: StatusSuccess, Detail: "linked user"}, {Name: stepAction, Status: StatusSkipped, Detail: "unchanged"}}
		}
		ent.Status = StatusSkipped
		ent.Steps = r.unchanged
	} else {
		notRun(ent, op, op.Detail)
	}
	if op.DropLink {
		delete(r.st.Links, op.SourceID)
	}
	if op.Link && op.TargetID != "" {
		r.st.Links[op.SourceID] = op.TargetID
	}
	if op.Reason != ReasonEscrowed {
		delete(r.st.Escrows, op.SourceID)
	}
}

func stepsFor(op *Operation, status Status, detail string) []Step {
	steps := []Step{{Name: stepImport, Status: StatusSuccess}}
	switch op.Reason {
	case ReasonNotAssigned, ReasonDefaultAccessOnly, ReasonAccountDisabled, ReasonSoftDeleted, ReasonHardDeleted, ReasonScopingFilter:
		steps = append(steps, Step{Name: stepScope, Status: StatusSkipped, Detail: string(op.Reason)})
	default:
		steps = append(steps, Step{Name: stepScope, Status: StatusSuccess, Detail: "in scope"})
	}
	switch {
	case op.MatchedBy == "link":
		steps = append(steps, Step{Name: stepMatch, Status: StatusSuccess, Detail: "linked user " + op.TargetID})
	case op.MatchedBy != "":
		steps = append(steps, Step{Name: stepMatch, Status: StatusSuccess, Detail: "matched user " + op.TargetID + " by " + op.MatchedBy})
	case op.Reason == ReasonDuplicateTargetEntries || op.Reason == ReasonMissingMatchingValue:
		steps = append(steps, Step{Name: stepMatch, Status: StatusFailure, Detail: string(op.Reason)})
	default:
		steps = append(steps, Step{Name: stepMatch, Status: StatusSuccess, Detail: "no match"})
	}
	return append(steps, Step{Name: stepAction, Status: status, Detail: detail})
}

func (r *applyRun) runPhase(ctx context.Context, idx []int, total int) {
	if len(idx) == 0 {
		return
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(r.e.cfg.concurrency, len(idx)) {
		wg.Go(func() {
			for i := range work {
				r.runOne(ctx, i)
				if r.e.cfg.progress != nil {
					r.mu.Lock()
					r.started++
					d := r.started
					r.mu.Unlock()
					r.e.cfg.progress(Progress{Phase: PhaseApply, Done: d, Total: total})
				}
			}
		})
	}
	for _, i := range idx {
		work <- i
	}
	close(work)
	wg.Wait()
}

// runOne runs one write operation, unless the cycle was canceled or
// quarantined before it started, and records its outcome.
func (r *applyRun) runOne(ctx context.Context, i int) {
	op := &r.p.Operations[i]
	ent := &r.report.Entries[i]
	if r.stop.Load() || ctx.Err() != nil {
		notRun(ent, op, "not run")
		ent.Time, ent.Status, ent.ErrorCode, ent.Message = r.e.cfg.now(), StatusSkipped, reasonCanceled, advice(reasonCanceled)
		if r.stop.Load() {
			ent.Message = "The cycle was quarantined before this operation ran; it runs in the next cycle."
		}
		return
	}
	changes, detail, err := r.write(op, ent)
	ent.Time = r.e.cfg.now()
	ent.Modified = changes
	ent.TargetID = cmp.Or(ent.TargetID, op.TargetID)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	status := statusOf(err)
	switch {
	case err != nil && r.opCtx.Err() != nil:
		r.unknown(op, ent, err)
	case op.Action != ActionCreate && status == http.StatusNotFound:
		// The linked user vanished: forget the link and match again next cycle.
		delete(r.st.Links, op.SourceID)
		delete(r.st.Escrows, op.SourceID)
		ent.Status, ent.ErrorCode, ent.Message = StatusWarning, reasonInvalidAnchor, advice(reasonInvalidAnchor)
		ent.Steps = stepsFor(op, StatusWarning, "target user not found")
	case err == nil:
		r.succeeded(op, ent, detail)
	default:
		r.failure(op, ent, detail, err, status)
	}
	r.judge()
	r.ckpt.note()
}

// write sends one operation with the operations' context.
func (r *applyRun) write(op *Operation, ent *Entry) ([]PropertyChange, string, error) {
	ctx := r.opCtx
	r.calls.Add(1)
	switch op.Action {
	case ActionCreate:
		return r.create(ctx, op, ent)
	case ActionUpdate:
		return op.Changes, op.Detail, r.t.PatchUser(ctx, op.TargetID, op.Patch...)
	case ActionDisable:
		return op.Changes, op.Detail, r.t.DisableUser(ctx, op.TargetID)
	case ActionDelete:
		return nil, op.Detail, r.t.DeleteUser(ctx, op.TargetID)
	}
	return nil, "", fmt.Errorf("druvascim: apply: %s is not a write", op.Action)
}

// succeeded records a successful write: links follow it, the escrow goes.
// r.mu is held.
func (r *applyRun) succeeded(op *Operation, ent *Entry, detail string) {
	if op.DropLink || op.Action == ActionDelete {
		delete(r.st.Links, op.SourceID)
	}
	if (op.Link || op.Action == ActionCreate) && ent.TargetID != "" {
		r.st.Links[op.SourceID] = ent.TargetID
	}
	delete(r.st.Escrows, op.SourceID)
	ent.Status = StatusSuccess
	ent.Steps = stepsFor(op, StatusSuccess, detail)
	r.log(slog.LevelDebug, op, ent, nil)
}

// failure records a refused or failed write and escrows it; a rejected
// token quarantines the cycle. r.mu is held.
func (r *applyRun) failure(op *Operation, ent *Entry, detail string, err error, status int) {
	if op.DropLink {
		delete(r.st.Links, op.SourceID)
	}
	code := reasonOf(err, status)
	ent.Status, ent.ErrorCode, ent.Message = StatusFailure, code, advice(code)
	ent.Detail = err.Error()
	ent.Steps = stepsFor(op, StatusFailure, detail)
	r.failed++
	r.log(slog.LevelWarn, op, ent, err)
	r.escrow(op, code, err, status)
	if code == reasonUnauthorized && r.quar == nil {
		r.quar = &quarantine{cause: err}
		r.stop.Store(true)
	}
}

// unknown records a write that was sent but not answered before the grace
// period after a cancellation ended: it may or may not have reached the
// target. It is escrowed for the next cycle, which reads the whole source
// and the target and adopts the user if it exists (by link or matching
// keys, or through a 409 on create). r.mu is held.
func (r *applyRun) unknown(op *Operation, ent *Entry, err error) {
	ent.Status, ent.ErrorCode, ent.Message = StatusWarning, reasonOutcomeUnknown, advice(reasonOutcomeUnknown)
	ent.Detail = err.Error()
	ent.Steps = stepsFor(op, StatusWarning, "sent; no answer before the cycle stopped")
	r.log(slog.LevelWarn, op, ent, err)
	r.escrow(op, reasonOutcomeUnknown, err, 0)
}

// judge quarantines the cycle when too large a share of the finished
// operations failed. r.mu is held.
func (r *applyRun) judge() {
	if r.quar == nil && r.done >= r.e.cfg.minimum && r.e.cfg.share < 1 && float64(r.failed) > r.e.cfg.share*float64(r.done) {
		r.quar = &quarantine{}
		r.stop.Store(true)
	}
	if r.quar != nil {
		r.quar.failed, r.quar.finished = r.failed, r.done
	}
}

func (r *applyRun) log(level slog.Level, op *Operation, ent *Entry, err error) {
	if r.e.cfg.logger == nil {
		return
	}
	attrs := []any{"action", string(op.Action), "source", op.SourceID, "target", ent.TargetID}
	if err != nil {
		attrs = append(attrs, "code", string(ent.ErrorCode), "err", err.Error())
	}
	r.e.cfg.logger.Log(context.Background(), level, "druvascim: operation", attrs...)
}

func (r *applyRun) escrow(op *Operation, code Reason, err error, status int) {
	now := r.e.cfg.now()
	e := r.st.Escrows[op.SourceID]
	if e.Attempts == 0 {
		e.FirstFailure = now
	}
	e.Attempts++
	e.Action, e.LastFailure, e.Code = op.Action, now, code
	e.Detail = err.Error()
	if transient(status) {
		e.NextTry = time.Time{} // next cycle
	} else {
		e.NextTry = now.Add(r.e.cfg.schedule(e.Attempts))
	}
	r.st.Escrows[op.SourceID] = e
}

// create posts the user; on 409 it looks the user up by each matching
// attribute and adopts it (link, then the minimal update).
func (r *applyRun) create(ctx context.Context, op *Operation, ent *Entry) ([]PropertyChange, string, error) {
	changes := createChanges(op)
	u, err := r.t.CreateUser(ctx, op.Resource)
	if err == nil {
		id := u.ID()
		if id == "" {
			return changes, "", errors.New("druvascim: the target created the user but returned no id")
		}
		ent.TargetID = id
		return changes, "created", nil
	}
	if statusOf(err) != http.StatusConflict {
		return changes, "", err
	}
	for _, k := range op.Keys {
		r.calls.Add(1)
		found, ferr := r.t.FindUsers(ctx, k.Path, k.Value)
		if ferr != nil {
			return changes, "", fmt.Errorf("create met a conflict (%v); looking it up by %s failed: %w", err, k.Path, ferr)
		}
		switch len(found) {
		case 0:
			continue
		case 1:
		default:
			return changes, "", &scim.Error{Status: http.StatusConflict, ScimType: string(ReasonDuplicateTargetEntries),
				Detail: fmt.Sprintf("create met a conflict and %d target users have %s = %q", len(found), k.Path, k.Value)}
		}
		cur := found[0]
		id := cur.ID()
		if id == "" {
			return changes, "", fmt.Errorf("create met a conflict; the user found by %s has no id", k.Path)
		}
		ent.TargetID = id
		patch, upd := diffUpdate(r.paths, op.Update, cur)
		detail := fmt.Sprintf("create met a conflict (409): adopted existing user %s matched by %s", id, k.Path)
		if len(patch) == 0 {
			return nil, detail, nil
		}
		r.calls.Add(1)
		if err := r.t.PatchUser(ctx, id, patch...); err != nil {
			// Adopted but not updated: keep the link (the next cycle updates).
			r.mu.Lock()
			r.st.Links[op.SourceID] = id
			r.mu.Unlock()
			return upd, detail, err
		}
		return upd, detail + ", then updated", nil
	}
	return changes, "", err
}

// statusOf returns the HTTP status of a Target error, 0 when none.
func statusOf(err error) int {
	var se *scim.Error
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

func reasonOf(err error, status int) Reason {
	var se *scim.Error
	if errors.As(err, &se) && se.ScimType == string(ReasonDuplicateTargetEntries) {
		return ReasonDuplicateTargetEntries
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return reasonUnauthorized
	case status == http.StatusConflict:
		return reasonConflict
	case status == http.StatusTooManyRequests:
		return reasonTooManyRequests
	case status >= 500:
		return reasonServerError
	case status >= 400:
		return reasonBadRequest
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return reasonCanceled
	}
	return reasonServerError
}

// transient reports whether a failure is worth retrying in the next cycle
// rather than on the escrow schedule: throttling, server errors and
// failures without an HTTP status (transport errors).
func transient(status int) bool {
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}
