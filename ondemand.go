package druvascim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
)

// The names of a [Step], as in Entra's provisioning log.
const (
	stepImport = "Import"
	stepScope  = "Scope"
	stepMatch  = "Match"
	stepAction = "Action"
)

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
// principal name; through the source's FetchObject method when it has one
// (see [Source]), else from a full read), evaluates scope, matches it against the target by its link
// or its matching attributes (no full listing), plans and applies the
// single operation, and saves links and escrows. Each step is reported,
// also when it stops the run. With dryRun the action is planned only. An
// object the source does not have is an error matching [ErrNotFound].
func (s *Syncer) ProvisionOnDemand(ctx context.Context, idOrUPN string, dryRun bool) (*OnDemandResult, error) {
	res := &OnDemandResult{SourceID: idOrUPN}
	fail := func(step string, err error) (*OnDemandResult, error) {
		res.Steps = append(res.Steps, Step{Name: step, Status: StatusFailure, Detail: err.Error()})
		return res, err
	}
	if strings.TrimSpace(idOrUPN) == "" {
		return fail(stepImport, errors.New("druvascim: provision on demand: empty id"))
	}
	st, err := s.loadState(ctx)
	if err != nil {
		return fail(stepImport, err)
	}
	ds, err := s.importOne(ctx, idOrUPN)
	if err != nil {
		return fail(stepImport, err)
	}
	d := &ds[0]
	res.SourceID, res.DisplayName = d.SourceID, d.DisplayName
	res.Steps = append(res.Steps, Step{Name: stepImport, Status: StatusSuccess, Detail: "read source object " + d.SourceID}, scopeStep(d))

	// Match without listing every user: the linked user, then each key.
	current, notes, _, err := s.lookup(ctx, st, d, map[string]bool{})
	if err != nil {
		return fail(stepMatch, fmt.Errorf("druvascim: provision on demand: %w", err))
	}
	plan, perr := s.plan.Plan(PlanInput{Desired: ds, Current: current, State: st, Now: s.cfg.now()})
	if plan == nil {
		return fail(stepMatch, perr)
	}
	op := plan.Operations[0]
	res.Operation = &op
	res.Steps = append(res.Steps, matchStep(&op, notes))
	if dryRun || plan.held() {
		detail := fmt.Sprintf("would %s (dry run)", strings.ToLower(string(op.Action)))
		if plan.held() {
			detail = "held: " + plan.Hold.Message
		}
		res.Steps = append(res.Steps, Step{Name: stepAction, Status: StatusSkipped, Detail: detail})
		if plan.held() {
			return res, perr
		}
		return res, nil
	}
	// One object is not a cycle: its outcome neither starts nor ends the
	// job's quarantine.
	q := st.Quarantine
	rep, aerr := s.exec.apply(ctx, s.dst, plan, st, "")
	st.Quarantine = q
	if rep != nil && len(rep.Entries) == 1 {
		e := rep.Entries[0]
		res.Entry = &e
		res.Steps = append(res.Steps, actionStep(&op, &e))
	}
	if err := s.saveState(ctx, st); err != nil {
		return res, errors.Join(aerr, err)
	}
	return res, aerr
}

// importOne reads one object and maps it.
func (s *Syncer) importOne(ctx context.Context, idOrUPN string) ([]Desired, error) {
	obj, err := s.fetchOne(ctx, idOrUPN)
	if err != nil {
		return nil, err
	}
	return Prepare(ctx, s.set, []Object{obj}, s.cfg.evalOpts...)
}

// fetchOne reads one object: through a FetchObject method (see [Source]) when the source has it,
// else from a full read, by object id or user principal name.
func (s *Syncer) fetchOne(ctx context.Context, idOrUPN string) (Object, error) {
	if f, ok := s.src.(objectFetcher); ok {
		return f.FetchObject(ctx, idOrUPN)
	}
	b, err := s.src.Fetch(ctx, "")
	if err != nil {
		return Object{}, fmt.Errorf("%w: %w", ErrIncompleteSource, err)
	}
	if !b.Full {
		return Object{}, fmt.Errorf("%w: a full read was asked for but the source returned a partial one", ErrIncompleteSource)
	}
	for _, o := range b.Objects {
		if o.ID == idOrUPN {
			return o, nil
		}
	}
	for _, o := range b.Objects {
		if upn, _ := o.Attributes["userPrincipalName"].(string); upn != "" && strings.EqualFold(upn, idOrUPN) {
			return o, nil
		}
	}
	return Object{}, fmt.Errorf("%w: %q is neither the id nor the userPrincipalName of a source object", ErrNotFound, idOrUPN)
}

// scopeStep says whether the object is in scope.
func scopeStep(d *Desired) Step {
	switch {
	case d.HardDeleted:
		return Step{Name: stepScope, Status: StatusSkipped, Detail: "out of scope: deleted in the source"}
	case d.SoftDeleted:
		return Step{Name: stepScope, Status: StatusSkipped, Detail: "out of scope: " + cmp.Or(scopeText(d.ScopeReason), "soft-deleted")}
	case d.OutOfScope:
		return Step{Name: stepScope, Status: StatusSkipped, Detail: "out of scope: the scoping filter rejects the object"}
	}
	return Step{Name: stepScope, Status: StatusSuccess, Detail: "in scope: assigned, active and passing the scoping filter"}
}

// matchStep says which target user the operation matched, and how.
func matchStep(op *Operation, notes []string) Step {
	detail := "no matching user"
	switch {
	case op.MatchedBy == "link":
		detail = "linked user " + op.TargetID
	case op.MatchedBy != "":
		detail = "matched user " + op.TargetID + " by " + op.MatchedBy
	case op.Reason == ReasonDuplicateTargetEntries || op.Reason == ReasonMissingMatchingValue:
		detail = string(op.Reason) + ": " + op.Detail
	}
	if len(notes) > 0 {
		detail += " (" + strings.Join(notes, "; ") + ")"
	}
	return Step{Name: stepMatch, Status: StatusSuccess, Detail: detail}
}

// actionStep says what was done, from the applied entry.
func actionStep(op *Operation, e *Entry) Step {
	detail := string(op.Action)
	if e.ErrorCode != "" {
		detail += ": " + string(e.ErrorCode) + " — " + e.Message
	} else if op.Reason != "" {
		detail += " (" + string(op.Reason) + ")"
	}
	return Step{Name: stepAction, Status: e.Status, Detail: detail}
}
