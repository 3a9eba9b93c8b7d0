package druvascim

import "fmt"

// The safety rules hold a plan's disables and deletes (with
// Policy.HoldEverything, the whole plan), as Entra's accidental-deletion
// prevention does; held operations are not applied unless approved, the
// plan's creates and updates are:
//   - the source shrank: a full read found fewer in-scope objects than the
//     last full cycle, by more than the allowed fraction (SourceShrank);
//   - too many deprovisions: the plan disables plus deletes more users than
//     the threshold (DeletionThreshold).

// hold applies the safety rules to a counted plan. A held plan comes back
// with its error unless approved in advance.
func (r *planRun) hold(p *Plan) (*Plan, error) {
	st := r.state
	if r.in.Full && r.cfg.maxShrink > 0 && st.SourceInScope > 0 {
		base := st.SourceInScope
		if float64(p.InScope) < float64(base)*(1-r.cfg.maxShrink) {
			p.Hold = &Hold{
				Code:     holdShrank,
				Message:  fmt.Sprintf("the source has %d objects in scope, down from %d at the last full cycle (more than %.0f%% fewer); check the source before approving", p.InScope, base, r.cfg.maxShrink*100),
				Disables: p.Counts[ActionDisable], Deletes: p.Counts[ActionDelete],
				Baseline: base, InScope: p.InScope,
			}
		}
	}
	if p.Hold == nil && r.cfg.threshold > 0 && p.Counts[ActionDisable]+p.Counts[ActionDelete] > r.cfg.threshold {
		p.Hold = &Hold{
			Code:     holdThreshold,
			Message:  fmt.Sprintf("the plan would disable %d and delete %d users, more than the threshold of %d; review the plan and approve it to proceed", p.Counts[ActionDisable], p.Counts[ActionDelete], r.cfg.threshold),
			Disables: p.Counts[ActionDisable], Deletes: p.Counts[ActionDelete], Threshold: r.cfg.threshold,
		}
	}
	if p.Hold == nil {
		return p, nil
	}
	p.Hold.Everything = r.cfg.holdAll
	if r.cfg.approve {
		p.Approved = true
		return p, nil
	}
	return p, p.Hold.err()
}

// count counts the plan's operations.
func (p *Plan) count() {
	p.Counts = map[Action]int{}
	for i := range p.Operations {
		p.Counts[p.Operations[i].Action]++
	}
}
