package druvascim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/druvascim/druvascim/scim"
)

// entraRetrySchedule is Entra's escrow schedule for failures the target
// refused: when, after the first failure, the retry that follows the
// attempts-th failure is due: 6 h, 12 h and 24 h after the first failure,
// then every 24 h (48 h, 72 h, …) until escrowLifetime, as
// https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status
// describes.
func entraRetrySchedule(attempts int) time.Duration {
	switch {
	case attempts <= 1:
		return 6 * time.Hour
	case attempts == 2:
		return 12 * time.Hour
	default:
		return time.Duration(attempts-2) * 24 * time.Hour
	}
}

// The quarantine rules, Entra's where Entra documents them: a cycle stops
// early only for a systemic failure (the credentials refused, the target
// unreachable, or each of the first quarantineMinimum operations failing
// the same way with no success); otherwise it finishes, and when more than
// quarantineShare of at least quarantineMinimum operations failed, the job
// is quarantined (EncounteredEscrowProportionThreshold) for the next
// cycles. Tests set other values in the executor's configuration.
const (
	quarantineShare   = 0.4
	quarantineMinimum = 20
)

// The synchronizationQuarantine reasons of Microsoft Graph a quarantine
// carries ([Quarantine].Reason).
const (
	quarantineException  = "EncounteredQuarantineException"
	quarantineProportion = "EncounteredEscrowProportionThreshold"
)

// The quarantined job's pace: the first quarantined cycle asks for the next
// attempt after quarantineFirstWait, each further one after twice the
// wait before, up to once a day, as Entra slows a quarantined job.
const (
	quarantineFirstWait = time.Hour
	quarantineMaxWait   = 24 * time.Hour
)

// escrowLifetime is how long an escrowed failure is retried before its
// escrow entry is dropped (Entra: 28 days after the first failure).
const escrowLifetime = 28 * 24 * time.Hour

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
// provisioning report of every operation. A plan held and not approved
// runs its creates and updates only, reports its disables and deletes as
// StagedDelete and returns an error matching [ErrHeld]; one held whole
// ([Hold].Everything) is refused with that error. The error is non-nil too
// when the cycle was quarantined
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

// stop says why Apply stopped early: a systemic failure, whose failed
// operations are retried next cycle rather than escrowed.
type stop struct {
	cause            error  // the failure that stopped the cycle
	code             Reason // its error code; failures with it are not escrowed
	reason           string // the Graph quarantine reason
	why              string // for people
	failed, finished int    // operations when the cycle stopped
}

// err is the error Apply returns for the stop: it matches [ErrQuarantined]
// and the cause.
func (q *stop) err() error {
	return fmt.Errorf("%w: %s (%w); cycle stopped early after %d of %d operations failed", ErrQuarantined, q.why, q.cause, q.failed, q.finished)
}

// pendingEscrow is a failure whose escrow waits for the end of Apply: a
// failure with the cause of a systemic stop is retried next cycle instead.
type pendingEscrow struct {
	op     *Operation
	ent    *Entry
	code   Reason
	err    error
	status int
}

