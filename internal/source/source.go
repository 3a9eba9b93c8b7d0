package source

import "errors"

// Object is one source object: its immutable id, the attributes the mappings
// read, and the source's verdict on whether it belongs in the target.
type Object struct {
	// ID is the object's immutable id (Entra: the user's object id).
	ID string `json:"id"`
	// Attributes are the source attributes by name, as the mapping
	// expressions read them: strings, bools, integers, floats, json.Number,
	// time.Time, []string and []any. They never hold the scope facts below.
	Attributes map[string]any `json:"attributes,omitempty"`
	// Assigned reports that the object is assigned to the application with a
	// role that counts (directly or through a group).
	Assigned bool `json:"assigned,omitempty"`
	// SoftDeleted reports that the object must not be active in the target:
	// it is not assigned, assigned only through Default Access, disabled, or
	// deleted in the source but still recoverable. This is what Entra's
	// expression attribute IsSoftDeleted evaluates to.
	SoftDeleted bool `json:"softDeleted,omitempty"`
	// HardDeleted reports that an incremental read saw the object
	// permanently deleted in the source.
	HardDeleted bool `json:"hardDeleted,omitempty"`
	// Reason says why the object is soft- or hard-deleted; empty when it is
	// assigned and active.
	Reason Reason `json:"reason,omitempty"`
}

// Reason is a machine-readable code. The source uses the scope reasons below;
// the root package gives the same type its planning and apply reasons.
type Reason string

// Scope reasons: why a source object is not active in the target.
const (
	// ReasonNotAssigned: the object is not assigned to the application.
	ReasonNotAssigned Reason = "NotAssigned"
	// ReasonDefaultAccessOnly: the only assignment is the Default Access role.
	ReasonDefaultAccessOnly Reason = "DefaultAccessOnly"
	// ReasonAccountDisabled: the account is disabled in the source.
	ReasonAccountDisabled Reason = "AccountDisabled"
	// ReasonSoftDeleted: the object was deleted in the source and can still
	// be restored.
	ReasonSoftDeleted Reason = "SoftDeleted"
	// ReasonHardDeleted: the object was permanently deleted in the source.
	ReasonHardDeleted Reason = "HardDeleted"
)

// Batch is the result of one read of the source.
type Batch struct {
	// Objects are the objects read.
	Objects []Object
	// DeltaLink is the cursor to store for the next incremental read.
	DeltaLink string
	// Full is true when every object in scope was returned (a full read,
	// including one forced by an expired or foreign delta link).
	Full bool
	// FullReason says why a full read happened when one was asked for
	// incrementally (for example "delta link expired"); empty otherwise.
	FullReason string
}

// ErrNotFound reports that a one-object fetch found no such object.
var ErrNotFound = errors.New("source object not found")
