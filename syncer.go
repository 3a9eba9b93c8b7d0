package druvascim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

type syncConfig struct {
	planner  Planner
	evalOpts []mapping.EvalOption
	now      func() time.Time
	progress func(Progress)
	requests func() int64
	logger   *slog.Logger
	fullRead bool
	// checkpointOps and checkpointEvery override the checkpoint batch
	// (tests and benchmarks); 0: checkpointOps and checkpointInterval;
	// checkpointOps < 0: no checkpoints.
	checkpointOps   int
	checkpointEvery time.Duration
}

// Syncer runs provisioning cycles: read the source (fully, or incrementally
// through the stored delta link), read the target, map, plan, apply, save
// the state. Create it with [NewSyncer]; it is safe for concurrent use, but
// two cycles must not share one state store at the same time: a program
// holds the store's lock ([StateStore] Lock) while it runs cycles.
//
// When the store refuses to save a cycle's state, the Syncer keeps that
// state and starts its next cycle (or provisioning on demand) from it, not
// from the older one in the store, and saves again at the end: a process
// that keeps running loses no link to a failed save. Only a process that
// stops before a save succeeds does.
//
// While a cycle applies its plan, the Syncer saves the state through the
// store every 100 finished operations or every 5 seconds, whichever comes
// first (a checkpoint: the links and escrows so far, with the delta link
// the cycle read from); a state of more than 20,000 links no more often
// than keeps the saves to about a tenth of the cycle's time. (A store from
// [NewMemoryStore] gets no checkpoints: it does not outlive the process.)
// A process killed in the middle of a cycle loses
// only the links made since the last checkpoint; the next cycle finds
// those users again by matching (or through the 409 of a create) and
// creates none twice. The target's learned request rate, when it has one
// (a method LearnedRate() float64, as druva.Client has), is kept in
// State.LearnedRate.
type Syncer struct {
	src   Source
	dst   Target
	set   *mapping.Set
	store StateStore
	cfg   syncConfig
	plan  Planner
	exec  *executor

	mu      sync.Mutex
	unsaved *State // the newest state, when the store refused to save it

	print string // the configuration's fingerprint (see fingerprint)
}

// NewSyncer returns a Syncer reading src, writing dst, mapping with set and
// keeping its state in store. It takes every [Option]: the planning options
// configure the default planner (so they cannot be combined with
// [WithPlanner]), the applying options the executor.
//
// A source that can tell which attributes it delivers (a method
// Attributes() []string, as entra.Reader has) must deliver every attribute
// the set reads ([mapping.Set.SourceAttributes]); otherwise NewSyncer
// refuses to start and names the missing ones, rather than let a mapping
// read NULL for them. A target with a method Requests() int64 (as
// druva.Client has) has each cycle's HTTP request count reported in
// Summary.Requests. IsSoftDeleted and objectId come from the objects'
// fields (see [Prepare]).
func NewSyncer(src Source, dst Target, set *mapping.Set, store StateStore, opts ...Option) (*Syncer, error) {
	if src == nil || dst == nil || set == nil || store == nil {
		return nil, errors.New("druvascim: NewSyncer: source, target, mapping set and state store are required")
	}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("druvascim: NewSyncer: %w", err)
	}
	if err := checkAttributes(src, set); err != nil {
		return nil, err
	}
	c := syncConfig{now: time.Now}
	if rc, ok := dst.(requestCounter); ok {
		c.requests = rc.Requests
	}
	var planOpts, execOpts []Option
	for _, o := range opts {
		if o.name == "" {
			return nil, errors.New("druvascim: NewSyncer: zero Option; build options with the With functions")
		}
		if o.sync != nil {
			if err := o.sync(&c); err != nil {
				return nil, fmt.Errorf("druvascim: NewSyncer: %s: %w", o.name, err)
			}
		}
		if o.plan != nil {
			planOpts = append(planOpts, o)
		}
		if o.exec != nil {
			execOpts = append(execOpts, o)
		}
	}
	s := &Syncer{src: src, dst: dst, set: set, store: store, cfg: c, plan: c.planner, print: fingerprint(set, src)}
	if s.plan != nil && len(planOpts) > 0 {
		names := make([]string, len(planOpts))
		for i, o := range planOpts {
			names[i] = o.name
		}
		return nil, fmt.Errorf("druvascim: NewSyncer: %s configure the default planner, but WithPlanner replaces it; configure the custom planner instead", strings.Join(names, ", "))
	}
	if s.plan == nil {
		p, err := NewPlanner(planOpts...)
		if err != nil {
			return nil, err
		}
		s.plan = p
	}
	exec, err := newExecutor("NewSyncer", append([]Option{WithClock(c.now)}, execOpts...))
	if err != nil {
		return nil, err
	}
	s.exec = exec
	return s, nil
}

