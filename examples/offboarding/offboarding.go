package offboarding

import (
	"context"
	"errors"
	"fmt"

	"github.com/druvascim/druvascim/druva"
)

// ErrNoSuchUser means no Druva user has the email address.
var ErrNoSuchUser = errors.New("offboarding: no Druva user with that email")

// Offboard preserves the Druva user whose work email is email (Druva keeps
// the user's backups), and returns the user's id.
func Offboard(ctx context.Context, c *druva.Client, email string) (string, error) {
	users, err := c.FindUsers(ctx, `emails.value`, email)
	if err != nil {
		return "", fmt.Errorf("offboarding: looking up %s: %w", email, err)
	}
	switch len(users) {
	case 0:
		return "", fmt.Errorf("%w: %s", ErrNoSuchUser, email)
	case 1:
	default:
		return "", fmt.Errorf("offboarding: %d Druva users have the email %s", len(users), email)
	}
	id := users[0].ID()
	if err := c.DisableUser(ctx, id); err != nil {
		return "", fmt.Errorf("offboarding: disabling %s: %w", email, err)
	}
	return id, nil
}
