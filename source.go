package druvascim

import (
	"context"
	"iter"

	"github.com/druvascim/druvascim/internal/source"
	"github.com/druvascim/druvascim/scim"
)

// Object is one object read from the source: its immutable id, the
// attributes the mappings read, and the source's verdict on scope.
type Object = source.Object

// Batch is the result of one read of the source.
type Batch = source.Batch

// Source reads the source directory. entra.Reader satisfies it.
type Source interface {
	// Fetch reads the source objects. An empty deltaLink asks for a full read;
	// otherwise only objects changed since deltaLink are returned. The batch
	// holds the objects read, the delta link to store for the next
	// incremental read, and Full = true when every object in scope was
	// returned (a full read, including one forced by an expired delta link).
	// A failed or partial read is an error, never a short list.
	Fetch(ctx context.Context, deltaLink string) (Batch, error)
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
