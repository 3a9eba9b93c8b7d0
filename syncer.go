package druvascim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// ObjectFetcher is an optional interface of a [Source]: read one object by
// id (or user principal name) for on-demand provisioning without a full
// read. A missing object is an error matching [ErrNotFound].
type ObjectFetcher interface {
	FetchObject(ctx context.Context, id string) (map[string]any, error)
}

// UserGetter is an optional interface of a [Target] (druva.Client has it):
// read one user by id, used by on-demand provisioning to check a link.
type UserGetter interface {
	GetUser(ctx context.Context, id string) (scim.Resource, error)
}

// SyncOption configures a [Syncer].
type SyncOption func(*syncConfig) error

type syncConfig struct {
	planner   Planner
	planOpts  []PlanOption
	applyOpts []ApplyOption
	evalOpts  []mapping.EvalOption
	now       func() time.Time
	progress  ProgressFunc
	requests  func() int64
	logger    *slog.Logger
	fullRead  bool
}

// WithPlanner replaces the default planner (the plan options are then
// ignored).
func WithPlanner(p Planner) SyncOption {
	return func(c *syncConfig) error {
		if p == nil {
			return errors.New("druvascim: nil planner")
		}
		c.planner = p
		return nil
	}
}

// WithPlanOptions configures the default planner (policies, safety rules,
// hook).
func WithPlanOptions(opts ...PlanOption) SyncOption {
	return func(c *syncConfig) error { c.planOpts = append(c.planOpts, opts...); return nil }
}

// WithApplyOptions configures the executor (concurrency, escrow schedule,
// quarantine). The Syncer's clock and progress function are passed on.
func WithApplyOptions(opts ...ApplyOption) SyncOption {
	return func(c *syncConfig) error { c.applyOpts = append(c.applyOpts, opts...); return nil }
}

// WithEvalOptions passes options to the mapping expressions (such as
// mapping.WithDefaultDomain).
func WithEvalOptions(opts ...mapping.EvalOption) SyncOption {
	return func(c *syncConfig) error { c.evalOpts = append(c.evalOpts, opts...); return nil }
}

