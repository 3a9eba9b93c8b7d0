package druvascim

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// Operation is one planned change (or a Skip) for one object.
type Operation struct {
	Action Action `json:"action"`
	// SourceID is the source object's id; TargetID the target user's id
	// (empty for a Create until it is applied).
	SourceID    string `json:"sourceId"`
	TargetID    string `json:"targetId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	// Reason says why: the skip reason, or why a user is disabled, deleted
	// or re-enabled.
	Reason Reason `json:"reason,omitempty"`
	// Detail adds a sentence for people (which attribute matched, what is
	// missing).
	Detail string `json:"detail,omitempty"`
	// MatchedBy is "link" for a stored link, the matching attribute's path
	// for a match by value, empty when nothing matched.
	MatchedBy string `json:"matchedBy,omitempty"`
	// Link asks Apply to store SourceID → TargetID once the operation
	// succeeds (a match by value: the user is adopted).
	Link bool `json:"link,omitempty"`
	// DropLink asks Apply to forget the stored link (its target is gone, or
	// the user was deleted).
	DropLink bool `json:"dropLink,omitempty"`
	// Resource is the user to create (Create only).
	Resource scim.Resource `json:"resource,omitempty"`
	// Patch is the minimal PATCH (Update only).
	Patch []scim.PatchOperation `json:"patch,omitempty"`
	// Changes lists the modified properties, old → new, secrets masked.
	Changes []PropertyChange `json:"changes,omitempty"`
	// Keys and Update travel with a Create so that Apply can adopt an
	// existing user when the create meets a conflict (409).
	Keys   []MatchKey   `json:"keys,omitempty"`
	Update []Assignment `json:"update,omitempty"`
	// Redacted lists the paths of Resource whose values came from Redact
	// (Create only): plans, reports and the JSON form mask them.
	Redacted []string `json:"redacted,omitempty"`
}

// MarshalJSON encodes the operation with every value of a redacted mapping
// masked (in Resource, Patch and Update), so that a printed or logged plan
// never shows it. The JSON form is for reading: applying a plan decoded
// from it would send the mask.
func (o Operation) MarshalJSON() ([]byte, error) {
	type plain Operation
	secret := secretPaths(&o)
	if len(secret) == 0 {
		return json.Marshal(plain(o))
	}
	m := plain(o)
	if m.Resource != nil {
		m.Resource = m.Resource.Clone()
		for _, p := range o.Redacted {
			if err := m.Resource.Set(p, redactedValue); err != nil {
				return nil, fmt.Errorf("druvascim: masking %s: %w", p, err)
			}
		}
	}
	if m.Update != nil {
		m.Update = slices.Clone(m.Update)
		for i := range m.Update {
			if m.Update[i].Redacted {
				m.Update[i].Value = redactedValue
			}
		}
	}
	if m.Patch != nil {
		m.Patch = slices.Clone(m.Patch)
		for i := range m.Patch {
			if secret[canonicalPath(m.Patch[i].Path)] {
				m.Patch[i].Value = redactedValue
			}
		}
	}
	return json.Marshal(m)
}

// secretPaths returns the canonical paths of o's redacted values, nil when
// there are none.
func secretPaths(o *Operation) map[string]bool {
	var secret map[string]bool
	add := func(p string) {
		if secret == nil {
			secret = map[string]bool{}
		}
		secret[canonicalPath(p)] = true
	}
	for _, p := range o.Redacted {
		add(p)
	}
	for _, a := range o.Update {
		if a.Redacted {
			add(a.Path)
		}
	}
	for _, c := range o.Changes {
		if c.Redacted {
			add(c.Path)
		}
	}
	return secret
}

// IsWrite reports whether the operation changes the target.
func (o *Operation) IsWrite() bool {
	switch o.Action {
	case ActionCreate, ActionUpdate, ActionDisable, ActionDelete:
		return true
	}
	return false
}

// Hold says why a safety rule held a plan.
type Hold struct {
	// Code is "DeletionThreshold" or "SourceShrank".
	Code string `json:"code"`
	// Message is a sentence for people.
	Message string `json:"message"`
	// Disables and Deletes count what the plan would do; Threshold is the
	// configured limit.
	Disables  int `json:"disables"`
	Deletes   int `json:"deletes"`
	Threshold int `json:"threshold,omitempty"`
	// Baseline and InScope are the in-scope source counts of the last full
	// cycle and this one (shrink rule).
	Baseline int `json:"baseline,omitempty"`
	InScope  int `json:"inScope,omitempty"`
}

// Err returns the error the hold stands for, matching [ErrDeletionThreshold]
// or [ErrSourceShrank] with errors.Is.
func (h *Hold) Err() error {
	if h == nil {
		return nil
	}
	base := ErrDeletionThreshold
	if h.Code == holdShrank {
		base = ErrSourceShrank
	}
	return fmt.Errorf("%w: %s", base, h.Message)
}

const (
	holdThreshold = "DeletionThreshold"
	holdShrank    = "SourceShrank"
)

// PlanCounts counts a plan's operations.
type PlanCounts struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Disable   int `json:"disable"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
	Skip      int `json:"skip"` // skips other than Unchanged
}

