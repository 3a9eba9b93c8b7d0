package entratest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Errors returned by the helper methods (and mapped to Graph answers by the
// HTTP endpoints: 404 and 400).
var (
	ErrNotFound = errors.New("entratest: object not found")
	ErrConflict = errors.New("entratest: conflicting object")
	ErrInvalid  = errors.New("entratest: invalid value")
)

func checkUserProps(props map[string]any) error {
	for k, v := range props {
		if !isUserProp(k) || k == "createdDateTime" {
			return fmt.Errorf("%w: user property %q is unknown or read-only", ErrInvalid, k)
		}
		switch {
		case v == nil:
		case isBoolProp(k):
			if _, ok := v.(bool); !ok {
				return fmt.Errorf("%w: user property %q must be a boolean, got %T", ErrInvalid, k, v)
			}
		case isListProp(k):
			if _, ok := v.([]string); ok {
				continue
			}
			l, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%w: user property %q must be a list of strings, got %T", ErrInvalid, k, v)
			}
			for _, x := range l {
				if _, ok := x.(string); !ok {
					return fmt.Errorf("%w: user property %q must be a list of strings", ErrInvalid, k)
				}
			}
		default:
			if _, ok := v.(string); !ok {
				return fmt.Errorf("%w: user property %q must be a string, got %T", ErrInvalid, k, v)
			}
		}
	}
	return nil
}

func normalize(v any) any {
	if ss, ok := v.([]string); ok {
		l := make([]any, len(ss))
		for i, s := range ss {
			l[i] = s
		}
		return l
	}
	return v
}

// CreateUser adds a user with the given Graph properties (userPrincipalName
// and displayName required; accountEnabled defaults to true) and returns its
// object id.
func (s *Server) CreateUser(props map[string]any) (string, error) {
	if err := checkUserProps(props); err != nil {
		return "", err
	}
	upn, _ := props["userPrincipalName"].(string)
	if upn == "" || !strings.Contains(upn, "@") {
		return "", fmt.Errorf("%w: userPrincipalName is required and must contain @", ErrInvalid)
	}
	if dn, _ := props["displayName"].(string); dn == "" {
		return "", fmt.Errorf("%w: displayName is required", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.state != statePurged && strings.EqualFold(u.props["userPrincipalName"].(string), upn) {
			return "", fmt.Errorf("%w: another object with the same userPrincipalName %q already exists", ErrConflict, upn)
		}
	}
	s.seq++
	p := make(map[string]any, len(props)+4)
	for k, v := range props {
		p[k] = normalize(v)
	}
	if _, ok := p["accountEnabled"]; !ok {
		p["accountEnabled"] = true
	}
	if _, ok := p["userType"]; !ok {
		p["userType"] = "Member"
	}
	if _, ok := p["mailNickname"]; !ok {
		p["mailNickname"] = strings.SplitN(upn, "@", 2)[0]
	}
	p["createdDateTime"] = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.seq) * time.Second).Format(time.RFC3339)
	u := &user{id: uuidFrom(s.idRand), props: p, born: s.seq}
	s.users = append(s.users, u)
	s.userByID[u.id] = u
	return u.id, nil
}

// UpdateUser changes properties of a live user; a nil value clears one.
func (s *Server) UpdateUser(id string, props map[string]any) error {
	if err := checkUserProps(props); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByID[id]
	if u == nil || u.state != stateLive {
		return fmt.Errorf("%w: user %q", ErrNotFound, id)
	}
	if upn, ok := props["userPrincipalName"].(string); ok && !strings.Contains(upn, "@") {
		return fmt.Errorf("%w: userPrincipalName must contain @", ErrInvalid)
	}
	s.seq++
	if u.propVer == nil {
		u.propVer = map[string]uint64{}
	}
	for k, v := range props {
		u.props[k] = normalize(v)
		u.propVer[k] = s.seq
	}
	return nil
}

// DeleteUser soft-deletes a user: it moves to deleted items, can be
// restored, and users/delta reports it with @removed reason "changed".
func (s *Server) DeleteUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByID[id]
	if u == nil || u.state != stateLive {
		return fmt.Errorf("%w: user %q", ErrNotFound, id)
	}
	s.seq++
	u.state, u.delSeq = stateSoftDeleted, s.seq
	// Graph hides a deleted user's memberships; groups/delta reports them removed.
	for _, g := range s.groups {
		if g.isMember[id] {
			g.log = append(g.log, memberEvent{seq: s.seq, m: member{id: id}, removed: true})
		}
	}
	return nil
}

// RestoreUser restores a soft-deleted user with its memberships and
// assignments.
func (s *Server) RestoreUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByID[id]
	if u == nil || u.state != stateSoftDeleted {
		return fmt.Errorf("%w: deleted user %q", ErrNotFound, id)
	}
	s.seq++
	u.state, u.born, u.propVer = stateLive, s.seq, nil
	for _, g := range s.groups {
		if g.isMember[id] {
			g.log = append(g.log, memberEvent{seq: s.seq, m: member{id: id}})
		}
	}
	return nil
}

// PurgeUser permanently deletes a user (live or soft-deleted): users/delta
// reports it with @removed reason "deleted", and its memberships and
// assignments are gone.
func (s *Server) PurgeUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByID[id]
	if u == nil || u.state == statePurged {
		return fmt.Errorf("%w: user %q", ErrNotFound, id)
	}
	s.seq++
	u.state, u.delSeq = statePurged, s.seq
	for _, g := range s.groups {
		g.removeMember(id, s.seq)
	}
	for _, a := range s.assigns {
		if a.principalID == id {
			a.removed = true
		}
	}
	return nil
}

