package druvascim

import (
	"strconv"
	"time"
)

// Step is one stage of provisioning an object, as in Entra's provisioning
// log: Import (read the source object), Scope, Match (find the target user)
// and Action, in that order.
type Step struct {
	// Name is "Import", "Scope", "Match" or "Action".
	Name string `json:"name"`
	// Status is the stage's outcome.
	Status Status `json:"status"`
	// Detail says what happened, for people.
	Detail string `json:"detail,omitempty"`
}

// PropertyChange is one modified property: its old and new values (nil
// when there is none), as plain JSON values in JSON output. Values of
// redacted mappings are replaced by the text "[REDACTED]". Plans and
// reports render the values as JSON text ("(none)" for nil).
type PropertyChange struct {
	Path     string `json:"path"`
	Old      any    `json:"old"`
	New      any    `json:"new"`
	Redacted bool   `json:"redacted,omitempty"`
}

// noValue is the text of a missing value.
const noValue = "(none)"

// changeValue renders a value of a [PropertyChange] for people: "(none)"
// for nil, the mask of a redacted value as is, else JSON text.
func changeValue(v any, redacted bool) string {
	if v == nil {
		return noValue
	}
	if s, ok := v.(string); ok && redacted && s == redactedValue {
		return s
	}
	return render(v, true)
}

// Entry is one provisioning-log entry: one object in one cycle.
//
// ErrorCode is set on failures and warnings. Besides the skip reasons of
// [Reason] (such as MandatoryFieldsMissing), a write that did not succeed
// carries one of these codes, Entra's where Entra has one; Message says
// what to do about it:
//
//	EntryConflict        the target refused a write as a conflict (409) and
//	                     no single user could be adopted
//	InvalidAnchor        a linked target user no longer exists (404); the
//	                     link is dropped and the object is matched again
//	                     next cycle (status Warning)
//	Unauthorized         the target rejected the credentials (401/403); the
//	                     cycle stops (quarantine)
//	TooManyRequests      the target kept throttling (429); retried next cycle
//	InternalServerError  the target failed (5xx) or the connection failed;
//	                     retried next cycle
//	BadRequest           the target refused the request as invalid (400,
//	                     422…); escrowed on Entra's schedule
//	Canceled             the cycle was canceled or quarantined before the
//	                     operation ran; it runs next cycle
//	OutcomeUnknown       the operation was sent, but the cycle was canceled
//	                     before its answer came; the next cycle adopts or
//	                     retries it (status Warning)
//	Held                 a safety rule held the plan (see [Plan].Hold)
type Entry struct {
	// ChangeID is unique per entry: the cycle id and a sequence number.
	ChangeID string `json:"changeId"`
	// CycleID identifies the cycle.
	CycleID     string    `json:"cycleId"`
	Time        time.Time `json:"time"`
	SourceID    string    `json:"sourceId,omitempty"`
	TargetID    string    `json:"targetId,omitempty"`
	DisplayName string    `json:"displayName,omitempty"`
	Action      Action    `json:"action"`
	Status      Status    `json:"status"`
	// Reason is the skip reason, or why a disable or delete happened.
	Reason Reason `json:"reason,omitempty"`
	// Steps are the stages the operation went through, as Entra's
	// provisioning logs list them. Entries with the same steps (an
	// unchanged user, a plain create) share one slice: treat it as
	// read-only.
	Steps []Step `json:"steps,omitempty"`
	// Modified lists the properties changed (or that would change).
	Modified []PropertyChange `json:"modified,omitempty"`
	// ErrorCode is set on failures and warnings (see the table above);
	// Message says what to do about it.
	ErrorCode Reason `json:"errorCode,omitempty"`
	Message   string `json:"message,omitempty"`
	// Detail holds the target's error text, if any.
	Detail string `json:"detail,omitempty"`
}