// Plan is the planner's output: one operation per source object (plus one per
// linked user missing from a full read), ordered by source id. It is plain
// data: JSON-serialisable, printable with [Plan.Format].
type Plan struct {
	// Full is true when the plan was made from a full source read.
	Full bool `json:"full"`
	// Time is the planning time (the injected clock).
	Time       time.Time   `json:"time"`
	Operations []Operation `json:"operations"`
	Counts     PlanCounts  `json:"counts"`
	// InScope counts the in-scope source objects (baseline of the shrink
	// rule after a full cycle).
	InScope int `json:"inScope"`
	// Hold is set when a safety rule held the plan; Apply refuses a held
	// plan unless Approved.
	Hold     *Hold `json:"hold,omitempty"`
	Approved bool  `json:"approved,omitempty"`
}

// Writes returns the number of operations that change the target.
func (p *Plan) Writes() int {
	return p.Counts.Create + p.Counts.Update + p.Counts.Disable + p.Counts.Delete
}

// Approve approves a held plan so that Apply runs it. It is the explicit
// "Allow deletes" of Entra's accidental-deletion prevention.
func (p *Plan) Approve() {
	if p.Hold != nil {
		p.Approved = true
	}
}

// Held reports whether the plan is held and not approved.
func (p *Plan) Held() bool { return p.Hold != nil && !p.Approved }

// PlanInput is everything the planner looks at.
type PlanInput struct {
	// Desired are the source objects read this cycle, scoped and mapped.
	Desired []Desired
	// Current are the target's users, as listed this cycle.
	Current []scim.Resource
	// State is the previous cycles' state; nil is an empty state. The
	// planner only reads it.
	State *State
	// Full is true when Desired holds every source object (a full read);
	// linked users missing from a full read are disabled. On an incremental
	// read only the objects given are planned.
	Full bool
	// Now is the planning time, compared with escrow retry times.
	Now time.Time
}

// Planner turns desired objects, current target users and state into a
// [Plan]. Implementations must be pure: no I/O, the same plan for the same
// input.
type Planner interface {
	Plan(in PlanInput) (*Plan, error)
}

// Hook inspects each write operation of a plan. It returns the operation,
// possibly rewritten, and false to veto it (it becomes a Skip with
// [ReasonVetoed]). A hook can never turn an operation into a Disable or
// Delete of a user that is not linked.
type Hook func(op Operation) (Operation, bool)

// PlanOption configures [NewPlanner].
type PlanOption func(*planConfig) error

type planConfig struct {
	threshold         int
	maxShrink         float64
	deletes           bool
	noCreate          bool
	noUpdate          bool
	skipOutOfScope    bool
	required          []string
	hook              Hook
	approve           bool
	defaultRequiredOK bool
	workers           int // tests: force the number of workers (0 = automatic)
}

// DefaultDeletionThreshold is the default number of disables plus deletes a
// single cycle may make before the plan is held.
const DefaultDeletionThreshold = 500

// DefaultMaxSourceShrink is the default fraction by which the in-scope
// source may shrink between full cycles before the plan is held.
const DefaultMaxSourceShrink = 0.5

// DefaultRequiredAttributes returns the attributes Druva needs to create a
// user: userName, displayName and an email.
func DefaultRequiredAttributes() []string { return []string{"userName", "displayName", "emails"} }

// WithDeletionThreshold holds a plan that would disable plus delete more than
// n users (default [DefaultDeletionThreshold]; 0 = no limit).
func WithDeletionThreshold(n int) PlanOption {
	return func(c *planConfig) error {
		if n < 0 {
			return fmt.Errorf("druvascim: deletion threshold %d: must be 0 (no limit) or positive", n)
		}
		c.threshold = n
		return nil
	}
}

// WithMaxSourceShrink holds a full-read plan when the number of in-scope
// source objects fell by more than fraction since the last full cycle
// (default [DefaultMaxSourceShrink]; 0 = no limit).
func WithMaxSourceShrink(fraction float64) PlanOption {
	return func(c *planConfig) error {
		if !(fraction >= 0 && fraction < 1) {
			return fmt.Errorf("druvascim: max source shrink %v: must be in [0, 1)", fraction)
		}
		c.maxShrink = fraction
		return nil
	}
}

// WithDeletes lets the planner DELETE linked users that were hard-deleted in
// the source. Without it (the default) they are disabled instead.
func WithDeletes(allowed bool) PlanOption {
	return func(c *planConfig) error { c.deletes = allowed; return nil }
}

// WithoutCreates turns creation off (Entra: the Create target action
// unchecked); objects that would be created are skipped.
func WithoutCreates() PlanOption {
	return func(c *planConfig) error { c.noCreate = true; return nil }
}

// WithoutUpdates turns updates (including re-enabling) off.
func WithoutUpdates() PlanOption {
	return func(c *planConfig) error { c.noUpdate = true; return nil }
}

// WithSkipOutOfScopeDeletions leaves linked users alone when they go out of
// scope or are unassigned (Entra's SkipOutOfScopeDeletions); hard deletes
// still apply when [WithDeletes] allows them.
func WithSkipOutOfScopeDeletions() PlanOption {
	return func(c *planConfig) error { c.skipOutOfScope = true; return nil }
}

