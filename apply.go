package druvascim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/druvascim/druvascim/scim"
)

// RetrySchedule returns how long after its attempts-th failure an escrowed
// operation waits before the next try.
type RetrySchedule func(attempts int) time.Duration

// EntraRetrySchedule is Entra's escrow schedule: 6 h after the first
// failure, 12 h after the second, 24 h after the third and every 24 h after
// that.
func EntraRetrySchedule(attempts int) time.Duration {
	switch {
	case attempts <= 1:
		return 6 * time.Hour
	case attempts == 2:
		return 12 * time.Hour
	default:
		return 24 * time.Hour
	}
}

// DefaultConcurrency is the default number of operations Apply runs at once.
const DefaultConcurrency = 8

// DefaultQuarantineShare is the default share of failed operations above
// which Apply stops early (Entra: 40 %).
const DefaultQuarantineShare = 0.4

// DefaultQuarantineMinimum is the default number of finished operations
// before the failure share is judged.
const DefaultQuarantineMinimum = 20

// ApplyOption configures an [Executor].
type ApplyOption func(*execConfig) error

type execConfig struct {
	concurrency int
	now         func() time.Time
	schedule    RetrySchedule
	share       float64
	minimum     int
	logger      *slog.Logger
	progress    ProgressFunc
	cycleID     string
}

