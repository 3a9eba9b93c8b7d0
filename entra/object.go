package entra

import (
	"context"
	"errors"
	"fmt"

	"github.com/druvascim/druvascim/internal/source"
)

// object is the user as a typed source object: the scope facts move from
// the attributes into the fields.
func (u *User) object() source.Object {
	attrs := u.Attributes
	for _, k := range []string{KeySoftDeleted, KeyHardDeleted, KeyScopeReason} {
		delete(attrs, k)
	}
	return source.Object{ID: u.ID, Attributes: attrs, Assigned: u.Reason != ReasonNotAssigned && u.Reason != ReasonDefaultAccessOnly,
		SoftDeleted: !u.InScope, HardDeleted: u.HardDeleted, Reason: sourceReason(u.Reason)}
}

// sourceReason is the source contract's code of a scope reason.
func sourceReason(r string) source.Reason {
	switch r {
	case ReasonNotAssigned:
		return source.ReasonNotAssigned
	case ReasonDefaultAccessOnly:
		return source.ReasonDefaultAccessOnly
	case ReasonDisabled:
		return source.ReasonAccountDisabled
	case ReasonSoftDeleted:
		return source.ReasonSoftDeleted
	case ReasonHardDeleted:
		return source.ReasonHardDeleted
	}
	return source.Reason(r)
}

// FetchObject reads one user by object id or userPrincipalName (see
// [Reader.ReadUser]) as a typed source object, for on-demand provisioning
// without a full read. A user that does not exist is an error matching
// both [ErrNotFound] and the source contract's not-found error
// (druvascim.ErrNotFound).
func (r *Reader) FetchObject(ctx context.Context, idOrUPN string) (source.Object, error) {
	u, err := r.ReadUser(ctx, idOrUPN)
	if errors.Is(err, ErrNotFound) {
		return source.Object{}, fmt.Errorf("%w: %w", source.ErrNotFound, err)
	}
	if err != nil {
		return source.Object{}, err
	}
	return u.object(), nil
}