// applyRun is the working memory of one Apply call.
type applyRun struct {
	unchanged []Step // shared by the entries of unchanged linked objects
	created   []Step // shared by the entries of plain creates (see succeeded)
	e         *executor
	t         Target
	p         *Plan
	st        *State
	report    *Report
	paths     map[string]*attrPath
	opCtx     context.Context // the operations' context: outlives a cancellation by the grace period
	calls     atomic.Int64
	stop      atomic.Bool // set with quar: start no further operation

	mu        sync.Mutex // guards st (links, escrows), failed, done, quar, pending, codes and started
	failed    int
	done      int
	successes int
	quar      *stop
	pending   []pendingEscrow
	firstCode Reason // the code of the first failure, while all failed alike
	alike     int    // failures alike from the first operation on
	started   int
	ckpt      *checkpointer // nil: no checkpoints
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
	if p.held() && p.Hold.Everything {
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
		if p.heldOp(op) {
			r.report.Entries[i] = stagedEntry(p, op, r.report.Entries[i], start)
			continue
		}
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
	r.settleEscrows()
	ckpt.close()
	r.report.Summary.Finished = e.cfg.now()
	r.report.Summary.Apply = r.report.Summary.Finished.Sub(start)
	r.report.Summary.TargetCalls = r.calls.Load()
	r.report.count()
	r.judgeJob()
	if r.quar != nil {
		return r.report, r.quar.err()
	}
	if err := ctx.Err(); err != nil {
		r.report.Summary.Canceled = true
		return r.report, fmt.Errorf("druvascim: apply canceled: %w", err)
	}
	if p.held() {
		r.report.Summary.Held = p.Hold
		return r.report, p.Hold.err()
	}
	return r.report, nil
}

// stagedEntry is the entry of an operation a hold keeps from running: a
// disable or delete appears as StagedDelete, as in Entra.
func stagedEntry(p *Plan, op *Operation, e Entry, now time.Time) Entry {
	e.Time = now
	notRun(&e, op, "held: "+p.Hold.Message)
	e.ErrorCode, e.Message = reasonHeld, advice(reasonHeld)
	if op.Action == ActionDisable || op.Action == ActionDelete {
		e.Action = ActionStagedDelete
	}
	return e
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
	// The workers take the operations in order from a shared counter: no
	// goroutine hands them out, so none is woken for each one.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(r.e.cfg.concurrency, len(idx)) {
		wg.Go(func() {
			for k := next.Add(1) - 1; k < int64(len(idx)); k = next.Add(1) - 1 {
				r.runOne(ctx, idx[k])
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
	r.successes++
	ent.Status = StatusSuccess
	if op.Action == ActionCreate && op.Reason == "" && op.MatchedBy == "" && detail == "created" {
		// Every plain create has the same steps: one shared slice.
		if r.created == nil {
			r.created = stepsFor(op, StatusSuccess, detail)
		}
		ent.Steps = r.created
	} else {
		ent.Steps = stepsFor(op, StatusSuccess, detail)
	}
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
	r.pending = append(r.pending, pendingEscrow{op: op, ent: ent, code: code, err: err, status: status})
	// An escrowed object failing again says nothing about the cycle: only
	// fresh operations count towards the "all alike" rule.
	if _, retry := r.st.Escrows[op.SourceID]; !retry {
		if r.successes == 0 && (r.alike == 0 || code == r.firstCode) {
			r.firstCode = code
			r.alike++
		} else {
			r.alike = -1 << 30 // no longer all alike
		}
	}
	if r.quar != nil {
		return
	}
	switch {
	case code == reasonUnauthorized:
		r.halt(err, code, quarantineException, "the target rejected the credentials; "+advice(reasonUnauthorized))
	case status == 0 && unreachable(err):
		r.halt(err, code, quarantineException, "the target is unreachable")
	case r.alike >= r.e.cfg.minimum:
		r.halt(err, code, quarantineProportion, fmt.Sprintf("each of the first %d operations failed with %s", r.alike, code))
	}
}

// unreachable reports whether err says the target could not be reached
// (the connection failed after the client's retries), as opposed to an
// answer the client could not use or a request deadline.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && !ne.Timeout() && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// halt stops the cycle for a systemic failure. r.mu is held.
func (r *applyRun) halt(err error, code Reason, reason, why string) {
	r.quar = &stop{cause: err, code: code, reason: reason, why: why}
	r.stop.Store(true)
}

// settleEscrows escrows the failures of the cycle, except those with the
// cause that stopped it: a cycle-wide failure says nothing about the
// objects, which are retried next cycle. It holds r.mu: a checkpoint may
// be copying the state meanwhile.
func (r *applyRun) settleEscrows() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pending {
		if r.quar != nil && p.code == r.quar.code {
			p.ent.Message = "The cycle stopped for this failure, which is not the object's: it is retried next cycle. " + p.ent.Message
			continue
		}
		r.escrow(p.op, p.ent, p.code, p.err, p.status)
	}
	r.pending = nil
	r.report.Summary.Escrowed = len(r.st.Escrows)
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
	r.pending = append(r.pending, pendingEscrow{op: op, ent: ent, code: reasonOutcomeUnknown, err: err})
}

// judge keeps the counts of a stop up to date. r.mu is held.
func (r *applyRun) judge() {
	if r.quar != nil {
		r.quar.failed, r.quar.finished = r.failed, r.done
	}
}

// judgeJob decides, once the cycle is over, whether the job is in
// quarantine for the next cycles, and records it in the state and the
// summary: a systemic stop, or more than the share of at least the minimum
// operations failed, quarantines it; a cycle without failure (that wrote
// something, or left no escrow waiting) ends the quarantine.
func (r *applyRun) judgeJob() {
	now := r.e.cfg.now()
	var reason, why string
	switch {
	case r.quar != nil:
		reason, why = r.quar.reason, r.quar.err().Error()
	case r.failed >= r.e.cfg.minimum && r.e.cfg.share < 1 && float64(r.failed) > r.e.cfg.share*float64(r.done):
		reason, why = quarantineProportion, fmt.Sprintf("%d of %d operations failed (more than %.0f%%); the failures are escrowed", r.failed, r.done, r.e.cfg.share*100)
	case r.failed == 0 && (r.done > 0 || len(r.st.Escrows) == 0):
		r.st.Quarantine = nil
	}
	if reason != "" {
		q := Quarantine{Reason: reason, Detail: why, Since: now, Cycles: 1}
		if old := r.st.Quarantine; old != nil {
			q.Since, q.Cycles = old.Since, old.Cycles+1
		}
		wait := quarantineFirstWait << min(q.Cycles-1, 10)
		q.NextAttempt = now.Add(min(wait, quarantineMaxWait))
		r.st.Quarantine = &q
	}
	if q := r.st.Quarantine; q != nil {
		c := *q
		r.report.Summary.Quarantine = &c
		r.report.Summary.Quarantined, r.report.Summary.QuarantineReason = true, c.Reason+": "+c.Detail
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

// escrow records a failure for a later retry: on Entra's schedule for a
// refusal, the next cycle for a transient failure. An object that has
// failed for escrowLifetime is dropped from escrow instead, and its entry
// says so (once): it is tried again only when the source reports it
// changed, on a full read, or after a restart.
func (r *applyRun) escrow(op *Operation, ent *Entry, code Reason, err error, status int) {
	now := r.e.cfg.now()
	e := r.st.Escrows[op.SourceID]
	if e.Attempts == 0 {
		e.FirstFailure = now
	}
	e.Attempts++
	e.Action, e.LastFailure, e.Code = op.Action, now, code
	e.Detail = err.Error()
	next := e.FirstFailure.Add(r.e.cfg.schedule(e.Attempts))
	if transient(status) {
		next = time.Time{} // next cycle
	}
	if !now.Before(e.FirstFailure.Add(escrowLifetime)) || next.After(e.FirstFailure.Add(escrowLifetime)) {
		delete(r.st.Escrows, op.SourceID)
		r.report.Summary.EscrowsPruned++
		ent.Message = fmt.Sprintf("Retried for %d days since %s without success: the escrow ended, and the object is tried again only when it changes in the source, on a full read or after a restart. %s",
			int(escrowLifetime/(24*time.Hour)), e.FirstFailure.Format(time.RFC3339), ent.Message)
		return
	}
	e.NextTry = next
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