// WithRequiredAttributes sets the attributes a user must have to be created
// (default [DefaultRequiredAttributes]); none at all is allowed.
func WithRequiredAttributes(paths ...string) PlanOption {
	return func(c *planConfig) error {
		for _, p := range paths {
			if _, err := compilePath(p); err != nil {
				return fmt.Errorf("druvascim: required attribute: %w", err)
			}
		}
		c.required = slices.Clone(paths)
		c.defaultRequiredOK = true
		return nil
	}
}

// WithHook installs a hook that may veto or rewrite single write operations.
func WithHook(h Hook) PlanOption {
	return func(c *planConfig) error {
		if h == nil {
			return errors.New("druvascim: nil hook")
		}
		c.hook = h
		return nil
	}
}

// WithApproval approves in advance any hold of the plans made (the
// equivalent of [Plan.Approve]); the hold is still recorded in the plan.
func WithApproval() PlanOption {
	return func(c *planConfig) error { c.approve = true; return nil }
}

// DefaultPlanner is the standard [Planner]. Create it with [NewPlanner]; it
// is immutable and safe for concurrent use.
type DefaultPlanner struct {
	cfg planConfig
}

// NewPlanner returns the default planner configured by opts.
func NewPlanner(opts ...PlanOption) (*DefaultPlanner, error) {
	c := planConfig{threshold: DefaultDeletionThreshold, maxShrink: DefaultMaxSourceShrink}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("druvascim: nil plan option")
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if !c.defaultRequiredOK {
		c.required = DefaultRequiredAttributes()
	}
	return &DefaultPlanner{cfg: c}, nil
}

// planRun is the working memory of one Plan call.
type planRun struct {
	cfg     *planConfig
	in      *PlanInput
	state   *State
	paths   map[string]*attrPath
	ids     []string // per current user: its id
	workers int      // goroutines for parallel phases
	owner   []string // per current user: the source id linked to it (built when needed)
	wanted  map[string]map[string]struct{}
	indexes map[string]map[string]int32
	creates map[string]string
	claimed map[int32]string
}

// Link resolution results of the pre-pass, per desired object.
const (
	noLink    int32 = -1 // no stored link
	staleLink int32 = -3 // a stored link whose target user is gone
)

const duplicateMatch int32 = -2

func (r *planRun) path(p string) (*attrPath, error) {
	if ap, ok := r.paths[p]; ok {
		return ap, nil
	}
	ap, err := compilePath(p)
	if err != nil {
		return nil, err
	}
	r.paths[p] = &ap
	return &ap, nil
}

func (p *attrPath) norm(v string) string {
	if p.caseExact {
		return v
	}
	return strings.ToLower(v)
}

// index returns the case-normalised value index of current users for one
// matching path, built on first use. When few values are looked up (the
// steady state: nearly every object is linked), only those values are
// indexed, in one pass over the users; otherwise every user is.
func (r *planRun) index(p string) (map[string]int32, *attrPath, error) {
	ap, err := r.path(p)
	if err != nil {
		return nil, nil, err
	}
	if idx, ok := r.indexes[p]; ok {
		return idx, ap, nil
	}
	w := r.wanted[p]
	full := len(w) > len(r.in.Current)/8
	size := len(w)
	if full {
		size = len(r.in.Current)
	}
	add := func(idx map[string]int32, k string, i int32) {
		if _, dup := idx[k]; dup {
			idx[k] = duplicateMatch
		} else {
			idx[k] = i
		}
	}
	idx := make(map[string]int32, size)
	if full {
		for i, u := range r.in.Current {
			if v, ok := ap.getString(u); ok && v != "" {
				add(idx, ap.norm(v), int32(i))
			}
		}
		r.indexes[p] = idx
		return idx, ap, nil
	}
	// Few values wanted: scan the users in parallel chunks, each keeping
	// only the wanted values, then merge (a value found twice is a
	// duplicate, whichever chunks found it).
	workers := r.workers
	if len(r.in.Current) < 50_000 && r.cfg.workers == 0 {
		workers = 1
	}
	parts := make([]map[string]int32, workers)
	parallel(workers, len(r.in.Current), func(c, lo, hi int) {
		m := map[string]int32{}
		for i := lo; i < hi; i++ {
			v, ok := ap.getString(r.in.Current[i])
			if !ok || v == "" {
				continue
			}
			if k := ap.norm(v); hasKey(w, k) {
				add(m, k, int32(i))
			}
		}
		parts[c] = m
	})
	for _, m := range parts {
		for k, i := range m {
			if _, dup := idx[k]; dup {
				idx[k] = duplicateMatch
			} else {
				idx[k] = i
			}
		}
	}
	r.indexes[p] = idx
	return idx, ap, nil
}

func hasKey(m map[string]struct{}, k string) bool {
	_, ok := m[k]
	return ok
}

// prepass is one chunk's share of the pre-pass.
type prepass struct {
	paths  map[string]*attrPath
	wanted map[string]map[string]struct{}
	err    error
}

func (c *prepass) compile(p string) (*attrPath, error) {
	if ap, ok := c.paths[p]; ok {
		return ap, nil
	}
	ap, err := compilePath(p)
	if err != nil {
		return nil, err
	}
	c.paths[p] = &ap
	return &ap, nil
}