// WithSyncClock injects the clock for the whole cycle (planning, escrows,
// report times). Default time.Now.
func WithSyncClock(now func() time.Time) SyncOption {
	return func(c *syncConfig) error {
		if now == nil {
			return errors.New("druvascim: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithSyncProgress reports progress of each phase of a cycle.
func WithSyncProgress(f ProgressFunc) SyncOption {
	return func(c *syncConfig) error {
		if f == nil {
			return errors.New("druvascim: nil progress function")
		}
		c.progress = f
		return nil
	}
}

// WithRequestCounter gives the cycle a way to read the cumulative HTTP
// request count of the target client; the cycle's share is reported in
// Summary.Requests.
func WithRequestCounter(count func() int64) SyncOption {
	return func(c *syncConfig) error {
		if count == nil {
			return errors.New("druvascim: nil request counter")
		}
		c.requests = count
		return nil
	}
}

// WithSyncLogger logs the phases of each cycle (and passes the logger to
// the executor).
func WithSyncLogger(l *slog.Logger) SyncOption {
	return func(c *syncConfig) error {
		if l == nil {
			return errors.New("druvascim: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithFullRead makes every cycle read the whole source, ignoring the stored
// delta link (Entra's "restart provisioning").
func WithFullRead() SyncOption {
	return func(c *syncConfig) error { c.fullRead = true; return nil }
}

// Syncer runs provisioning cycles: read the source (fully, or incrementally
// through the stored delta link), read the target, map, plan, apply, save
// the state. Create it with [NewSyncer]; it is safe for concurrent use, but
// two cycles must not share one state store at the same time.
//
// When the store refuses to save a cycle's state, the Syncer keeps that
// state and starts its next cycle (or provisioning on demand) from it, not
// from the older one in the store, and saves again at the end: a process
// that keeps running loses no link to a failed save. Only a process that
// stops before a save succeeds does.
type Syncer struct {
	src   Source
	dst   Target
	set   *mapping.Set
	store StateStore
	cfg   syncConfig
	plan  Planner
	exec  *Executor

	mu      sync.Mutex
	unsaved *State // the newest state, when the store refused to save it
}

// NewSyncer returns a Syncer reading src, writing dst, mapping with set and
// keeping its state in store.
func NewSyncer(src Source, dst Target, set *mapping.Set, store StateStore, opts ...SyncOption) (*Syncer, error) {
	if src == nil || dst == nil || set == nil || store == nil {
		return nil, errors.New("druvascim: NewSyncer: source, target, mapping set and state store are required")
	}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("druvascim: NewSyncer: %w", err)
	}
	c := syncConfig{now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("druvascim: nil sync option")
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	s := &Syncer{src: src, dst: dst, set: set, store: store, cfg: c, plan: c.planner}
	if s.plan == nil {
		p, err := NewPlanner(c.planOpts...)
		if err != nil {
			return nil, err
		}
		s.plan = p
	}
	aopts := append([]ApplyOption{WithClock(c.now)}, c.applyOpts...)
	if c.progress != nil {
		aopts = append(aopts, WithProgress(c.progress))
	}
	if c.logger != nil {
		aopts = append(aopts, WithLogger(c.logger))
	}
	exec, err := NewExecutor(aopts...)
	if err != nil {
		return nil, err
	}
	s.exec = exec
	return s, nil
}

// Result is the outcome of one cycle: the plan (nil when the cycle failed
// before planning) and the report.
type Result struct {
	Plan   *Plan
	Report *Report
}

// Run runs one cycle. The error is nil when the cycle completed, even if
// some objects failed (see the report); it matches [ErrDeletionThreshold]
// or [ErrSourceShrank] when the plan was held (nothing applied, nothing
// saved, the held plan in the result), [ErrIncompleteSource] when the
// source could not be read completely, [ErrQuarantined] when the cycle
// stopped early (links and escrows saved, the delta link not advanced).
//
// A cycle reads the source incrementally when a delta link is stored, unless
// [WithFullRead] is set or an escrowed failure is due for a retry: an
// incremental read would not return the unchanged object, so the cycle reads
// everything.
func (s *Syncer) Run(ctx context.Context) (*Result, error) {
	return s.cycle(ctx, false)
}

// DryRun runs the same cycle as [Syncer.Run] and stops before applying:
// nothing is written to the target or the state store. The report lists
// what would happen (status Skipped, step detail "dry run").
func (s *Syncer) DryRun(ctx context.Context) (*Result, error) {
	return s.cycle(ctx, true)
}

func (s *Syncer) progress(phase string, done, total int) {
	if s.cfg.progress != nil {
		s.cfg.progress(Progress{Phase: phase, Done: done, Total: total})
	}
}

func (s *Syncer) logf(msg string, args ...any) {
	if s.cfg.logger != nil {
		s.cfg.logger.Info(msg, args...)
	}
}

// lookupsPerLink bounds when an incremental cycle looks its objects' target
// users up one by one ([Syncer.lookup]) instead of listing every target
// user: at most one object per lookupsPerLink links, so that the lookups
// (one or two requests an object) cost fewer requests than a list pass
// (Druva pages hold 100 users).
const lookupsPerLink = 200

// lookup finds the target users one desired object may match without
// listing them all, as on-demand provisioning does: its linked user (by id),
// or else the users holding its matching keys, in precedence order until one
// key finds any. Users already in seen are not returned again. notes say
// what each key lookup found.
func (s *Syncer) lookup(ctx context.Context, st *State, d *Desired, seen map[string]bool) ([]scim.Resource, []string, error) {
	var current []scim.Resource
	if tgt, ok := st.Links[d.SourceID]; ok {
		if g, ok := s.dst.(UserGetter); ok {
			u, err := g.GetUser(ctx, tgt)
			switch {
			case err == nil:
				if !seen[tgt] {
					current = append(current, u)
				}
				seen[tgt] = true
				return current, nil, nil
			case statusOf(err) != 404:
				return nil, nil, fmt.Errorf("druvascim: read linked user %s: %w", tgt, err)
			}
		} else {
			u, err := s.dst.FindUsers(ctx, "id", tgt)
			if err != nil {
				return nil, nil, fmt.Errorf("druvascim: read linked user %s: %w", tgt, err)
			}
			for _, x := range u {
				if x.ID() == tgt {
					if !seen[tgt] {
						current = append(current, x)
					}
					seen[tgt] = true
					return current, nil, nil
				}
			}
		}
	}
	var notes []string
	for _, k := range d.Keys {
		found, err := s.dst.FindUsers(ctx, k.Path, k.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("druvascim: look up %s = %q: %w", k.Path, k.Value, err)
		}
		notes = append(notes, fmt.Sprintf("%s = %q: %d user(s)", k.Path, k.Value, len(found)))
		for _, u := range found {
			if id := u.ID(); id != "" && !seen[id] {
				seen[id] = true
				current = append(current, u)
			}
		}
		if len(found) > 0 {
			break
		}
	}
	return current, notes, nil
}

// lookupAll looks up the target users of every desired object.
func (s *Syncer) lookupAll(ctx context.Context, st *State, desired []Desired) ([]scim.Resource, error) {
	var current []scim.Resource
	seen := map[string]bool{}
	for i := range desired {
		users, _, err := s.lookup(ctx, st, &desired[i], seen)
		if err != nil {
			return nil, err
		}
		current = append(current, users...)
	}
	return current, nil
}

// readTarget lists every target user; any error aborts (a partial listing
// would look like users gone).
func (s *Syncer) readTarget(ctx context.Context) ([]scim.Resource, error) {
	var users []scim.Resource
	for u, err := range s.dst.ListUsers(ctx) {
		if err != nil {
			return nil, fmt.Errorf("druvascim: read target users: %w", err)
		}
		users = append(users, u)
		if len(users)%1000 == 0 {
			s.progress("read target", len(users), 0)
		}
	}
	s.progress("read target", len(users), len(users))
	return users, nil
}

// loadState returns the state a cycle starts from: a copy of the one a
// failed save left, else the store's.
func (s *Syncer) loadState(ctx context.Context) (*State, error) {
	s.mu.Lock()
	unsaved := s.unsaved
	s.mu.Unlock()
	if unsaved != nil {
		return unsaved.Clone(), nil
	}
	return s.store.Load(ctx)
}

// saveState saves st even when ctx is canceled (links of users already
// created must not be lost); when the store refuses, st is kept for the
// next cycle. The cycle that saves st owns it and drops it after this, so
// it is kept without a copy (loadState hands out copies).
func (s *Syncer) saveState(ctx context.Context, st *State) error {
	err := s.store.Save(context.WithoutCancel(ctx), st)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.unsaved = st
		return err
	}
	s.unsaved = nil
	return nil
}

func (s *Syncer) cycle(ctx context.Context, dry bool) (*Result, error) {
	start := s.cfg.now()
	st, err := s.loadState(ctx)
	if err != nil {
		return nil, err
	}
	sum := Summary{CycleID: start.UTC().Format("20060102T150405.000Z"), Started: start, DryRun: dry}
	var requests0 int64
	if s.cfg.requests != nil {
		requests0 = s.cfg.requests()
	}

	// Escrowed failures need their objects again: a due escrow forces a
	// full read (an incremental read would not return unchanged objects).
	delta := st.DeltaLink
	if s.cfg.fullRead {
		delta = ""
	}
	for _, e := range st.Escrows {
		if !e.NextTry.After(start) {
			delta = ""
			break
		}
	}
	if len(st.Vetoed) > 0 {
		delta = "" // vetoed writes are planned again, like due escrows
	}
	// On a full read the source and the target are read at the same time;
	// the source objects are mapped while the target listing goes on. A
	// failure on either side stops the other. An incremental read comes
	// first: when it returns few objects, their target users are looked up
	// one by one rather than listed.
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	var current []scim.Resource
	var listErr error
	var listTime time.Duration
	listed := make(chan struct{})
	if delta == "" {
		go func() {
			defer close(listed)
			t := s.cfg.now()
			current, listErr = s.readTarget(readCtx)
			listTime = s.cfg.now().Sub(t)
			if listErr != nil {
				stopReading()
			}
		}()
	} else {
		close(listed) // nothing to wait for until the source is read
	}
	abort := func(err error) (*Result, error) {
		stopReading()
		<-listed
		if listErr != nil && ctx.Err() == nil && errors.Is(err, context.Canceled) {
			return nil, listErr // the source read was stopped by the failed listing
		}
		return nil, err
	}

	t := s.cfg.now()
	s.progress("read source", 0, 0)
	objects, next, full, err := s.src.Fetch(readCtx, delta)
	if err != nil {
		return abort(fmt.Errorf("%w: %w", ErrIncompleteSource, err))
	}
	if delta == "" && !full {
		return abort(fmt.Errorf("%w: a full read was asked for but the source returned a partial one", ErrIncompleteSource))
	}
	sum.ReadSource, sum.Full, sum.SourceObjects = s.cfg.now().Sub(t), full, len(objects)
	s.progress("read source", len(objects), len(objects))
	s.logf("druvascim: source read", "objects", len(objects), "full", full)

	t = s.cfg.now()
	desired, err := Prepare(readCtx, s.set, objects, s.cfg.evalOpts...)
	if err != nil {
		return abort(err)
	}
	sum.Map = s.cfg.now().Sub(t)
	s.progress("map", len(desired), len(desired))

	<-listed
	if listErr != nil {
		return nil, listErr
	}
	if delta != "" {
		t := s.cfg.now()
		if !full && len(desired)*lookupsPerLink <= len(st.Links) {
			current, err = s.lookupAll(ctx, st, desired)
			if err != nil {
				err = fmt.Errorf("druvascim: read target users: %w", err)
			}
			s.logf("druvascim: target users looked up", "objects", len(desired), "users", len(current))
		} else {
			current, err = s.readTarget(ctx)
		}
		if err != nil {
			return nil, err
		}
		listTime = s.cfg.now().Sub(t)
	}
	sum.ReadTarget, sum.TargetUsers = listTime, len(current)

	t = s.cfg.now()
	plan, perr := s.plan.Plan(PlanInput{Desired: desired, Current: current, State: st, Full: full, Now: start})
	sum.Plan = s.cfg.now().Sub(t)
	if plan == nil {
		return nil, perr
	}
	s.progress("plan", len(plan.Operations), len(plan.Operations))
	s.logf("druvascim: planned", "create", plan.Counts.Create, "update", plan.Counts.Update,
		"disable", plan.Counts.Disable, "delete", plan.Counts.Delete)

	if plan.Held() || dry {
		rep := planReport(plan, sum, s.cfg.now())
		if plan.Held() {
			if perr == nil {
				perr = plan.Hold.err()
			}
			return &Result{Plan: plan, Report: rep}, perr
		}
		return &Result{Plan: plan, Report: rep}, nil
	}

	rep, aerr := s.exec.apply(ctx, s.dst, plan, st, sum.CycleID)
	if rep == nil {
		return &Result{Plan: plan}, aerr
	}
	applied := rep.Summary
	rep.Summary = sum
	rep.Summary.Apply = applied.Apply
	rep.Summary.TargetCalls = applied.TargetCalls + 1 // + the listing
	rep.Summary.Quarantined, rep.Summary.QuarantineReason, rep.Summary.Canceled = applied.Quarantined, applied.QuarantineReason, applied.Canceled
	rep.Summary.Finished = s.cfg.now()
	if s.cfg.requests != nil {
		rep.Summary.Requests = s.cfg.requests() - requests0
	}
	rep.count()

	// Save what happened. The delta link advances only when the cycle
	// completed: after a quarantine or cancellation the same changes are
	// read again.
	if aerr == nil {
		st.DeltaLink = next
		lc := &CycleCounts{Finished: rep.Summary.Finished, Full: full, Actions: maps.Clone(rep.Summary.Actions),
			Failures: rep.Summary.Statuses[StatusFailure]}
		if full {
			lc.SourceInScope = plan.InScope
		} else if st.LastCycle != nil {
			lc.SourceInScope = st.LastCycle.SourceInScope
		}
		st.LastCycle = lc
	} else if st.LastCycle != nil {
		st.LastCycle.Quarantined = errors.Is(aerr, ErrQuarantined)
	}
	// Save even when canceled: links of users already created must not be
	// lost.
	if err := s.saveState(ctx, st); err != nil {
		return &Result{Plan: plan, Report: rep}, errors.Join(aerr, err)
	}
	return &Result{Plan: plan, Report: rep}, aerr
}

// planReport turns a plan that is not applied (held, or a dry run) into a
// report: every operation Skipped; held disables and deletes appear as
// StagedDelete, as in Entra.
func planReport(p *Plan, sum Summary, now time.Time) *Report {
	rep := &Report{Summary: sum, Entries: make([]Entry, len(p.Operations))}
	rep.Summary.Held = p.Hold
	if !p.Held() {
		rep.Summary.Held = nil
	}
	rep.Summary.Finished = now
	for i := range p.Operations {
		op := &p.Operations[i]
		e := Entry{ChangeID: sum.CycleID + "-" + strconv.Itoa(i+1), CycleID: sum.CycleID, Time: now,
			SourceID: op.SourceID, TargetID: op.TargetID, DisplayName: op.DisplayName, Action: op.Action,
			Status: StatusSkipped, Reason: op.Reason, Modified: op.Changes, Detail: op.Detail}
		if op.Action == ActionCreate {
			e.Modified = createChanges(op)
		}
		detail := "dry run: not applied"
		if p.Held() {
			detail = "held: " + p.Hold.Message
			if op.isWrite() {
				e.ErrorCode, e.Message = ReasonHeld, advice(ReasonHeld)
			}
			if op.Action == ActionDisable || op.Action == ActionDelete {
				e.Action = ActionStagedDelete
			}
		}
		e.Steps = stepsFor(op, StatusSkipped, detail)
		rep.Entries[i] = e
	}
	rep.count()
	return rep
}

// OnDemandResult is the outcome of provisioning one object on demand: the
// steps taken (Import, Scope, Match, Action), the planned operation and, when
// it was applied, its provisioning-log entry.
type OnDemandResult struct {
	SourceID    string     `json:"sourceId"`
	DisplayName string     `json:"displayName,omitempty"`
	Steps       []Step     `json:"steps"`
	Operation   *Operation `json:"operation,omitempty"`
	Entry       *Entry     `json:"entry,omitempty"`
}

// ProvisionOnDemand provisions one source object now, like Entra's
// "provision on demand": it reads the object (by object id or user
// principal name), evaluates scope, matches it against the target by its
// link or its matching attributes (no full listing), plans and applies the
// single operation, and saves links and escrows. Each step is reported,
// also when it stops the run. With dryRun the action is planned only.
func (s *Syncer) ProvisionOnDemand(ctx context.Context, id string, dryRun bool) (*OnDemandResult, error) {
	res := &OnDemandResult{SourceID: id}
	fail := func(step string, err error) (*OnDemandResult, error) {
		res.Steps = append(res.Steps, Step{Name: step, Status: StatusFailure, Detail: err.Error()})
		return res, err
	}
	if strings.TrimSpace(id) == "" {
		return fail(StepImport, errors.New("druvascim: provision on demand: empty id"))
	}
	st, err := s.loadState(ctx)
	if err != nil {
		return fail(StepImport, err)
	}
	obj, err := s.fetchOne(ctx, id)
	if err != nil {
		return fail(StepImport, err)
	}
	ds, err := Prepare(ctx, s.set, []map[string]any{obj}, s.cfg.evalOpts...)
	if err != nil {
		return fail(StepImport, err)
	}
	d := ds[0]
	res.SourceID, res.DisplayName = d.SourceID, d.DisplayName
	res.Steps = append(res.Steps, Step{Name: StepImport, Status: StatusSuccess, Detail: "read source object " + d.SourceID})
	scope := "in scope: assigned, active and passing the scoping filter"
	scopeStatus := StatusSuccess
	switch {
	case d.HardDeleted:
		scope, scopeStatus = "out of scope: deleted in the source", StatusSkipped
	case d.SoftDeleted:
		scope, scopeStatus = "out of scope: "+cmpOr(d.ScopeReason, "soft-deleted"), StatusSkipped
	case d.OutOfScope:
		scope, scopeStatus = "out of scope: the scoping filter rejects the object", StatusSkipped
	}
	res.Steps = append(res.Steps, Step{Name: StepScope, Status: scopeStatus, Detail: scope})

	// Match without listing every user: the linked user, then each key.
	current, matchNotes, err := s.lookup(ctx, st, &d, map[string]bool{})
	if err != nil {
		return fail(StepMatch, err)
	}
	plan, perr := s.plan.Plan(PlanInput{Desired: ds, Current: current, State: st, Now: s.cfg.now()})
	if plan == nil {
		return fail(StepMatch, perr)
	}
	op := plan.Operations[0]
	res.Operation = &op
	matchDetail := "no matching user"
	switch {
	case op.MatchedBy == "link":
		matchDetail = "linked user " + op.TargetID
	case op.MatchedBy != "":
		matchDetail = "matched user " + op.TargetID + " by " + op.MatchedBy
	case op.Reason == ReasonDuplicateTargetEntries || op.Reason == ReasonMissingMatchingValue:
		matchDetail = string(op.Reason) + ": " + op.Detail
	}
	if len(matchNotes) > 0 {
		matchDetail += " (" + strings.Join(matchNotes, "; ") + ")"
	}
	res.Steps = append(res.Steps, Step{Name: StepMatch, Status: StatusSuccess, Detail: matchDetail})
	if dryRun || plan.Held() {
		detail := fmt.Sprintf("would %s (dry run)", strings.ToLower(string(op.Action)))
		if plan.Held() {
			detail = "held: " + plan.Hold.Message
		}
		res.Steps = append(res.Steps, Step{Name: StepAction, Status: StatusSkipped, Detail: detail})
		if plan.Held() {
			return res, perr
		}
		return res, nil
	}
	rep, aerr := s.exec.Apply(ctx, s.dst, plan, st)
	if rep != nil && len(rep.Entries) == 1 {
		e := rep.Entries[0]
		res.Entry = &e
		detail := string(op.Action)
		if e.ErrorCode != "" {
			detail += ": " + string(e.ErrorCode) + " — " + e.Message
		} else if op.Reason != "" {
			detail += " (" + string(op.Reason) + ")"
		}
		res.Steps = append(res.Steps, Step{Name: StepAction, Status: e.Status, Detail: detail})
	}
	if err := s.saveState(ctx, st); err != nil {
		return res, errors.Join(aerr, err)
	}
	return res, aerr
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fetchOne reads one object: through [ObjectFetcher] when the source has it,
// else from a full read, by object id or user principal name.
func (s *Syncer) fetchOne(ctx context.Context, id string) (map[string]any, error) {
	if f, ok := s.src.(ObjectFetcher); ok {
		obj, err := f.FetchObject(ctx, id)
		if err != nil {
			return nil, err
		}
		return obj, nil
	}
	objects, _, full, err := s.src.Fetch(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncompleteSource, err)
	}
	if !full {
		return nil, fmt.Errorf("%w: a full read was asked for but the source returned a partial one", ErrIncompleteSource)
	}
	for _, o := range objects {
		if oid, _ := o[KeyID].(string); oid == id {
			return o, nil
		}
	}
	for _, o := range objects {
		if upn, _ := o["userPrincipalName"].(string); upn != "" && strings.EqualFold(upn, id) {
			return o, nil
		}
	}
	return nil, fmt.Errorf("%w: no source object with id or userPrincipalName %q", ErrNotFound, id)
}
