package druvatest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/druvascim/druvascim/scim"
)

// SeedUsers stores users directly, with Druva's rules (required attributes,
// uniqueness, SCIM mappings) but without faults, counting or the request
// log. It returns the stored users with their ids, or the first error
// (users before it stay stored).
func (s *Server) SeedUsers(users ...scim.Resource) ([]scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]scim.Resource, 0, len(users))
	for i, u := range users {
		e, serr := s.st.createUser(u, s.cfg.mappings, s.cfg.now())
		if serr != nil {
			return out, fmt.Errorf("druvatest: seeding user %d (%q): %w", i, u.UserName(), serr)
		}
		out = append(out, s.render("Users", e))
	}
	return out, nil
}

// SeedGroup stores a group (the server must offer groups).
func (s *Server) SeedGroup(g scim.Resource) (scim.Resource, error) {
	if !s.cfg.groups {
		return nil, errors.New("druvatest: SeedGroup: the server was started without WithGroups")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, serr := s.st.createGroup(g, s.cfg.now())
	if serr != nil {
		return nil, fmt.Errorf("druvatest: seeding group %q: %w", g.DisplayName(), serr)
	}
	return s.render("Groups", e), nil
}

// Users returns every user (preserved ones included) in id order, as the
// server would render them.
func (s *Server) Users() []scim.Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]scim.Resource, 0, len(s.st.userOrder))
	for _, id := range s.st.userOrder {
		out = append(out, s.render("Users", s.st.users[id]))
	}
	return out
}

// Groups returns every group in id order.
func (s *Server) Groups() []scim.Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]scim.Resource, 0, len(s.st.grpOrder))
	for _, id := range s.st.grpOrder {
		out = append(out, s.render("Groups", s.st.groups[id]))
	}
	return out
}

// Len returns the number of users, preserved ones included.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.users)
}

// User returns one user by id, or an error matching [ErrNotFound].
func (s *Server) User(id string) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.st.users[id]
	if !ok {
		return nil, fmt.Errorf("%w: id %q", ErrNotFound, id)
	}
	return s.render("Users", e), nil
}

// UserByName returns the user with userName (case-insensitive), or an
// error matching [ErrNotFound].
func (s *Server) UserByName(userName string) (scim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.st.byName[strings.ToLower(strings.TrimSpace(userName))]
	if !ok {
		return nil, fmt.Errorf("%w: userName %q", ErrNotFound, userName)
	}
	return s.render("Users", s.st.users[id]), nil
}

// UserState is what Druva knows about a user beyond its SCIM form.
type UserState struct {
	// Preserved is Druva's state after a deactivation or a DELETE: the user
	// and its backups are kept, inactive.
	Preserved bool
	// Profile is the profile the matching Druva SCIM mapping assigned ("" when
	// no mappings are configured).
	Profile string
}

// State returns the Druva state of a user, or an error matching
// [ErrNotFound].
func (s *Server) State(id string) (UserState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.st.users[id]
	if !ok {
		return UserState{}, fmt.Errorf("%w: id %q", ErrNotFound, id)
	}
	return UserState{Preserved: e.preserved, Profile: e.profile}, nil
}