// want records the matching values of an object without a usable link.
func (c *prepass) want(d *Desired) error {
	for _, k := range d.Keys {
		if k.Value == "" {
			continue
		}
		ap, err := c.compile(k.Path)
		if err != nil {
			return fmt.Errorf("druvascim: plan: matching attribute of %s: %w", d.SourceID, err)
		}
		w := c.wanted[k.Path]
		if w == nil {
			w = map[string]struct{}{}
			c.wanted[k.Path] = w
		}
		w[ap.norm(k.Value)] = struct{}{}
	}
	return nil
}

// prepassCheck checks one chunk of source objects (ids present and unique)
// and compiles their update paths.
func (r *planRun) prepassCheck(c *prepass, order []int32, lo, hi int) {
	in := r.in
	c.paths = map[string]*attrPath{}
	c.wanted = map[string]map[string]struct{}{}
	var prev []Assignment
	for n := lo; n < hi; n++ {
		di := order[n]
		d := &in.Desired[di]
		if d.SourceID == "" {
			c.err = fmt.Errorf("druvascim: plan: source object #%d has no id (%s)", di, KeyID)
			return
		}
		if n > 0 && in.Desired[order[n-1]].SourceID == d.SourceID {
			c.err = fmt.Errorf("druvascim: plan: source id %q appears twice", d.SourceID)
			return
		}
		// Mapping sets give every object the same paths: compile each once.
		for j, a := range d.Update {
			if j < len(prev) && prev[j].Path == a.Path {
				continue
			}
			if _, err := c.compile(a.Path); err != nil {
				c.err = fmt.Errorf("druvascim: plan: mapping of %s: %w", d.SourceID, err)
				return
			}
		}
		for _, a := range d.FillEmpty {
			if _, err := c.compile(a.Path); err != nil {
				c.err = fmt.Errorf("druvascim: plan: mapping of %s: %w", d.SourceID, err)
				return
			}
		}
		prev = d.Update
	}
}

