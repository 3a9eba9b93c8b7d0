package druvascim

import (
	"cmp"
	"fmt"
	"time"

	"github.com/druvascim/druvascim/internal/join"
	"github.com/druvascim/druvascim/scim"
)

// The deprovision rule: only a linked user (one this sync created or
// matched) is ever disabled or deleted.
//   - A linked object that left the scope (unassigned, soft-deleted,
//     filtered out) is disabled; one hard-deleted in the source is deleted
//     when deletes are allowed, else disabled.
//   - Out-of-scope deprovisioning can be turned off (SkipOutOfScopeDeletions);
//     hard deletes still apply.
//   - A user already disabled is left alone (Unchanged).
//   - A linked object a full read no longer returns is disabled as
//     NotAssigned.
//   - The reason is precise, as in Entra's provisioning logs: the source's
//     (NotAssigned, DefaultAccessOnly, AccountDisabled, SoftDeleted,
//     HardDeleted) or ScopingFilter, for a disable and for the skip of an
//     object never provisioned alike.
//   - An out-of-scope object whose matching value a target user holds, but
//     which was never linked, is left alone (NotManaged).

func (r *planRun) planOutOfScope(d *Desired, l link, op Operation) (Operation, error) {
	why := scopeReasonOf(d)
	scope := scopeText(why)
	switch l.status {
	case join.Linked:
		cur := r.in.Current[l.target]
		op.TargetID, op.MatchedBy = r.ids[l.target], "link"
		if op.DisplayName == "" {
			op.DisplayName = currentName(cur)
		}
		return r.planDeprovision(op, why, scope, cur), nil
	case join.Stale:
		op.DropLink = true
		op.Detail = fmt.Sprintf("the linked user %s no longer exists in the target; link dropped. ", r.state.Links[d.SourceID])
	}
	for _, k := range d.Keys {
		i, hits, err := r.lookup(d, k)
		if err != nil {
			return op, err
		}
		if hits == 1 {
			op.Action, op.Reason = ActionSkip, ReasonNotManaged
			op.TargetID = r.ids[i]
			op.Detail += fmt.Sprintf("source says %s, but target user matched by %s was never linked; left alone", scope, k.Path)
			return op, nil
		}
	}
	op.Action, op.Reason = ActionSkip, why
	op.Detail += "not provisioned: " + scope
	return op, nil
}

// scopeReasonOf is the precise reason an object is out of scope, as Entra's
// provisioning logs give it: the source's reason (not assigned, Default
// Access only, account disabled, soft- or hard-deleted) when the source
// says so, else ScopingFilter.
func scopeReasonOf(d *Desired) Reason {
	switch {
	case d.HardDeleted:
		return ReasonHardDeleted
	case d.SoftDeleted:
		return cmp.Or(d.ScopeReason, ReasonNotAssigned)
	}
	return ReasonScopingFilter
}

// isScopeReason reports whether r says why an object is out of scope.
func isScopeReason(r Reason) bool {
	switch r {
	case ReasonNotAssigned, ReasonDefaultAccessOnly, ReasonAccountDisabled, ReasonSoftDeleted, ReasonHardDeleted, ReasonScopingFilter:
		return true
	}
	return false
}

func currentName(u scim.Resource) string {
	if s := u.DisplayName(); s != "" {
		return s
	}
	return u.UserName()
}

// planDeprovision plans a linked user whose object left the scope.
func (r *planRun) planDeprovision(op Operation, why Reason, scope string, cur scim.Resource) Operation {
	op.Reason = why
	if r.cfg.noDelete && why != ReasonAccountDisabled {
		op.Action, op.Reason = ActionSkip, ReasonActionNotAllowed
		op.Detail = scope + "; the Delete target object action is turned off"
		return op
	}
	if why == ReasonHardDeleted && r.cfg.deletes {
		if esc, d := r.escrowed(op.SourceID); esc {
			op.Action, op.Reason, op.Detail = ActionSkip, ReasonEscrowed, d
			return op
		}
		op.Action, op.DropLink = ActionDelete, true
		op.Detail = "permanently deleted in the source"
		return op
	}
	if r.cfg.skipOutOfScope && why != ReasonHardDeleted {
		op.Action, op.Reason = ActionSkip, ReasonActionNotAllowed
		op.Detail = scope + "; out-of-scope deprovisioning is turned off"
		return op
	}
	if active, present := cur.Active(); present && !active {
		op.Action, op.Reason = ActionSkip, ReasonUnchanged
		op.Detail = scope + "; already disabled"
		return op
	}
	if esc, d := r.escrowed(op.SourceID); esc {
		op.Action, op.Reason, op.Detail = ActionSkip, ReasonEscrowed, d
		return op
	}
	op.Action = ActionDisable
	op.Detail = scope
	if why == ReasonHardDeleted {
		op.Detail += " (deletes are turned off: disabled instead)"
	}
	op.Changes = []PropertyChange{{Path: "active", Old: true, New: false}}
	return op
}

// planAbsent plans a linked object that a full read did not return; false
// when there is nothing to say (its user is already disabled).
func (r *planRun) planAbsent(o join.Orphan) (Operation, bool) {
	op := Operation{SourceID: o.SourceID, TargetID: o.TargetID, MatchedBy: "link"}
	if o.Gone {
		op.Action, op.Reason, op.DropLink = ActionSkip, ReasonNotAssigned, true
		op.Detail = "not in the source and the linked user no longer exists; link dropped"
		return op, true
	}
	cur := r.in.Current[o.Target]
	if active, present := cur.Active(); present && !active {
		return op, false // already disabled: nothing to say every cycle
	}
	op.DisplayName = currentName(cur)
	return r.planDeprovision(op, ReasonNotAssigned, "not returned by a full read of the source (not assigned)", cur), true
}

// escrowed reports whether an earlier failure of the object waits for its
// retry time, and says so for people.
func (r *planRun) escrowed(src string) (bool, string) {
	e, ok := r.state.Escrows[src]
	if !ok || !e.NextTry.After(r.in.Now) {
		return false, ""
	}
	return true, fmt.Sprintf("%s failed %d time(s) (%s); next try after %s", e.Action, e.Attempts, e.Code, e.NextTry.UTC().Format(time.RFC3339))
}
