package druvascim

import (
	"fmt"
	"slices"
	"strings"
)

// The hook rules: a hook (WithHook) sees each write operation and may
// rewrite or veto it; a plan policy (WithPlanPolicy) sees the whole plan and
// may veto operations with [Plan.Veto], or refuse the plan. Neither may make
// an operation that cannot run, nor disable or delete a user that is not
// linked to the operation's object: such an operation becomes a Skip.

// applyHook runs the hook on every write operation.
func (r *planRun) applyHook(p *Plan) {
	if r.cfg.hook == nil {
		return
	}
	for i := range p.Operations {
		if op := &p.Operations[i]; op.isWrite() {
			*op = r.hookOne(*op)
		}
	}
}

func (r *planRun) hookOne(orig Operation) Operation {
	op, keep := r.cfg.hook(orig)
	if !keep {
		return vetoed(orig, fmt.Sprintf("the hook vetoed %s", orig.Action))
	}
	op.SourceID = orig.SourceID // the hook may not move an operation to another object
	if reason, why := r.checkWrite(&op); why != "" {
		skip := vetoed(orig, "the hook rewrote the operation into "+why+"; skipped")
		if reason == ReasonNotManaged {
			skip.Reason, skip.MatchedBy, skip.DropLink = reason, "", false
			skip.Detail = "the hook asked to " + why + "; refused"
		}
		return skip
	}
	return op
}

// applyPolicy runs the plan policy, then checks what it left: the same
// operations for the same objects, and only writes that can run. The counts
// are made again afterwards.
func (r *planRun) applyPolicy(p *Plan) error {
	if r.cfg.policy == nil {
		return nil
	}
	n, inScope := len(p.Operations), p.InScope
	if err := r.cfg.policy(p); err != nil {
		return fmt.Errorf("druvascim: plan policy: %w", err)
	}
	bySource := func(a, b Operation) int { return strings.Compare(a.SourceID, b.SourceID) }
	if len(p.Operations) != n || !slices.IsSortedFunc(p.Operations, bySource) {
		return fmt.Errorf("druvascim: plan policy: it added, removed or reordered operations (%d before, %d after); veto operations with Plan.Veto instead", n, len(p.Operations))
	}
	p.Full, p.Time, p.InScope, p.Hold, p.Approved = r.in.Full, r.in.Now, inScope, nil, false
	for i := range p.Operations {
		op := &p.Operations[i]
		if !op.isWrite() {
			continue
		}
		if reason, why := r.checkWrite(op); why != "" {
			*op = vetoed(*op, "the plan policy made "+why+"; skipped")
			if reason == ReasonNotManaged {
				op.Reason = reason
			}
		}
	}
	return nil
}

// checkWrite says why a write operation cannot run ("" when it can), and
// whether that is because its user is not linked to its object.
func (r *planRun) checkWrite(op *Operation) (Reason, string) {
	switch op.Action {
	case ActionCreate:
		if op.Resource == nil {
			return ReasonVetoed, "a create without a resource"
		}
	case ActionUpdate:
		if op.TargetID == "" || len(op.Patch) == 0 {
			return ReasonVetoed, "an update without a target user or without PATCH operations"
		}
	case ActionDisable, ActionDelete:
		if op.TargetID == "" || r.state.Links[op.SourceID] != op.TargetID {
			return ReasonNotManaged, strings.ToLower(string(op.Action)) + " a user that is not linked"
		}
	case ActionSkip:
	default:
		return ReasonVetoed, fmt.Sprintf("the action %q", op.Action)
	}
	return "", ""
}

// vetoed returns the Skip that replaces a vetoed operation: the same object
// and user, nothing to write.
func vetoed(op Operation, detail string) Operation {
	return Operation{Action: ActionSkip, SourceID: op.SourceID, TargetID: op.TargetID, DisplayName: op.DisplayName,
		Reason: ReasonVetoed, Detail: detail, MatchedBy: op.MatchedBy, DropLink: op.DropLink}
}

// Veto replaces operation i with a Skip whose reason is [ReasonVetoed] and
// whose detail is why, and updates the counts. A plan policy or a custom
// [Planner] uses it to hold back operations; the vetoed objects are planned
// again in later cycles.
func (p *Plan) Veto(i int, why string) {
	op := &p.Operations[i]
	if p.Counts == nil {
		p.Counts = map[Action]int{}
	}
	p.Counts[op.Action]--
	if p.Counts[op.Action] == 0 {
		delete(p.Counts, op.Action)
	}
	*op = vetoed(*op, why)
	p.Counts[op.Action]++
}