// Plan computes the plan. A plan held by a safety rule is returned together
// with an error matching [ErrDeletionThreshold] or [ErrSourceShrank] (unless
// approved in advance with [WithApproval]); any other error means bad input
// and a nil plan.
func (pl *DefaultPlanner) Plan(in PlanInput) (*Plan, error) {
	if len(in.Current) > 1<<31-2 || len(in.Desired) > 1<<31-2 {
		return nil, errors.New("druvascim: plan: too many objects")
	}
	st := in.State
	if st == nil {
		st = NewState()
	}
	r := &planRun{
		cfg: &pl.cfg, in: &in, state: st,
		paths:   map[string]*attrPath{},
		indexes: map[string]map[string]int32{},
		creates: map[string]string{},
		claimed: map[int32]string{},
	}
	for _, p := range r.cfg.required {
		if _, err := r.path(p); err != nil {
			return nil, err
		}
	}

	order := make([]int32, len(in.Desired))
	for i := range order {
		order[i] = int32(i)
	}
	less := func(a, b int32) int { return strings.Compare(in.Desired[a].SourceID, in.Desired[b].SourceID) }
	if !slices.IsSortedFunc(order, less) {
		slices.SortFunc(order, less)
	}
	workers := 1
	if max(len(order), len(in.Current), len(st.Links)) >= 50_000 {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	if r.cfg.workers > 0 {
		workers = r.cfg.workers
	}
	r.workers = workers

	// The target users' ids.
	r.ids = make([]string, len(in.Current))
	r.owner = make([]string, len(in.Current))
	idErrs := make([]error, workers)
	parallel(workers, len(in.Current), func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			id := in.Current[i].ID()
			if id == "" {
				idErrs[w] = fmt.Errorf("druvascim: plan: current target user #%d has no id", i)
				return
			}
			r.ids[i] = id
		}
	})
	for _, err := range idErrs {
		if err != nil {
			return nil, err
		}
	}

	// Check the source objects and compile their paths, in parallel chunks.
	chunks := make([]prepass, workers)
	parallel(workers, len(order), func(w, lo, hi int) { r.prepassCheck(&chunks[w], order, lo, hi) })
	for w := range chunks {
		if chunks[w].err != nil {
			return nil, chunks[w].err // chunks are in order: the first error by source id
		}
	}

	// Resolve the stored links, then collect the matching values of the
	// objects without a usable link.
	j, err := r.joinLinks(workers, order)
	if err != nil {
		return nil, err
	}
	linkIdx := make([]int32, len(in.Desired))
	parallel(workers, len(order), func(w, lo, hi int) {
		c := &chunks[w]
		for n := lo; n < hi; n++ {
			di := order[n]
			switch k := j.linkOf[n]; {
			case k < 0:
				linkIdx[di] = noLink
			case j.at[k] >= 0:
				linkIdx[di] = j.at[k]
				continue
			default:
				linkIdx[di] = staleLink
			}
			if c.err = c.want(&in.Desired[di]); c.err != nil {
				return
			}
		}
	})
	r.wanted = map[string]map[string]struct{}{}
	for w := range chunks {
		c := &chunks[w]
		if c.err != nil {
			return nil, c.err
		}
		for p, ap := range c.paths {
			r.paths[p] = ap
		}
		for p, vals := range c.wanted {
			if r.wanted[p] == nil {
				r.wanted[p] = vals
				continue
			}
			maps.Copy(r.wanted[p], vals)
		}
	}

	// The matching indexes are built while, on a full read, the linked
	// objects the source no longer returned are planned: they are no longer
	// assigned, or gone.
	var wg sync.WaitGroup
	var idxErr error
	if len(r.wanted) > 0 {
		wg.Go(func() {
			for _, p := range slices.Sorted(maps.Keys(r.wanted)) {
				if _, _, err := r.index(p); err != nil {
					idxErr = err
					return
				}
			}
		})
	}
	var absent []Operation
	if in.Full {
		for k, probed := range j.probed {
			if probed {
				continue
			}
			if op, emit := r.planAbsent(j.src[k], j.tgt[k], j.at[k]); emit {
				absent = append(absent, op)
			}
		}
		slices.SortFunc(absent, func(a, b Operation) int { return strings.Compare(a.SourceID, b.SourceID) })
	}
	wg.Wait()
	if idxErr != nil {
		return nil, idxErr
	}

	// Where each operation goes: source objects in id order, merged with the
	// absent ones.
	total := len(order) + len(absent)
	p := &Plan{Full: in.Full, Time: in.Now, Operations: make([]Operation, total)}
	pos := make([]int32, len(order))
	a := 0
	for n, di := range order {
		for a < len(absent) && absent[a].SourceID < in.Desired[di].SourceID {
			p.Operations[n+a] = absent[a]
			a++
		}
		pos[n] = int32(n + a)
	}
	for ; a < len(absent); a++ {
		p.Operations[len(order)+a] = absent[a]
	}

	// Linked objects do not interact: plan them in parallel. Objects matched
	// by value claim target users in id order: plan them after, in order.
	errs := make([]error, workers)
	for w := range workers {
		lo, hi := w*len(order)/workers, (w+1)*len(order)/workers
		wg.Go(func() {
			var pc pathCache
			for n := lo; n < hi; n++ {
				di := order[n]
				if linkIdx[di] < 0 {
					continue
				}
				op, err := r.planOne(&in.Desired[di], linkIdx[di], &pc)
				if err != nil {
					errs[w] = err
					return
				}
				p.Operations[pos[n]] = op
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	var seqCache pathCache
	for n, di := range order {
		d := &in.Desired[di]
		if d.InScope() {
			p.InScope++
		}
		if linkIdx[di] >= 0 {
			continue
		}
		op, err := r.planOne(d, linkIdx[di], &seqCache)
		if err != nil {
			return nil, err
		}
		p.Operations[pos[n]] = op
	}

	for i := range p.Operations {
		op := &p.Operations[i]
		if r.cfg.hook != nil && op.IsWrite() {
			*op = r.applyHook(*op)
		}
		switch op.Action {
		case ActionCreate:
			p.Counts.Create++
		case ActionUpdate:
			p.Counts.Update++
		case ActionDisable:
			p.Counts.Disable++
		case ActionDelete:
			p.Counts.Delete++
		default:
			if op.Reason == ReasonUnchanged {
				p.Counts.Unchanged++
			} else {
				p.Counts.Skip++
			}
		}
	}

	// Safety rules.
	if in.Full && r.cfg.maxShrink > 0 && st.LastCycle != nil && st.LastCycle.SourceInScope > 0 {
		base := st.LastCycle.SourceInScope
		if float64(p.InScope) < float64(base)*(1-r.cfg.maxShrink) {
			p.Hold = &Hold{
				Code:     holdShrank,
				Message:  fmt.Sprintf("the source has %d objects in scope, down from %d at the last full cycle (more than %.0f%% fewer); check the source before approving", p.InScope, base, r.cfg.maxShrink*100),
				Disables: p.Counts.Disable, Deletes: p.Counts.Delete,
				Baseline: base, InScope: p.InScope,
			}
		}
	}
	if p.Hold == nil && r.cfg.threshold > 0 && p.Counts.Disable+p.Counts.Delete > r.cfg.threshold {
		p.Hold = &Hold{
			Code:     holdThreshold,
			Message:  fmt.Sprintf("the plan would disable %d and delete %d users, more than the threshold of %d; review the plan and approve it to proceed", p.Counts.Disable, p.Counts.Delete, r.cfg.threshold),
			Disables: p.Counts.Disable, Deletes: p.Counts.Delete, Threshold: r.cfg.threshold,
		}
	}
	if p.Hold != nil {
		if r.cfg.approve {
			p.Approved = true
			return p, nil
		}
		return p, p.Hold.Err()
	}
	return p, nil
}

func (r *planRun) applyHook(orig Operation) Operation {
	op, keep := r.cfg.hook(orig)
	if !keep {
		return Operation{Action: ActionSkip, SourceID: orig.SourceID, TargetID: orig.TargetID,
			DisplayName: orig.DisplayName, Reason: ReasonVetoed, Detail: fmt.Sprintf("the hook vetoed %s", orig.Action),
			MatchedBy: orig.MatchedBy, DropLink: orig.DropLink}
	}
	op.SourceID = orig.SourceID // the hook may not move an operation to another object
	if op.Action == ActionDisable || op.Action == ActionDelete {
		if op.TargetID == "" || r.state.Links[op.SourceID] != op.TargetID {
			return Operation{Action: ActionSkip, SourceID: orig.SourceID, TargetID: orig.TargetID,
				DisplayName: orig.DisplayName, Reason: ReasonNotManaged,
				Detail: fmt.Sprintf("the hook asked to %s a user that is not linked; refused", strings.ToLower(string(op.Action)))}
		}
	}
	invalid := ""
	switch op.Action {
	case ActionCreate:
		if op.Resource == nil {
			invalid = "a create without a resource"
		}
	case ActionUpdate:
		if op.TargetID == "" || len(op.Patch) == 0 {
			invalid = "an update without a target user or without PATCH operations"
		}
	case ActionSkip:
	default:
		invalid = fmt.Sprintf("the action %q", op.Action)
	}
	if invalid != "" {
		return Operation{Action: ActionSkip, SourceID: orig.SourceID, TargetID: orig.TargetID,
			DisplayName: orig.DisplayName, Reason: ReasonVetoed, MatchedBy: orig.MatchedBy, DropLink: orig.DropLink,
			Detail: "the hook rewrote the operation into " + invalid + "; skipped"}
	}
	return op
}

func displayNameOf(d *Desired) string {
	if d.DisplayName != "" {
		return d.DisplayName
	}
	if d.Resource != nil {
		if s, ok := d.Resource["displayName"].(string); ok && s != "" {
			return s
		}
		if s, ok := d.Resource["userName"].(string); ok {
			return s
		}
	}
	return ""
}

func (r *planRun) escrowed(src string) (bool, string) {
	e, ok := r.state.Escrows[src]
	if !ok || !e.NextTry.After(r.in.Now) {
		return false, ""
	}
	return true, fmt.Sprintf("%s failed %d time(s) (%s); next try after %s", e.Action, e.Attempts, e.Code, e.NextTry.UTC().Format(time.RFC3339))
}

// match finds the target user for an object: the stored link first, then the
// matching attributes in precedence order (first hit wins).
func (r *planRun) match(d *Desired, link int32, op *Operation) (idx int32, found bool, skip bool, err error) {
	switch {
	case link >= 0:
		op.TargetID, op.MatchedBy = r.ids[link], "link"
		return link, true, false, nil
	case link == staleLink:
		op.DropLink = true
		op.Detail = fmt.Sprintf("the linked user %s no longer exists in the target; link dropped. ", r.state.Links[d.SourceID])
	}
	for _, k := range d.Keys {
		if k.Value == "" {
			continue
		}
		ix, ap, err := r.index(k.Path)
		if err != nil {
			return 0, false, false, fmt.Errorf("druvascim: plan: matching attribute of %s: %w", d.SourceID, err)
		}
		i, ok := ix[ap.norm(k.Value)]
		if !ok {
			continue
		}
		if i == duplicateMatch {
			op.Action, op.Reason = ActionSkip, ReasonDuplicateTargetEntries
			op.Detail += fmt.Sprintf("more than one target user has %s = %q", k.Path, k.Value)
			return 0, false, true, nil
		}
		op.TargetID = r.ids[i]
		op.MatchedBy = k.Path
		return i, true, false, nil
	}
	return 0, false, false, nil
}

func (r *planRun) planOne(d *Desired, link int32, pc *pathCache) (Operation, error) {
	op := Operation{SourceID: d.SourceID, DisplayName: displayNameOf(d)}
	if !d.InScope() {
		return r.planOutOfScope(d, link, op)
	}
	if d.MapError != "" {
		op.Action, op.Reason, op.Detail = ActionSkip, ReasonMappingFailed, d.MapError
		if link >= 0 {
			op.TargetID, op.MatchedBy = r.ids[link], "link"
		}
		return op, nil
	}
	if len(d.Keys) == 0 {
		if link == noLink {
			op.Action, op.Reason = ActionSkip, ReasonMissingMatchingValue
			op.Detail = "the object has no value for any matching attribute"
			return op, nil
		}
	}
	idx, found, skip, err := r.match(d, link, &op)
	if err != nil || skip {
		return op, err
	}
	if found {
		if owner := r.ownerOf(idx); owner != "" && owner != d.SourceID {
			op.Action, op.Reason = ActionSkip, ReasonDuplicateSourceEntries
			op.Detail += fmt.Sprintf("target user %s (matched by %s) is already linked to source object %s", op.TargetID, op.MatchedBy, owner)
			return op, nil
		}
		if other, ok := r.claimed[idx]; ok {
			op.Action, op.Reason = ActionSkip, ReasonDuplicateSourceEntries
			op.Detail += fmt.Sprintf("target user %s (matched by %s) is also matched by source object %s", op.TargetID, op.MatchedBy, other)
			return op, nil
		}
		if op.MatchedBy != "link" {
			r.claimed[idx] = d.SourceID
			op.Link = true
		}
		return r.planUpdate(d, op, r.in.Current[idx], pc)
	}
	if len(d.Keys) == 0 {
		op.Action, op.Reason = ActionSkip, ReasonMissingMatchingValue
		op.Detail += "the object has no value for any matching attribute"
		return op, nil
	}
	return r.planCreate(d, op)
}

func (r *planRun) planCreate(d *Desired, op Operation) (Operation, error) {
	if d.Resource == nil {
		op.Action, op.Reason = ActionSkip, ReasonMandatoryFieldsMissing
		op.Detail += "no create form was mapped for the object"
		return op, nil
	}
	missing := slices.Clone(d.Missing)
	for _, p := range r.cfg.required {
		ap, err := r.path(p)
		if err != nil {
			return op, err
		}
		if v, ok := ap.get(d.Resource); (!ok || !hasValue(v)) && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		op.Action, op.Reason = ActionSkip, ReasonMandatoryFieldsMissing
		op.Detail += "required attribute(s) without a value: " + strings.Join(missing, ", ")
		return op, nil
	}
	for _, k := range d.Keys {
		ap, err := r.path(k.Path)
		if err != nil {
			return op, err
		}
		ck := k.Path + "\x00" + ap.norm(k.Value)
		if other, ok := r.creates[ck]; ok {
			op.Action, op.Reason = ActionSkip, ReasonDuplicateSourceEntries
			op.Detail += fmt.Sprintf("source object %s would create a user with the same %s = %q", other, k.Path, k.Value)
			return op, nil
		}
	}
	if r.cfg.noCreate {
		op.Action, op.Reason = ActionSkip, ReasonActionNotAllowed
		op.Detail += "creating users is turned off"
		return op, nil
	}
	if esc, why := r.escrowed(d.SourceID); esc {
		op.Action, op.Reason = ActionSkip, ReasonEscrowed
		op.Detail += why
		return op, nil
	}
	for _, k := range d.Keys {
		ap, _ := r.path(k.Path)
		r.creates[k.Path+"\x00"+ap.norm(k.Value)] = d.SourceID
	}
	op.Action = ActionCreate
	op.Resource = d.Resource
	op.Keys = d.Keys
	op.Update = d.Update
	op.Redacted = d.Redacted
	for _, k := range d.Keys {
		op.Detail += fmt.Sprintf("no target user has %s = %q. ", k.Path, k.Value)
	}
	op.Detail = strings.TrimSpace(op.Detail)
	return op, nil
}

func hasValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if val, ok := scim.Resource(m).Get("value"); ok {
					if hasValue(val) {
						return true
					}
					continue
				}
			}
			if hasValue(e) {
				return true
			}
		}
		return false
	case map[string]any:
		return len(x) > 0
	}
	return true
}