// CreateGroup adds an empty security group and returns its id.
func (s *Server) CreateGroup(displayName string) (string, error) {
	if displayName == "" {
		return "", fmt.Errorf("%w: displayName is required", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	g := &group{id: uuidFrom(s.idRand), born: s.seq, isMember: map[string]bool{}, props: map[string]any{
		"displayName": displayName, "mailNickname": asciiFold(displayName), "securityEnabled": true,
		"mailEnabled": false, "description": nil,
	}}
	s.groups = append(s.groups, g)
	s.groupByID[g.id] = g
	return g.id, nil
}

// AddGroupMember adds a user or a group (nesting) to a group.
func (s *Server) AddGroupMember(groupID, memberID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupByID[groupID]
	if g == nil || g.state != stateLive {
		return fmt.Errorf("%w: group %q", ErrNotFound, groupID)
	}
	m := member{id: memberID}
	u, sub := s.userByID[memberID], s.groupByID[memberID]
	switch {
	case u != nil && u.state == stateLive:
	case sub != nil && sub.state == stateLive:
		m.group = true
	default:
		return fmt.Errorf("%w: directory object %q", ErrNotFound, memberID)
	}
	if g.isMember[memberID] {
		return fmt.Errorf("%w: one or more added object references already exist", ErrConflict)
	}
	s.seq++
	g.addMember(m, s.seq)
	return nil
}

// RemoveGroupMember removes a direct member from a group.
func (s *Server) RemoveGroupMember(groupID, memberID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupByID[groupID]
	if g == nil || g.state != stateLive {
		return fmt.Errorf("%w: group %q", ErrNotFound, groupID)
	}
	if !g.isMember[memberID] {
		return fmt.Errorf("%w: %q is not a member of group %q", ErrNotFound, memberID, groupID)
	}
	s.seq++
	g.removeMember(memberID, s.seq)
	return nil
}

// AddAssignment assigns a user or group to the Druva app with an app role
// (one of [Server.AppRoles] or [DefaultAccessRoleID]) and returns the
// assignment id.
func (s *Server) AddAssignment(principalID, appRoleID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if appRoleID != DefaultAccessRoleID && !slices.ContainsFunc(s.roles, func(r AppRole) bool { return r.ID == appRoleID }) {
		return "", fmt.Errorf("%w: appRoleId %q is not a role of the application", ErrInvalid, appRoleID)
	}
	typ := ""
	if u := s.userByID[principalID]; u != nil && u.state == stateLive {
		typ = "User"
	} else if g := s.groupByID[principalID]; g != nil && g.state == stateLive {
		typ = "Group"
	} else {
		return "", fmt.Errorf("%w: principal %q", ErrNotFound, principalID)
	}
	for _, a := range s.assigns {
		if !a.removed && a.principalID == principalID && a.appRoleID == appRoleID {
			return "", fmt.Errorf("%w: permission being assigned already exists on the object", ErrConflict)
		}
	}
	s.seq++
	a := &assignment{id: assignmentIDFrom(s.idRand), appRoleID: appRoleID, principalID: principalID, principalType: typ,
		created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.seq) * time.Second)}
	s.assigns = append(s.assigns, a)
	s.assignByID[a.id] = a
	return a.id, nil
}

// RemoveAssignment removes an app-role assignment by id.
func (s *Server) RemoveAssignment(assignmentID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.assignByID[assignmentID]
	if a == nil || a.removed {
		return fmt.Errorf("%w: appRoleAssignment %q", ErrNotFound, assignmentID)
	}
	s.seq++
	a.removed = true
	return nil
}

// User returns a copy of a live user's properties, id included.
func (s *Server) User(id string) (map[string]any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.userByID[id]
	if u == nil || u.state != stateLive {
		return nil, fmt.Errorf("%w: user %q", ErrNotFound, id)
	}
	out := maps.Clone(u.props)
	out["id"] = u.id
	return out, nil
}

// UserIDs returns the ids of the live users in creation order.
func (s *Server) UserIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.users))
	for _, u := range s.users {
		if u.state == stateLive {
			out = append(out, u.id)
		}
	}
	return out
}

// GroupIDs returns the ids of the groups in creation order.
func (s *Server) GroupIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.groups))
	for _, g := range s.groups {
		if g.state == stateLive {
			out = append(out, g.id)
		}
	}
	return out
}

// GroupMembers returns the ids of a group's live direct members (users and
// groups) and, in a second slice, which of them are groups.
func (s *Server) GroupMembers(groupID string) (users, groups []string, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.groupByID[groupID]
	if g == nil || g.state != stateLive {
		return nil, nil, fmt.Errorf("%w: group %q", ErrNotFound, groupID)
	}
	for _, m := range g.members {
		switch {
		case !s.memberLive(m):
		case m.group:
			groups = append(groups, m.id)
		default:
			users = append(users, m.id)
		}
	}
	return users, groups, nil
}

// Assignments returns the app-role assignments whose principal is live,
// in creation order.
func (s *Server) Assignments() []Assignment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Assignment, 0, len(s.assigns))
	for _, a := range s.assigns {
		if _, live := s.principalName(a); live && !a.removed {
			out = append(out, Assignment{ID: a.id, AppRoleID: a.appRoleID, PrincipalID: a.principalID, PrincipalType: a.principalType})
		}
	}
	return out
}

// AppRoles returns the app roles the Druva service principal defines
// (Default Access is not among them, as in Graph).
func (s *Server) AppRoles() []AppRole {
	return slices.Clone(s.roles)
}
