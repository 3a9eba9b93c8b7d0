package druvascim

import (
	"errors"
	"strings"

	"github.com/druvascim/druvascim/internal/source"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// Action is what the planner decided for one object, named as in Entra's
// provisioning logs.
type Action string

// The actions of a [Plan] and of the provisioning log.
const (
	// ActionCreate creates the user in the target.
	ActionCreate Action = "Create"
	// ActionUpdate sends the minimal PATCH of mapped attributes that differ
	// (and re-enables a disabled user that is back in scope).
	ActionUpdate Action = "Update"
	// ActionDisable sets active to false (in Druva: Preserved).
	ActionDisable Action = "Disable"
	// ActionDelete sends DELETE (in Druva the user is still preserved).
	ActionDelete Action = "Delete"
	// ActionSkip changes nothing; the operation's Reason says why.
	ActionSkip Action = "Skip"
	// ActionStagedDelete is a Disable or Delete held by a safety rule; it
	// appears only in reports of held plans, as in Entra.
	ActionStagedDelete Action = "StagedDelete"
)

// Status is the outcome of one provisioning-log entry, as in Entra.
type Status string

// The statuses of a provisioning-log [Entry].
const (
	StatusSuccess Status = "Success"
	StatusFailure Status = "Failure"
	StatusSkipped Status = "Skipped"
	StatusWarning Status = "Warning"
)

// Reason is a machine-readable code saying why an operation is a Skip, why a
// user is disabled, why an operation failed, or (from the source) why an
// object is not active. Codes follow Entra's provisioning-log error codes
// where Entra has one. It is the source's reason type, so a source's scope
// reasons and the planner's reasons share one set of values.
type Reason = source.Reason

// The source's scope reasons ([Object].Reason), declared once in the source
// contract and re-exported here. A linked user deprovisioned because of the
// source carries the source's reason (a linked object missing from a full
// read: ReasonNotAssigned), and so does the skip of an out-of-scope object
// never provisioned, as in Entra's provisioning logs.
const (
	// ReasonNotAssigned: the object is not assigned to the application.
	ReasonNotAssigned = source.ReasonNotAssigned
	// ReasonDefaultAccessOnly: the only assignment is the Default Access role.
	ReasonDefaultAccessOnly = source.ReasonDefaultAccessOnly
	// ReasonAccountDisabled: the account is disabled in the source.
	ReasonAccountDisabled = source.ReasonAccountDisabled
	// ReasonSoftDeleted: the object was deleted in the source and can still
	// be restored.
	ReasonSoftDeleted = source.ReasonSoftDeleted
	// ReasonHardDeleted: the object was permanently deleted in the source;
	// also the reason a linked user is disabled for it.
	ReasonHardDeleted = source.ReasonHardDeleted
)

// Reasons used by the planner and the executor.
const (
	// ReasonMissingMatchingValue: the object has no value for any matching
	// attribute (Entra: ImportSkipped).
	ReasonMissingMatchingValue Reason = "ImportSkipped"
	// ReasonMappingFailed: an attribute mapping failed to evaluate for the
	// object (see Desired.MapError); its entry's status is Failure.
	ReasonMappingFailed Reason = "MappingFailed"
	// ReasonMandatoryFieldsMissing: a required attribute (Druva: userName,
	// displayName, email) has no value.
	ReasonMandatoryFieldsMissing Reason = "MandatoryFieldsMissing"
	// ReasonDuplicateTargetEntries: more than one target user matched.
	ReasonDuplicateTargetEntries Reason = "DuplicateTargetEntries"
	// ReasonDuplicateSourceEntries: another source object already claims the
	// same target user, or would create a user with the same matching value.
	ReasonDuplicateSourceEntries Reason = "DuplicateSourceEntries"
	// ReasonUnchanged: the target already holds the desired values (Entra:
	// EntrySynchronizationSkipped).
	ReasonUnchanged Reason = "Unchanged"
	// ReasonEscrowed: an earlier failure is waiting for its next retry time.
	ReasonEscrowed Reason = "Escrowed"
	// ReasonNotManaged: the source says disable or delete, but the matching
	// target user was never created or matched by us (no link), so it is
	// left alone.
	ReasonNotManaged Reason = "NotManaged"
	// ReasonActionNotAllowed: a policy turned this kind of action off.
	ReasonActionNotAllowed Reason = "ActionNotAllowed"
	// ReasonVetoed: the operation hook vetoed the operation.
	ReasonVetoed Reason = "Vetoed"
	// ReasonScopingFilter: the object does not pass the mapping set's
	// scoping filter (a linked user is disabled for it, an object never
	// provisioned is skipped).
	ReasonScopingFilter Reason = "ScopingFilter"
	// ReasonReenable: a matched user that is disabled is back in scope.
	ReasonReenable Reason = "Reenable"
)

// The error codes of [Entry].ErrorCode and [Escrow].Code for writes that
// did not succeed; the table in the [Entry] documentation explains them.
const (
	reasonConflict        Reason = "EntryConflict"
	reasonInvalidAnchor   Reason = "InvalidAnchor"
	reasonUnauthorized    Reason = "Unauthorized"
	reasonTooManyRequests Reason = "TooManyRequests"
	reasonServerError     Reason = "InternalServerError"
	reasonBadRequest      Reason = "BadRequest"
	reasonCanceled        Reason = "Canceled"
	reasonOutcomeUnknown  Reason = "OutcomeUnknown"
	reasonHeld            Reason = "Held"
)

// assignment is one attribute value the mapping wants on every update.
type assignment = mapping.Assignment

// Desired is one source object after scoping and mapping: what the target
// should hold for it. [Prepare] builds it from source objects and a
// mapping.Set; callers that map themselves can fill it directly.
type Desired struct {
	// SourceID is the source object's immutable id (required).
	SourceID string `json:"sourceId"`
	// DisplayName names the object in plans and reports.
	DisplayName string `json:"displayName,omitempty"`
	// SoftDeleted is the source's verdict: unassigned, disabled or
	// soft-deleted ([Object].SoftDeleted).
	SoftDeleted bool `json:"softDeleted,omitempty"`
	// HardDeleted: permanently deleted in the source ([Object].HardDeleted).
	HardDeleted bool `json:"hardDeleted,omitempty"`
	// OutOfScope: the mapping set's scoping filter rejected the object.
	OutOfScope bool `json:"outOfScope,omitempty"`
	// ScopeReason is the source's explanation ([Object].Reason).
	ScopeReason Reason `json:"scopeReason,omitempty"`
	// Resource is the create form (mappings applied on create, defaults
	// filled). Needed only when the object may be created: [Prepare]
	// leaves it, Update, FillEmpty, Missing and Redacted empty for an
	// object the source reports out of scope (SoftDeleted or HardDeleted).
	Resource scim.Resource `json:"resource,omitempty"`
	// Update holds the mappings applied Always with a non-NULL value, in set
	// order; an update never touches any other attribute.
	Update []mapping.Assignment `json:"update,omitempty"`
	// FillEmpty holds the defaults of None mappings, written on update only
	// where the target user has no value (mapping.Mapped.FillEmpty).
	FillEmpty []mapping.Assignment `json:"fillEmpty,omitempty"`
	// Keys are the matching attributes in precedence order.
	Keys []mapping.MatchKey `json:"keys,omitempty"`
	// Missing lists required attributes the create form lacks
	// (mapping.Mapped.Missing); such an object is never created.
	Missing []string `json:"missing,omitempty"`
	// Redacted lists the paths of Resource whose values came from Redact;
	// plans and reports mask them.
	Redacted []string `json:"redacted,omitempty"`
	// MapError is set when the object's mappings failed to evaluate; an
	// in-scope object with a MapError is not written and is reported as a
	// failure ([ReasonMappingFailed], status Failure).
	MapError string `json:"mapError,omitempty"`
}

// inScope reports whether the object should be active in the target.
func (d *Desired) inScope() bool { return !d.SoftDeleted && !d.HardDeleted && !d.OutOfScope }

// Errors of planning and applying, matched with errors.Is.
var (
	// ErrHeld: a safety rule held the plan's deprovisions (or, with
	// [Policy].HoldEverything, the whole plan) until approved; [Plan].Hold
	// says which rule: the deletion threshold (the plan would disable or
	// delete more users than it allows) or the shrink rule (the source has
	// shrunk by more than the allowed fraction since the last full cycle).
	// The planner, Apply and [Syncer.Run] return it for a held plan that
	// is not approved.
	ErrHeld = errors.New("druvascim: held by a safety rule")
	// ErrIncompleteSource: the source read was not complete (or malformed);
	// nothing is planned from it.
	ErrIncompleteSource = errors.New("druvascim: incomplete source read")
	// ErrQuarantined: the cycle stopped early for a systemic failure (the
	// credentials refused, the target unreachable, or each of the first
	// operations failing alike); the job is then in quarantine
	// ([State].Quarantine).
	ErrQuarantined = errors.New("druvascim: provisioning quarantined")
	// ErrNotFound: on-demand provisioning could not find the source object.
	// It is the source contract's error, so a source's "not found" matches
	// it without importing this package.
	ErrNotFound = source.ErrNotFound
)

// scopeText is a source scope reason as words for plans and reports ("not
// assigned"); empty for no reason.
func scopeText(r Reason) string {
	switch r {
	case ReasonNotAssigned:
		return "not assigned"
	case ReasonDefaultAccessOnly:
		return "default access only"
	case ReasonAccountDisabled:
		return "account disabled"
	case ReasonSoftDeleted:
		return "soft-deleted"
	case ReasonHardDeleted:
		return "hard-deleted"
	}
	return strings.ToLower(string(r))
}