func (r *planRun) planUpdate(d *Desired, op Operation, cur scim.Resource, pc *pathCache) (Operation, error) {
	update := d.Update
	if len(d.FillEmpty) > 0 {
		update = mapping.Mapped{Update: d.Update, FillEmpty: d.FillEmpty}.Updates(cur)
	}
	patch, changes := diffUpdateCached(r.paths, pc, update, cur)
	if len(patch) == 0 {
		op.Action, op.Reason = ActionSkip, ReasonUnchanged
		return op, nil
	}
	if r.cfg.noUpdate {
		op.Action, op.Reason = ActionSkip, ReasonActionNotAllowed
		op.Detail += "updating users is turned off"
		op.Changes = changes
		return op, nil
	}
	if esc, why := r.escrowed(d.SourceID); esc {
		op.Action, op.Reason = ActionSkip, ReasonEscrowed
		op.Detail += why
		op.Link = false
		return op, nil
	}
	if active, present := cur.Active(); present && !active {
		op.Reason = ReasonReenable
	}
	op.Action, op.Patch, op.Changes = ActionUpdate, patch, changes
	op.Detail = strings.TrimSpace(op.Detail)
	return op, nil
}

func (r *planRun) ownerOf(i int32) string { return r.owner[i] }

func (r *planRun) planOutOfScope(d *Desired, link int32, op Operation) (Operation, error) {
	why := ReasonUnassigned
	switch {
	case d.HardDeleted:
		why = ReasonHardDeleted
	case d.OutOfScope && !d.SoftDeleted:
		why = ReasonScopingFilter
	}
	scope := d.ScopeReason
	if scope == "" {
		scope = strings.ToLower(string(why))
	}
	switch {
	case link >= 0:
		op.TargetID, op.MatchedBy = r.ids[link], "link"
		if op.DisplayName == "" {
			op.DisplayName = currentName(r.in.Current[link])
		}
		return r.planDeprovision(op, why, scope, r.in.Current[link])
	case link == staleLink:
		op.DropLink = true
		op.Detail = fmt.Sprintf("the linked user %s no longer exists in the target; link dropped. ", r.state.Links[d.SourceID])
	}
	// Not ours: never disable or delete a user we did not create or match.
	for _, k := range d.Keys {
		ix, ap, err := r.index(k.Path)
		if err != nil {
			return op, fmt.Errorf("druvascim: plan: matching attribute of %s: %w", d.SourceID, err)
		}
		if i, ok := ix[ap.norm(k.Value)]; ok && i != duplicateMatch {
			op.Action, op.Reason = ActionSkip, ReasonNotManaged
			op.TargetID = r.ids[i]
			op.Detail += fmt.Sprintf("source says %s, but target user matched by %s was never linked; left alone", scope, k.Path)
			return op, nil
		}
	}
	op.Action, op.Reason = ActionSkip, ReasonOutOfScope
	op.Detail += "not provisioned: " + scope
	return op, nil
}