// Summary counts a cycle's outcome.
type Summary struct {
	CycleID  string    `json:"cycleId"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Full is true when the whole source was read.
	Full bool `json:"full"`
	// DryRun is true when nothing was applied.
	DryRun bool `json:"dryRun,omitempty"`
	// SourceObjects is the number of objects read from the source, and
	// TargetUsers the number of users read from the target.
	SourceObjects int `json:"sourceObjects"`
	TargetUsers   int `json:"targetUsers"`
	// Actions and Statuses count the entries.
	Actions  map[Action]int `json:"actions"`
	Statuses map[Status]int `json:"statuses"`
	// Durations of each phase.
	ReadSource time.Duration `json:"readSourceNs"`
	ReadTarget time.Duration `json:"readTargetNs"`
	Map        time.Duration `json:"mapNs"`
	Plan       time.Duration `json:"planNs"`
	Apply      time.Duration `json:"applyNs"`
	// TargetCalls counts calls made to the Target (each one or more HTTP
	// requests); Requests is the HTTP request count when the Target counts
	// its requests (a method Requests() int64, as druva.Client has).
	TargetCalls int64 `json:"targetCalls"`
	Requests    int64 `json:"requests,omitempty"`
	// Held is set when a safety rule held the plan's disables and deletes
	// (or the whole plan, with [Hold].Everything).
	Held *Hold `json:"held,omitempty"`
	// Quarantined is set when the job is in quarantine after this cycle:
	// the cycle stopped early for a systemic failure (and returned
	// [ErrQuarantined]), or too many of its operations failed, or an
	// earlier quarantine goes on. QuarantineReason says why, Quarantine
	// holds the record (also in [State].Quarantine), with the time of the
	// next attempt.
	Quarantined      bool        `json:"quarantined,omitempty"`
	QuarantineReason string      `json:"quarantineReason,omitempty"`
	Quarantine       *Quarantine `json:"quarantine,omitempty"`
	// Escrowed is the number of objects whose failures wait in escrow
	// after this cycle; EscrowsPruned the number whose escrow ended in this
	// cycle (after 28 days of failures; their entries say so).
	Escrowed      int `json:"escrowed,omitempty"`
	EscrowsPruned int `json:"escrowsPruned,omitempty"`
	// FullReason says why a cycle read the whole source when an
	// incremental read was possible: "restart" after [Syncer.Restart],
	// "mapping changed" (or the scoping filter or the scope setting)
	// after a change of configuration, a due escrow, or the source's own
	// reason. Empty for an incremental cycle and a first cycle.
	FullReason string `json:"fullReason,omitempty"`
	// Canceled is set when the context ended the cycle early.
	Canceled bool `json:"canceled,omitempty"`
}

// Report is the provisioning log of one cycle and its summary.
type Report struct {
	Summary Summary `json:"summary"`
	Entries []Entry `json:"entries"`
}

// Failed returns the entries whose status is Failure.
func (r *Report) Failed() []Entry {
	var out []Entry
	for _, e := range r.Entries {
		if e.Status == StatusFailure {
			out = append(out, e)
		}
	}
	return out
}

func (r *Report) count() {
	r.Summary.Actions = map[Action]int{}
	r.Summary.Statuses = map[Status]int{}
	for i := range r.Entries {
		r.Summary.Actions[r.Entries[i].Action]++
		r.Summary.Statuses[r.Entries[i].Status]++
	}
}

// Phase names a phase of a cycle in [Progress].
type Phase string

// The phases of a cycle, in order, as an admin sees them; on a full read the
// source and the target are read at the same time. Reading the source
// includes scoping and mapping its objects.
const (
	PhaseReadSource Phase = "read source"
	PhaseReadTarget Phase = "read target"
	PhasePlan       Phase = "plan"
	PhaseApply      Phase = "apply"
)

// Progress reports how far a long phase has got (see [WithProgress]).
type Progress struct {
	// Phase is the phase reporting.
	Phase Phase
	// Done counts the items handled so far; Total is 0 when unknown.
	Done, Total int
}

// cycleIDAt is the id of a cycle that started at t.
func cycleIDAt(t time.Time) string { return t.UTC().Format("20060102T150405.000Z") }

// changeID is the id of the entry of a cycle's i-th operation (from 0): the
// cycle id and a sequence number from 1.
func changeID(cycle string, i int) string { return cycle + "-" + strconv.Itoa(i+1) }

// newEntry starts the provisioning-log entry of a cycle's i-th operation.
func newEntry(cycle string, i int, op *Operation) Entry {
	return Entry{ChangeID: changeID(cycle, i), CycleID: cycle, SourceID: op.SourceID, TargetID: op.TargetID,
		DisplayName: op.DisplayName, Action: op.Action, Reason: op.Reason}
}

// notRun fills the entry of an operation that is not run (not a write, a
// dry run, a held plan, or a cycle that stopped first): status Skipped, or
// Failure for a mapping that failed to evaluate (the object cannot be
// provisioned until it is fixed); the changes it would make; the code and
// advice of a skip's reason; the steps, the last with detail.
func notRun(ent *Entry, op *Operation, detail string) {
	ent.Status = StatusSkipped
	if op.Reason == ReasonMappingFailed {
		ent.Status = StatusFailure
	}
	ent.Modified = op.Changes
	if op.Action == ActionCreate {
		ent.Modified = createChanges(op)
	}
	if !op.isWrite() && op.Reason != "" && op.Reason != ReasonUnchanged && !isScopeReason(op.Reason) {
		ent.ErrorCode, ent.Message = op.Reason, advice(op.Reason)
	}
	ent.Detail = op.Detail
	ent.Steps = stepsFor(op, ent.Status, detail)
}

// advice is the sentence a person can act on, per error code.
func advice(code Reason) string {
	switch code {
	case ReasonMissingMatchingValue:
		return "Give the source object a value for at least one matching attribute, or change the matching attributes."
	case ReasonMappingFailed:
		return "An attribute mapping failed for this object: fix the expression or the source value named in the detail."
	case ReasonMandatoryFieldsMissing:
		return "Druva requires userName, displayName and an email: fill the missing source attribute or map a default."
	case ReasonDuplicateTargetEntries:
		return "More than one Druva user has this matching value: remove the duplicate in Druva or use a unique matching attribute."
	case ReasonDuplicateSourceEntries:
		return "Two source objects map to the same Druva user: make the matching attribute unique in the source."
	case ReasonEscrowed:
		return "An earlier attempt failed; it is retried automatically at the time shown."
	case ReasonNotManaged:
		return "The Druva user was not created or matched by this sync, so it is left alone; disable it in Druva if that is intended."
	case reasonConflict:
		return "Druva holds a user with the same userName or email that could not be adopted: remove the conflict or fix the matching attributes."
	case reasonInvalidAnchor:
		return "The linked Druva user no longer exists; the link was dropped and the user is matched again next cycle."
	case reasonUnauthorized:
		return "Druva rejected the token: generate a new one in the Druva console (tokens last 365 days, regenerating revokes the old one) and update the configuration."
	case reasonTooManyRequests:
		return "Druva kept throttling; the operation is retried next cycle. Lower the request rate if this persists."
	case reasonServerError:
		return "Druva or the network failed; the operation is retried next cycle."
	case reasonBadRequest:
		return "Druva refused the request as invalid: check the mapped values (and Druva's SCIM mappings, which decide the profile on create)."
	case reasonCanceled:
		return "The cycle was stopped before this operation ran; it runs next cycle."
	case reasonOutcomeUnknown:
		return "The cycle stopped while this operation was in flight, so whether it reached Druva is unknown; the next cycle checks the user and adopts or retries it."
	case reasonHeld:
		return "A safety rule held this cycle: review the plan, then approve it or fix the source."
	}
	return ""
}
