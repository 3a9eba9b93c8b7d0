package entra

import (
	"context"
	"fmt"
	"net/url"
)

// TestConnection checks, as Entra's "Test Connection" does for its own
// side, that Graph accepts the credential and knows the Druva app's service
// principal: it resolves the service principal (by appId when configured so)
// and reads it. An error says which of the two failed; it matches
// [ErrUnauthorized] for a rejected credential and [ErrNotFound] for an
// unknown service principal.
func (r *Reader) TestConnection(ctx context.Context) error {
	c := &counters{}
	sp, err := r.servicePrincipal(ctx, c)
	if err != nil {
		return fmt.Errorf("entra: test connection: %w", err)
	}
	q := url.Values{"$select": {"id,appId,displayName"}}
	if _, err := r.get(ctx, c, "servicePrincipals/"+url.PathEscape(sp), q, nil); err != nil {
		return fmt.Errorf("entra: test connection: service principal %s: %w", sp, err)
	}
	return nil
}