// requestCounter is the optional interface of a [Target] that counts its
// HTTP requests (druva.Client has it): a cycle reports its share in
// Summary.Requests.
type requestCounter interface{ Requests() int64 }

// checkAttributes refuses a source that says which attributes it delivers
// when the set reads others.
func checkAttributes(src Source, set *mapping.Set) error {
	a, ok := src.(interface{ Attributes() []string })
	if !ok {
		return nil
	}
	reads := set.SourceAttributes()
	has := append(a.Attributes(), attrSoftDeleted, attrObjectID)
	var missing []string
	for _, r := range reads {
		if !slices.ContainsFunc(has, func(h string) bool { return strings.EqualFold(h, r) }) {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("druvascim: NewSyncer: the mapping set reads %s, which the source does not deliver (it delivers %s); build the source with the set's attributes (for entra: entra.WithAttributes with set.SourceAttributes())",
			strings.Join(missing, ", "), strings.Join(a.Attributes(), ", "))
	}
	return nil
}

// Result is the outcome of one cycle: the plan (nil when the cycle failed
// before planning) and the report.
type Result struct {
	Plan   *Plan
	Report *Report
}

// Run runs one cycle. The error is nil when the cycle completed, even if
// some objects failed (see the report); it matches [ErrHeld] when a safety
// rule held the plan's disables and deletes (the rest applied and saved,
// the delta link not advanced, so that the held changes are planned again;
// with [Policy].HoldEverything nothing applied and nothing saved),
// [ErrIncompleteSource] when the
// source could not be read completely, [ErrQuarantined] when the cycle
// stopped early (links and escrows saved, the delta link not advanced).
//
// A cycle reads the source incrementally when a delta link is stored,
// unless [WithFullRead] is set, [Syncer.Restart] asked for a full cycle, or
// the mapping set, its scoping filter or the source's scope setting changed
// since the last cycle: that cycle re-evaluates every object (a full read
// and a full target listing) and says why in Summary.FullReason. Escrowed
// failures due for a retry, and vetoed writes, are read one object at a
// time when the source can (a FetchObject method, see [Source]); with a
// source that cannot, the cycle reads everything.
func (s *Syncer) Run(ctx context.Context) (*Result, error) {
	return s.cycle(ctx, false)
}

// DryRun runs the same cycle as [Syncer.Run] and stops before applying:
// nothing is written to the target or the state store. The report lists
// what would happen (status Skipped, step detail "dry run").
func (s *Syncer) DryRun(ctx context.Context) (*Result, error) {
	return s.cycle(ctx, true)
}

func (s *Syncer) progress(phase Phase, done, total int) {
	if s.cfg.progress != nil {
		s.cfg.progress(Progress{Phase: phase, Done: done, Total: total})
	}
}

func (s *Syncer) logf(msg string, args ...any) {
	if s.cfg.logger != nil {
		s.cfg.logger.Info(msg, args...)
	}
}

// loadState returns the state a cycle starts from: a copy of the one a
// failed save left, else the store's.
func (s *Syncer) loadState(ctx context.Context) (*State, error) {
	s.mu.Lock()
	unsaved := s.unsaved
	s.mu.Unlock()
	if unsaved != nil {
		return unsaved.clone(), nil
	}
	return s.store.Load(ctx)
}

// saveState saves st even when ctx is canceled (links of users already
// created must not be lost); when the store refuses, st is kept for the
// next cycle, unless a newer state was saved meanwhile ([ErrStaleState]):
// the next cycle starts from that one, as st would never be saved. The
// cycle that saves st owns it and drops it after this, so it is kept
// without a copy (loadState hands out copies).
func (s *Syncer) saveState(ctx context.Context, st *State) error {
	err := s.store.Save(context.WithoutCancel(ctx), st)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unsaved = nil
	if err != nil && !errors.Is(err, ErrStaleState) {
		s.unsaved = st
	}
	return err
}

// saveCheckpoint saves a copy of the state taken while a plan is applied
// (see [checkpointer]). The delta link in it is still the one the cycle
// read from, so a process killed after it reads the same changes again.
func (s *Syncer) saveCheckpoint(ctx context.Context, cp *State) error {
	s.noteRate(cp)
	return s.store.Save(ctx, cp)
}

// learnedRater is the optional interface of a [Target] that learns the
// rate its server allows (druva.Client has it); the state keeps the rate
// (State.LearnedRate) for the next cycle's client.
type learnedRater interface{ LearnedRate() float64 }

// noteRate records the target's learned rate in st, when it has one.
func (s *Syncer) noteRate(st *State) {
	if lr, ok := s.dst.(learnedRater); ok {
		if r := lr.LearnedRate(); r > 0 {
			st.LearnedRate = r
		}
	}
}

// cycleRun is the working memory of one cycle.
type cycleRun struct {
	s         *Syncer
	st        *State
	sum       Summary
	dry       bool
	delta     string   // the delta link read from; empty for a full read
	retry     []string // source ids to read one by one besides the delta (due escrows, vetoes)
	next      string   // the delta link to store when the cycle completes
	full      bool
	desired   []Desired
	current   []scim.Resource
	readCalls int64 // target calls made to read the target
	requests0 int64
}

func (s *Syncer) cycle(ctx context.Context, dry bool) (*Result, error) {
	start := s.cfg.now()
	st, err := s.loadState(ctx)
	if err != nil {
		return nil, err
	}
	c := &cycleRun{s: s, st: st, dry: dry, sum: Summary{CycleID: cycleIDAt(start), Started: start, DryRun: dry}}
	c.delta, c.sum.FullReason, c.retry = s.startDelta(st, start)
	c.sum.Escrowed = len(st.Escrows) // a dry run's report; Apply counts afresh
	if fingerprintChange(st.Fingerprint, s.print) != "" {
		// The shrink rule's baseline counted another configuration's
		// scope: a filter made narrower on purpose is no suspicious
		// shrink. The deletion threshold still applies.
		st.SourceInScope = 0
	}
	if s.cfg.requests != nil {
		c.requests0 = s.cfg.requests()
	}
	if err := c.read(ctx); err != nil {
		return nil, err
	}
	t := s.cfg.now()
	plan, perr := s.plan.Plan(PlanInput{Desired: c.desired, Current: c.current, State: st, Full: c.full, Now: start})
	// The plan holds what the writes need. The source objects and the
	// target's users are let go, so that the collector no longer marks
	// them while the writes run: the users never written (out of scope,
	// unchanged) and, on a full cycle, every user the target listed.
	c.desired, c.current = nil, nil
	c.sum.Plan = s.cfg.now().Sub(t)
	if plan == nil {
		return nil, perr
	}
	s.progress(PhasePlan, len(plan.Operations), len(plan.Operations))
	s.logf("druvascim: planned", "create", plan.Counts[ActionCreate], "update", plan.Counts[ActionUpdate],
		"disable", plan.Counts[ActionDisable], "delete", plan.Counts[ActionDelete])
	if (plan.held() && plan.Hold.Everything) || dry {
		rep := planReport(plan, c.sum, s.cfg.now())
		if plan.held() {
			return &Result{Plan: plan, Report: rep}, cmp.Or(perr, plan.Hold.err())
		}
		return &Result{Plan: plan, Report: rep}, nil
	}
	return c.applyAndSave(ctx, plan)
}

// startDelta is the delta link a cycle reads from, and why it reads
// everything when it does: the stored link, unless every cycle reads fully,
// a restart or a configuration change asks for a full cycle, or escrowed
// failures are due or vetoed writes wait (an incremental read would not
// return their objects unchanged) and the source cannot read those objects
// one by one, or they are too many for it to pay (more than one per
// lookupsPerLink links). retry lists the objects to read one by one.
func (s *Syncer) startDelta(st *State, now time.Time) (delta, why string, retry []string) {
	if s.cfg.fullRead {
		return "", "", nil
	}
	if st.FullReason != "" {
		return "", st.FullReason, nil
	}
	if st.DeltaLink == "" {
		return "", "", nil
	}
	if why := fingerprintChange(st.Fingerprint, s.print); why != "" {
		return "", why, nil
	}
	for id, e := range st.Escrows {
		if !e.NextTry.After(now) {
			retry = append(retry, id)
		}
	}
	for id := range st.Vetoed {
		if _, ok := st.Escrows[id]; !ok {
			retry = append(retry, id)
		}
	}
	if len(retry) == 0 {
		return st.DeltaLink, "", nil
	}
	if _, ok := s.src.(objectFetcher); !ok || len(retry)*lookupsPerLink > len(st.Links) {
		// Reading an object alone costs a few requests; a full read costs
		// about one page per few hundred objects: many due objects are
		// cheaper to read with everything else.
		return "", fmt.Sprintf("escrow retry (%d objects due)", len(retry)), nil
	}
	slices.Sort(retry)
	return st.DeltaLink, "", retry
}

// Restart makes the next cycle an initial one, as restarting an Entra
// provisioning job does: it clears the delta link (the watermark), the
// escrows, the vetoes and the quarantine, keeps the links, and saves. The
// next cycle reads everything, with Summary.FullReason "restart". The
// caller holds the store's lock, as for [Syncer.Run].
func (s *Syncer) Restart(ctx context.Context) error {
	st, err := s.loadState(ctx)
	if err != nil {
		return err
	}
	st.DeltaLink, st.Escrows, st.Vetoed, st.Quarantine = "", map[string]Escrow{}, nil, nil
	st.FullReason = "restart"
	return s.saveState(ctx, st)
}

// applyAndSave applies the plan and saves the state. The delta link
// advances only when the cycle completed: after a quarantine or
// cancellation the same changes are read again. The state is saved even
// when canceled: links of users already created must not be lost.
func (c *cycleRun) applyAndSave(ctx context.Context, plan *Plan) (*Result, error) {
	s, st := c.s, c.st
	var ckpt *checkpointer
	if _, inMemory := s.store.(*memoryStore); s.cfg.checkpointOps >= 0 && !inMemory {
		ckpt = newCheckpointer(s.saveCheckpoint, cmp.Or(s.cfg.checkpointOps, checkpointOps), cmp.Or(s.cfg.checkpointEvery, checkpointInterval))
	}
	rep, aerr := s.exec.applySaving(ctx, s.dst, plan, st, c.sum.CycleID, ckpt)
	if rep == nil {
		return &Result{Plan: plan}, aerr
	}
	applied := rep.Summary
	rep.Summary = c.sum
	rep.Summary.Apply = applied.Apply
	rep.Summary.TargetCalls = c.readCalls + applied.TargetCalls
	rep.Summary.Quarantined, rep.Summary.QuarantineReason, rep.Summary.Quarantine = applied.Quarantined, applied.QuarantineReason, applied.Quarantine
	rep.Summary.Canceled, rep.Summary.Escrowed, rep.Summary.EscrowsPruned = applied.Canceled, applied.Escrowed, applied.EscrowsPruned
	rep.Summary.Finished = s.cfg.now()
	if s.cfg.requests != nil {
		rep.Summary.Requests = s.cfg.requests() - c.requests0
	}
	rep.count()
	if errors.Is(aerr, ErrHeld) {
		// The creates and updates ran; the held deprovisions are planned
		// again from the same delta link until approved (from a full read
		// when this one was full: only a full read finds them all).
		rep.Summary.Held = plan.Hold
		if c.full {
			st.DeltaLink = ""
		}
		lc := rep.Summary
		lc.Actions, lc.Statuses = maps.Clone(lc.Actions), maps.Clone(lc.Statuses)
		st.LastCycle = &lc
	} else if aerr == nil {
		st.DeltaLink, st.Fingerprint, st.FullReason = c.next, s.print, ""
		lc := rep.Summary
		lc.Actions, lc.Statuses = maps.Clone(lc.Actions), maps.Clone(lc.Statuses)
		st.LastCycle = &lc
		if c.full {
			st.SourceInScope = plan.InScope
		}
	} else if st.LastCycle != nil {
		st.LastCycle.Quarantined, st.LastCycle.Quarantine = rep.Summary.Quarantined, rep.Summary.Quarantine
	}
	s.noteRate(st)
	if err := s.saveState(ctx, st); err != nil {
		return &Result{Plan: plan, Report: rep}, errors.Join(aerr, err)
	}
	return &Result{Plan: plan, Report: rep}, aerr
}

// planReport turns a plan that is not applied (held, or a dry run) into a
// report: every operation not run; held disables and deletes appear as
// StagedDelete, as in Entra.
func planReport(p *Plan, sum Summary, now time.Time) *Report {
	rep := &Report{Summary: sum, Entries: make([]Entry, len(p.Operations))}
	if p.held() {
		rep.Summary.Held = p.Hold
	}
	rep.Summary.Finished = now
	for i := range p.Operations {
		op := &p.Operations[i]
		e := newEntry(sum.CycleID, i, op)
		if p.heldOp(op) {
			rep.Entries[i] = stagedEntry(p, op, e, now)
			continue
		}
		e.Time = now
		notRun(&e, op, "dry run: not applied")
		rep.Entries[i] = e
	}
	rep.count()
	return rep
}