func currentName(u scim.Resource) string {
	if s := u.DisplayName(); s != "" {
		return s
	}
	return u.UserName()
}

func (r *planRun) planDeprovision(op Operation, why Reason, scope string, cur scim.Resource) (Operation, error) {
	op.Reason = why
	if why == ReasonHardDeleted && r.cfg.deletes {
		if esc, d := r.escrowed(op.SourceID); esc {
			op.Action, op.Reason, op.Detail = ActionSkip, ReasonEscrowed, d
			return op, nil
		}
		op.Action, op.DropLink = ActionDelete, true
		op.Detail = "permanently deleted in the source"
		return op, nil
	}
	if r.cfg.skipOutOfScope && why != ReasonHardDeleted {
		op.Action, op.Reason = ActionSkip, ReasonActionNotAllowed
		op.Detail = scope + "; out-of-scope deprovisioning is turned off"
		return op, nil
	}
	if active, present := cur.Active(); present && !active {
		op.Action, op.Reason = ActionSkip, ReasonUnchanged
		op.Detail = scope + "; already disabled"
		return op, nil
	}
	if esc, d := r.escrowed(op.SourceID); esc {
		op.Action, op.Reason, op.Detail = ActionSkip, ReasonEscrowed, d
		return op, nil
	}
	op.Action = ActionDisable
	op.Detail = scope
	if why == ReasonHardDeleted {
		op.Detail += " (deletes are turned off: disabled instead)"
	}
	op.Changes = []PropertyChange{{Path: "active", Old: "true", New: "false"}}
	return op, nil
}