// WithConcurrency sets how many operations run at once (default
// [DefaultConcurrency]).
func WithConcurrency(n int) ApplyOption {
	return func(c *execConfig) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("druvascim: concurrency %d: must be between 1 and 1024", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithClock injects the clock used for escrow times and report timestamps
// (default time.Now).
func WithClock(now func() time.Time) ApplyOption {
	return func(c *execConfig) error {
		if now == nil {
			return errors.New("druvascim: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithRetrySchedule sets the escrow schedule for failures the target
// refused (default [EntraRetrySchedule]). Transient failures (429, 5xx,
// network) are retried in the next cycle.
func WithRetrySchedule(s RetrySchedule) ApplyOption {
	return func(c *execConfig) error {
		if s == nil {
			return errors.New("druvascim: nil retry schedule")
		}
		c.schedule = s
		return nil
	}
}

// WithQuarantine stops Apply early when more than share of at least minimum
// finished operations failed (defaults [DefaultQuarantineShare] and
// [DefaultQuarantineMinimum]). share 1 turns the rule off. A rejected token
// (401/403) always stops the cycle.
func WithQuarantine(share float64, minimum int) ApplyOption {
	return func(c *execConfig) error {
		if !(share > 0 && share <= 1) || minimum < 1 {
			return fmt.Errorf("druvascim: quarantine share %v / minimum %d: share must be in (0, 1], minimum at least 1", share, minimum)
		}
		c.share, c.minimum = share, minimum
		return nil
	}
}

// WithLogger logs each operation at debug level and failures at warn level.
func WithLogger(l *slog.Logger) ApplyOption {
	return func(c *execConfig) error {
		if l == nil {
			return errors.New("druvascim: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithProgress reports progress of the apply phase.
func WithProgress(f ProgressFunc) ApplyOption {
	return func(c *execConfig) error {
		if f == nil {
			return errors.New("druvascim: nil progress function")
		}
		c.progress = f
		return nil
	}
}

// WithCycleID names the cycle in the report (default: derived from the clock).
func WithCycleID(id string) ApplyOption {
	return func(c *execConfig) error {
		if id == "" {
			return errors.New("druvascim: empty cycle id")
		}
		c.cycleID = id
		return nil
	}
}

// Executor applies plans to a [Target]. Create it with [NewExecutor]; it is
// immutable and safe for concurrent use (on different states).
type Executor struct {
	cfg execConfig
}

// NewExecutor returns an executor configured by opts.
func NewExecutor(opts ...ApplyOption) (*Executor, error) {
	c := execConfig{concurrency: DefaultConcurrency, now: time.Now, schedule: EntraRetrySchedule,
		share: DefaultQuarantineShare, minimum: DefaultQuarantineMinimum}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("druvascim: nil apply option")
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	return &Executor{cfg: c}, nil
}

// Apply runs p against t with a default [Executor] configured by opts.
func Apply(ctx context.Context, t Target, p *Plan, st *State, opts ...ApplyOption) (*Report, error) {
	e, err := NewExecutor(opts...)
	if err != nil {
		return nil, err
	}
	return e.Apply(ctx, t, p, st)
}

// QuarantineError says why Apply stopped early; it matches [ErrQuarantined].
type QuarantineError struct {
	// Reason is ReasonUnauthorized or "EscrowProportionThreshold".
	Reason string
	// Failed and Finished count operations when the cycle stopped.
	Failed, Finished int
	// Cause is the error that triggered an auth quarantine.
	Cause error
}

// Error describes the quarantine.
func (q *QuarantineError) Error() string {
	if q.Reason == string(ReasonUnauthorized) {
		return fmt.Sprintf("druvascim: quarantined: the target rejected the credentials (%v); %s", q.Cause, advice(ReasonUnauthorized))
	}
	return fmt.Sprintf("druvascim: quarantined: %d of %d operations failed; cycle stopped early", q.Failed, q.Finished)
}

// Is matches [ErrQuarantined].
func (q *QuarantineError) Is(target error) bool { return target == ErrQuarantined }

// Unwrap returns the cause.
func (q *QuarantineError) Unwrap() error { return q.Cause }

type applyRun struct {
	unchanged []Step // shared by the entries of unchanged linked objects
	e         *Executor
	t         Target
	p         *Plan
	st        *State
	report    *Report
	mu        sync.Mutex // guards st, failed, finished, quarantine
	paths     map[string]*attrPath
	calls     atomic.Int64
	stop      atomic.Bool
	failed    int
	done      int
	quar      *QuarantineError
	started   int
}

// Apply runs the plan's write operations against t and records links and
// escrows in st. Creates and updates run first, then disables and deletes,
// each with bounded concurrency. It returns the provisioning report of every
// operation. The error is non-nil when the plan is held ([ErrPlanHeld]),
// when the cycle was quarantined ([*QuarantineError]) or canceled (the
// context's error); the report and st are consistent in every case.
func (e *Executor) Apply(ctx context.Context, t Target, p *Plan, st *State) (*Report, error) {
	return e.apply(ctx, t, p, st, e.cfg.cycleID)
}

func (e *Executor) apply(ctx context.Context, t Target, p *Plan, st *State, cycle string) (*Report, error) {
	if p == nil || st == nil || t == nil {
		return nil, errors.New("druvascim: apply: nil plan, state or target")
	}
	if p.Held() {
		return nil, fmt.Errorf("%w: %s", ErrPlanHeld, p.Hold.Message)
	}
	if st.Links == nil {
		st.Links = map[string]string{}
	}
	if st.Escrows == nil {
		st.Escrows = map[string]Escrow{}
	}
	start := e.cfg.now()
	noteVetoes(st, p, start)
	if cycle == "" {
		cycle = start.UTC().Format("20060102T150405.000Z")
	}
	r := &applyRun{e: e, t: t, p: p, st: st, paths: map[string]*attrPath{},
		report: &Report{Summary: Summary{CycleID: cycle, Started: start, Full: p.Full}, Entries: make([]Entry, len(p.Operations))}}

	var phases [2][]int
	for i := range p.Operations {
		op := &p.Operations[i]
		ent := &r.report.Entries[i]
		*ent = Entry{ChangeID: cycle + "-" + strconv.Itoa(i+1), CycleID: cycle, SourceID: op.SourceID, TargetID: op.TargetID,
			DisplayName: op.DisplayName, Action: op.Action, Reason: op.Reason}
		if !op.isWrite() {
			r.skip(op, ent)
			continue
		}
		phases[phaseOf(op.Action)] = append(phases[phaseOf(op.Action)], i)
	}
	// Compile the paths the workers need before they start.
	for _, op := range p.Operations {
		for _, a := range op.Update {
			if _, ok := r.paths[a.Path]; !ok {
				ap, err := compilePath(a.Path)
				if err != nil {
					return nil, fmt.Errorf("druvascim: apply: %w", err)
				}
				r.paths[a.Path] = &ap
			}
		}
	}
	total := len(phases[0]) + len(phases[1])
	for _, ph := range phases {
		r.runPhase(ctx, ph, total)
	}
	r.report.Summary.Finished = e.cfg.now()
	r.report.Summary.Apply = r.report.Summary.Finished.Sub(start)
	r.report.Summary.TargetCalls = r.calls.Load()
	r.report.count()
	if r.quar != nil {
		r.report.Summary.Quarantined = true
		r.report.Summary.QuarantineReason = r.quar.Error()
		return r.report, r.quar
	}
	if err := ctx.Err(); err != nil {
		r.report.Summary.Canceled = true
		return r.report, fmt.Errorf("druvascim: apply canceled: %w", err)
	}
	return r.report, nil
}

func (r *applyRun) skip(op *Operation, ent *Entry) {
	ent.Time = r.e.cfg.now()
	ent.Status = StatusSkipped
	if op.Reason == ReasonUnchanged && op.MatchedBy == "link" && op.Detail == "" {
		// The common case of a steady state: one shared, read-only slice
		// instead of a million identical ones.
		if r.unchanged == nil {
			r.unchanged = []Step{{Name: StepImport, Status: StatusSuccess}, {Name: StepScope, Status: StatusSuccess, Detail: "in scope"},
				{Name: StepMatch, Status: StatusSuccess, Detail: "linked user"}, {Name: StepAction, Status: StatusSkipped, Detail: "unchanged"}}
		}
		ent.Steps = r.unchanged
	} else {
		ent.Steps = stepsFor(op, StatusSkipped, op.Detail)
	}
	ent.Modified = op.Changes
	if op.Reason != ReasonUnchanged && op.Reason != ReasonOutOfScope {
		ent.ErrorCode = op.Reason
		ent.Message = advice(op.Reason)
	}
	ent.Detail = op.Detail
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
	steps := []Step{{Name: StepImport, Status: StatusSuccess}}
	switch op.Reason {
	case ReasonUnassigned, ReasonScopingFilter, ReasonHardDeleted, ReasonOutOfScope:
		steps = append(steps, Step{Name: StepScope, Status: StatusSkipped, Detail: string(op.Reason)})
	default:
		steps = append(steps, Step{Name: StepScope, Status: StatusSuccess, Detail: "in scope"})
	}
	switch {
	case op.MatchedBy == "link":
		steps = append(steps, Step{Name: StepMatch, Status: StatusSuccess, Detail: "linked user " + op.TargetID})
	case op.MatchedBy != "":
		steps = append(steps, Step{Name: StepMatch, Status: StatusSuccess, Detail: "matched user " + op.TargetID + " by " + op.MatchedBy})
	case op.Reason == ReasonDuplicateTargetEntries || op.Reason == ReasonMissingMatchingValue:
		steps = append(steps, Step{Name: StepMatch, Status: StatusFailure, Detail: string(op.Reason)})
	default:
		steps = append(steps, Step{Name: StepMatch, Status: StatusSuccess, Detail: "no match"})
	}
	return append(steps, Step{Name: StepAction, Status: status, Detail: detail})
}

func (r *applyRun) runPhase(ctx context.Context, idx []int, total int) {
	if len(idx) == 0 {
		return
	}
	work := make(chan int)
	var wg sync.WaitGroup
	n := min(r.e.cfg.concurrency, len(idx))
	for range n {
		wg.Go(func() {
			for i := range work {
				r.runOne(ctx, i)
				if r.e.cfg.progress != nil {
					r.mu.Lock()
					r.started++
					d := r.started
					r.mu.Unlock()
					r.e.cfg.progress(Progress{Phase: "apply", Done: d, Total: total})
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

func (r *applyRun) runOne(ctx context.Context, i int) {
	op := &r.p.Operations[i]
	ent := &r.report.Entries[i]
	if r.stop.Load() || ctx.Err() != nil {
		code := ReasonCanceled
		ent.Time, ent.Status, ent.ErrorCode = r.e.cfg.now(), StatusSkipped, code
		ent.Message = advice(code)
		if r.stop.Load() {
			ent.Message = "The cycle was quarantined before this operation ran; it runs in the next cycle."
		}
		ent.Steps = stepsFor(op, StatusSkipped, "not run")
		return
	}
	var err error
	var warn Reason
	var changes []PropertyChange
	detail := op.Detail
	switch op.Action {
	case ActionCreate:
		changes, detail, err = r.create(ctx, op, ent)
	case ActionUpdate:
		r.calls.Add(1)
		err = r.t.PatchUser(ctx, op.TargetID, op.Patch...)
		changes = op.Changes
	case ActionDisable:
		r.calls.Add(1)
		err = r.t.DisableUser(ctx, op.TargetID)
		changes = op.Changes
	case ActionDelete:
		r.calls.Add(1)
		err = r.t.DeleteUser(ctx, op.TargetID)
	}
	status := statusOf(err)
	if op.Action != ActionCreate && status == http.StatusNotFound {
		// The linked user vanished: forget the link and match again next cycle.
		warn, err = ReasonInvalidAnchor, nil
	}
	ent.Time = r.e.cfg.now()
	ent.Modified = changes
	if ent.TargetID == "" {
		ent.TargetID = op.TargetID
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	switch {
	case err == nil && warn != "":
		delete(r.st.Links, op.SourceID)
		delete(r.st.Escrows, op.SourceID)
		ent.Status, ent.ErrorCode, ent.Message = StatusWarning, warn, advice(warn)
		ent.Steps = stepsFor(op, StatusWarning, "target user not found")
	case err == nil:
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
	default:
		if op.DropLink {
			delete(r.st.Links, op.SourceID)
		}
		code := reasonOf(err, status)
		ent.Status, ent.ErrorCode, ent.Message = StatusFailure, code, advice(code)
		ent.Detail = err.Error()
		ent.Steps = stepsFor(op, StatusFailure, detail)
		r.failed++
		r.log(slog.LevelWarn, op, ent, err)
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			ent.ErrorCode, ent.Message = ReasonCanceled, advice(ReasonCanceled)
			break
		}
		r.escrow(op, code, err, status)
		if code == ReasonUnauthorized && r.quar == nil {
			r.quar = &QuarantineError{Reason: string(ReasonUnauthorized), Cause: err}
			r.stop.Store(true)
		}
	}
	if r.quar == nil && r.done >= r.e.cfg.minimum && r.e.cfg.share < 1 && float64(r.failed) > r.e.cfg.share*float64(r.done) {
		r.quar = &QuarantineError{Reason: "EscrowProportionThreshold", Failed: r.failed, Finished: r.done}
		r.stop.Store(true)
	}
	if r.quar != nil {
		r.quar.Failed, r.quar.Finished = r.failed, r.done
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
	r.calls.Add(1)
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
		return ReasonUnauthorized
	case status == http.StatusConflict:
		return ReasonConflict
	case status == http.StatusTooManyRequests:
		return ReasonTooManyRequests
	case status >= 500:
		return ReasonServerError
	case status >= 400:
		return ReasonBadRequest
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ReasonCanceled
	}
	return ReasonServerError
}

// transient reports whether a failure is worth retrying in the next cycle
// rather than on the escrow schedule: throttling, server errors and
// failures without an HTTP status (transport errors).
func transient(status int) bool {
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}
