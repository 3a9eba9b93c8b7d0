package entratest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/druvascim/druvascim/entra"
)

// Client returns an [entra.Reader] wired to the server: its URL, token and
// service principal, its loopback HTTP client, and no client-side rate
// limit. opts are applied after those, so they can change any of them
// (WithAppID cannot be added, as the service principal is already given).
func (s *Server) Client(opts ...entra.Option) (*entra.Reader, error) {
	base := []entra.Option{
		entra.WithGraphURL(s.URL),
		entra.WithServicePrincipalID(s.ServicePrincipalID),
		entra.WithHTTPClient(s.srv.Client()),
		entra.WithRateLimit(0, 0),
	}
	return entra.NewReader(entra.StaticToken(s.Token), append(base, opts...)...)
}

// Attributes returns the user properties of the generated tenant, sorted:
// every generated user has them, though some are null for some users
// (guests have no employeeId or companyName; a few users have no mail,
// department, jobTitle, givenName or surname). Users created with
// [Server.CreateUser] have the properties they were given.
func (s *Server) Attributes() []string {
	return []string{"accountEnabled", "businessPhones", "city", "companyName", "country", "createdDateTime",
		"department", "displayName", "employeeId", "givenName", "jobTitle", "mail", "mailNickname", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "usageLocation", "userPrincipalName", "userType"}
}

// Assign assigns a live user to the app directly with the "User" app role
// (a no-op when it already has that assignment).
func (s *Server) Assign(userID string) error {
	s.mu.RLock()
	role := s.roles[0].ID
	s.mu.RUnlock()
	if _, err := s.AddAssignment(userID, role); err != nil && !errors.Is(err, ErrConflict) {
		return err
	}
	return nil
}

// Unassign takes a live user out of the app's assignments: it removes the
// user's direct assignments and its memberships of the assigned groups
// (and of the groups nested in them, at any depth), so that neither direct
// nor nested reads count it assigned. groups/delta reports the membership
// changes.
func (s *Server) Unassign(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.userByID[userID]; u == nil || u.state != stateLive {
		return fmt.Errorf("%w: user %q", ErrNotFound, userID)
	}
	s.seq++
	assigned := map[string]bool{}
	for _, a := range s.assigns {
		switch {
		case a.removed:
		case a.principalID == userID:
			a.removed = true
		case a.principalType == "Group":
			assigned[a.principalID] = true
		}
	}
	for grew := true; grew; {
		grew = false
		for g := range assigned {
			for _, m := range s.groupByID[g].members {
				if m.group && !assigned[m.id] {
					assigned[m.id], grew = true, true
				}
			}
		}
	}
	for _, g := range s.groups {
		if assigned[g.id] {
			g.removeMember(userID, s.seq)
		}
	}
	return nil
}

// Rename changes a live user's userPrincipalName; users/delta reports it.
func (s *Server) Rename(userID, userPrincipalName string) error {
	return s.UpdateUser(userID, map[string]any{"userPrincipalName": userPrincipalName})
}

// Disable sets a live user's accountEnabled to false; users/delta reports
// it.
func (s *Server) Disable(userID string) error {
	return s.UpdateUser(userID, map[string]any{"accountEnabled": false})
}

// SoftDelete deletes a live user to the deleted items, from where
// [Server.RestoreUser] brings it back; users/delta reports it removed with
// reason "changed". It is [Server.DeleteUser].
func (s *Server) SoftDelete(userID string) error { return s.DeleteUser(userID) }

// Guests returns the ids of the live guest (B2B) users, in tenant order.
func (s *Server) Guests() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, u := range s.users {
		if u.state == stateLive && u.props["userType"] == "Guest" {
			out = append(out, u.id)
		}
	}
	return slices.Clip(out)
}
