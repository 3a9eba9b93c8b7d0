package druvascim

import (
	"encoding/json"
	"fmt"
	"slices"
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
	Keys   []mapping.MatchKey   `json:"keys,omitempty"`
	Update []mapping.Assignment `json:"update,omitempty"`
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
			if secret[scim.CanonicalPath(m.Patch[i].Path)] {
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
		secret[scim.CanonicalPath(p)] = true
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

// isWrite reports whether the operation changes the target.
func (o *Operation) isWrite() bool {
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
	// Everything is set when the policy holds the whole plan
	// ([Policy].HoldEverything): nothing is applied until approved.
	// Otherwise only the disables and deletes are held (reported as
	// StagedDelete) and the creates and updates are applied.
	Everything bool `json:"everything,omitempty"`
}

// err returns the error the hold stands for, matching [ErrHeld] with
// errors.Is.
func (h *Hold) err() error {
	if h == nil {
		return nil
	}
	return fmt.Errorf("%w (%s): %s", ErrHeld, h.Code, h.Message)
}

// heldOp reports whether the operation at hand waits for approval: a
// disable or delete of a held plan, or any write when the whole plan is
// held.
func (p *Plan) heldOp(op *Operation) bool {
	if !p.held() || !op.isWrite() {
		return false
	}
	return p.Hold.Everything || phaseOf(op.Action) == 1
}

const (
	holdThreshold = "DeletionThreshold"
	holdShrank    = "SourceShrank"
)

// Plan is the planner's output: one operation per source object (plus one per
// linked user missing from a full read), ordered by source id. It is plain
// data: JSON-serialisable, printable with [Plan.Format].
type Plan struct {
	// Full is true when the plan was made from a full source read.
	Full bool `json:"full"`
	// Time is the planning time (the injected clock).
	Time       time.Time   `json:"time"`
	Operations []Operation `json:"operations"`
	// Counts counts the operations per action, as Summary.Actions counts
	// a report's entries; the skips with [ReasonUnchanged] (the target
	// already holds the desired values) are among the ActionSkip ones.
	Counts map[Action]int `json:"counts"`
	// InScope counts the in-scope source objects (baseline of the shrink
	// rule after a full cycle).
	InScope int `json:"inScope"`
	// Hold is set when a safety rule held the plan; unless Approved, Apply
	// leaves its disables and deletes (with Hold.Everything, every write)
	// unapplied and returns [ErrHeld].
	Hold *Hold `json:"hold,omitempty"`
	// Approved approves a held plan so that Apply runs it: set it after
	// reviewing the plan. It is the explicit "Allow deletes" of Entra's
	// accidental-deletion prevention.
	Approved bool `json:"approved,omitempty"`
}

// writes returns the number of operations that change the target.
func (p *Plan) writes() int {
	return p.Counts[ActionCreate] + p.Counts[ActionUpdate] + p.Counts[ActionDisable] + p.Counts[ActionDelete]
}

// held reports whether the plan is held and not approved.
func (p *Plan) held() bool { return p.Hold != nil && !p.Approved }

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
// input. [NewPlanner] returns the standard one; a planner of your own can
// wrap it (see the example) and is given to a [Syncer] with [WithPlanner].
type Planner interface {
	Plan(in PlanInput) (*Plan, error)
}

type planConfig struct {
	threshold      int
	maxShrink      float64
	deletes        bool
	noCreate       bool
	noUpdate       bool
	noDelete       bool
	skipOutOfScope bool
	hook           func(Operation) (Operation, bool)
	policy         func(*Plan) error
	approve        bool
	holdAll        bool
	workers        int // tests: force the number of workers (0 = automatic)
}

// defaultMaxSourceShrink is the default of [Policy].MaxSourceShrink.
const defaultMaxSourceShrink = 0.5

// defaultPlanner is the standard [Planner].
type defaultPlanner struct {
	cfg planConfig
}

// NewPlanner returns the standard [Planner] configured by opts. It is
// immutable and safe for concurrent use. Its Plan returns a plan held by a
// safety rule together with an error matching [ErrHeld] (unless approved
// in advance with [Policy].ApproveHolds); any
// other error means bad input and a nil plan.
func NewPlanner(opts ...Option) (Planner, error) {
	c := planConfig{threshold: defaultDeletionThreshold, maxShrink: defaultMaxSourceShrink}
	if err := configure("NewPlanner", opts, func(o Option) func(*planConfig) error { return o.plan }, &c); err != nil {
		return nil, err
	}
	return &defaultPlanner{cfg: c}, nil
}

// Plan computes the plan: it runs the rules, which live one per file
// (plan_match.go, plan_create.go, plan_update.go, plan_deprovision.go,
// plan_hooks.go and plan_holds.go), in this order.
func (pl *defaultPlanner) Plan(in PlanInput) (*Plan, error) {
	r, err := newRun(&pl.cfg, &in)
	if err != nil {
		return nil, err
	}
	if err := r.checkObjects(); err != nil {
		return nil, err
	}
	if err := r.resolveLinks(); err != nil {
		return nil, err
	}
	orphans, err := r.orphansAndIndexes()
	if err != nil {
		return nil, err
	}
	p, pos := r.layout(orphans)
	if err := r.planObjects(p, pos); err != nil {
		return nil, err
	}
	r.applyHook(p)
	if err := r.applyPolicy(p); err != nil {
		return nil, err
	}
	p.count()
	return r.hold(p)
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
