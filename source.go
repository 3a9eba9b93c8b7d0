package druvascim

import (
	"context"
	"iter"

	"github.com/druvascim/druvascim/scim"
)

// Reserved keys of a source object. A source object is a plain
// map[string]any so that packages such as entra can produce it without
// importing this package; it is assignable to mapping.Attributes.
const (
	// KeyID holds the source object's immutable id (Entra: the user's objectId), a string.
	KeyID = "objectId"
	// KeySoftDeleted holds a bool: true when the object must not be active in
	// the target (unassigned, out of assignment scope, soft-deleted or disabled
	// in Entra). Entra's expression attribute of the same name.
	KeySoftDeleted = "IsSoftDeleted"
	// KeyHardDeleted holds a bool: true when an incremental read reported the
	// object as permanently deleted in the source.
	KeyHardDeleted = "IsHardDeleted"
	// KeyScopeReason holds a string saying why the source counts the object as
	// soft-deleted ("not assigned", "default access only", "account disabled",
	// "soft-deleted"); empty when it is assigned and active.
	KeyScopeReason = "scopeReason"
)

// Source reads the source directory. entra.Reader satisfies it.
type Source interface {
	// Fetch reads the source objects. An empty deltaLink asks for a full read;
	// otherwise only objects changed since deltaLink are returned. It returns
	// the objects read, the delta link to store for the next incremental read,
	// and full = true when every object in scope was returned (a full read,
	// including one forced by an expired delta link). A failed or partial read
	// is an error, never a short list.
	Fetch(ctx context.Context, deltaLink string) (objects []map[string]any, nextDeltaLink string, full bool, err error)
}

// Target is the SCIM service users are provisioned into. druva.Client
// satisfies it. Errors must carry a *scim.Error reachable with errors.As whose
// Status is the HTTP status (409 conflict, 404 not found, 401 unauthorized).
type Target interface {
	ListUsers(ctx context.Context) iter.Seq2[scim.Resource, error]
	FindUsers(ctx context.Context, attribute, value string) ([]scim.Resource, error)
	CreateUser(ctx context.Context, u scim.Resource) (scim.Resource, error)
	PatchUser(ctx context.Context, id string, ops ...scim.PatchOperation) error
	DisableUser(ctx context.Context, id string) error
	DeleteUser(ctx context.Context, id string) error
}
