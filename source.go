package druvascim

import (
	"context"
	"iter"

	"github.com/druvascim/druvascim/internal/source"
	"github.com/druvascim/druvascim/scim"
)

// Object is one source object: its immutable id, the attributes the mappings
// read, and the source's scope facts (Assigned, SoftDeleted, HardDeleted and
// the Reason for them). Attributes never hold the scope facts; mapping
// expressions still read Entra's IsSoftDeleted, which [Prepare] supplies
// from the SoftDeleted field. entra.Reader produces Objects.
type Object = source.Object

// Batch is the result of one [Source.Fetch]: the objects read, the delta
// link to store for the next incremental read, whether the read was full
// (every object in scope returned) and, for a full read that was asked for
// incrementally, why (FullReason).
type Batch = source.Batch

// Source reads the source directory. entra.Reader satisfies it.
//
// A Source may also read one object by id or user principal name, with a
// method FetchObject(ctx context.Context, idOrUPN string) (Object, error)
// (entra.Reader has it), so that [Syncer.ProvisionOnDemand] does not read
// the whole source; a missing object is then an error matching
// [ErrNotFound].
type Source interface {
	// Fetch reads the source objects. An empty deltaLink asks for a full
	// read; otherwise only objects changed since deltaLink are returned.
	// A failed or partial read is an error, never a short batch.
	Fetch(ctx context.Context, deltaLink string) (Batch, error)
}

// objectFetcher is the optional interface of a [Source] that reads one
// object (see [Source]).
type objectFetcher interface {
	FetchObject(ctx context.Context, idOrUPN string) (Object, error)
}

// Target is the SCIM service users are provisioned into. druva.Client
// satisfies it. Errors must carry a *scim.Error reachable with errors.As whose
// Status is the HTTP status (409 conflict, 404 not found, 401 unauthorized).
type Target interface {
	ListUsers(ctx context.Context) iter.Seq2[scim.Resource, error]
	GetUser(ctx context.Context, id string) (scim.Resource, error)
	FindUsers(ctx context.Context, attribute, value string) ([]scim.Resource, error)
	CreateUser(ctx context.Context, u scim.Resource) (scim.Resource, error)
	PatchUser(ctx context.Context, id string, ops ...scim.PatchOperation) error
	DisableUser(ctx context.Context, id string) error
	DeleteUser(ctx context.Context, id string) error
}