// planAbsent plans a linked object that a full read did not return.
func (r *planRun) planAbsent(src, tgt string, i int32) (Operation, bool) {
	op := Operation{SourceID: src, TargetID: tgt, MatchedBy: "link"}
	if i < 0 {
		op.Action, op.Reason, op.DropLink = ActionSkip, ReasonOutOfScope, true
		op.Detail = "not in the source and the linked user no longer exists; link dropped"
		return op, true
	}
	cur := r.in.Current[i]
	if active, present := cur.Active(); present && !active {
		return op, false // already disabled: nothing to say every cycle
	}
	op.DisplayName = currentName(cur)
	op, _ = r.planDeprovision(op, ReasonUnassigned, "not returned by a full read of the source (unassigned)", cur)
	return op, true
}

// Format writes the plan for people, in the manner of `terraform plan`:
// one line per change with its properties, skips with their reasons, and a
// closing count. Unchanged objects are only counted.
func (p *Plan) Format() string {
	var b strings.Builder
	kind := "incremental"
	if p.Full {
		kind = "full"
	}
	fmt.Fprintf(&b, "druvascim plan (%s read, %s)\n\n", kind, p.Time.UTC().Format(time.RFC3339))
	for _, op := range p.Operations {
		var sym string
		switch op.Action {
		case ActionCreate:
			sym = "+ create "
		case ActionUpdate:
			sym = "~ update "
		case ActionDisable:
			sym = "- disable"
		case ActionDelete:
			sym = "x delete "
		default:
			if op.Reason == ReasonUnchanged && !op.Link && !op.DropLink {
				continue
			}
			sym = "  skip   "
		}
		name := op.DisplayName
		if name == "" {
			name = op.SourceID
		}
		fmt.Fprintf(&b, "  %s %q (source %s", sym, name, op.SourceID)
		if op.TargetID != "" {
			fmt.Fprintf(&b, ", target %s", op.TargetID)
		}
		b.WriteString(")")
		if op.Reason != "" {
			fmt.Fprintf(&b, " [%s]", op.Reason)
		}
		b.WriteByte('\n')
		if op.Action == ActionCreate {
			for _, c := range createChanges(&op) {
				fmt.Fprintf(&b, "        %s = %s\n", c.Path, c.New)
			}
		}
		for _, c := range op.Changes {
			fmt.Fprintf(&b, "        %s: %s → %s\n", c.Path, c.Old, c.New)
		}
		if op.Link && op.Action != ActionCreate {
			fmt.Fprintf(&b, "        link to existing user (matched by %s)\n", op.MatchedBy)
		}
		if op.Detail != "" && op.Action != ActionCreate {
			fmt.Fprintf(&b, "        # %s\n", op.Detail)
		}
	}
	c := p.Counts
	fmt.Fprintf(&b, "\nPlan: %d to create, %d to update, %d to disable, %d to delete; %d unchanged, %d skipped.\n",
		c.Create, c.Update, c.Disable, c.Delete, c.Unchanged, c.Skip)
	if p.Hold != nil {
		state := "HELD"
		if p.Approved {
			state = "APPROVED despite hold"
		}
		fmt.Fprintf(&b, "%s (%s): %s\n", state, p.Hold.Code, p.Hold.Message)
	}
	return b.String()
}

// phaseOf orders Apply: creates and updates run before disables and
// deletes.
func phaseOf(a Action) int {
	switch a {
	case ActionCreate, ActionUpdate:
		return 0
	case ActionDisable, ActionDelete:
		return 1
	}
	return 2
}
