package druvascim

import (
	"context"
	"fmt"
	"github.com/druvascim/druvascim/mapping"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/druvascim/druvascim/scim"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const workEmail = `emails[type eq "work"].value`

// cur builds a current target user.
func cur(id, userName, display, email string, active bool) scim.Resource {
	r := scim.Resource{"id": id, "userName": userName, "displayName": display, "active": active}
	if email != "" {
		r["emails"] = []any{map[string]any{"type": "work", "value": email, "primary": true}}
	}
	return r
}

// want builds a desired object the way the Druva default mapping set would.
func want(src, userName, display, email string) Desired {
	res := scim.Resource{"schemas": []any{scim.UserSchema}, "userName": userName, "displayName": display, "active": true}
	upd := []mapping.Assignment{{Path: "userName", Value: userName}, {Path: "displayName", Value: display}}
	if email != "" {
		res["emails"] = []any{map[string]any{"type": "work", "value": email, "primary": true}}
		upd = append(upd, assignment{Path: workEmail, Value: email})
	}
	upd = append(upd, assignment{Path: "active", Value: true})
	var keys []mapping.MatchKey
	if userName != "" {
		keys = []mapping.MatchKey{{Path: "userName", Value: userName}}
	}
	return Desired{SourceID: src, DisplayName: display, Resource: res, Update: upd, Keys: keys}
}

func softDeleted(d Desired, why Reason) Desired {
	d.SoftDeleted, d.ScopeReason = true, why
	d.Update = slices.Clone(d.Update)
	for i := range d.Update {
		if d.Update[i].Path == "active" {
			d.Update[i].Value = false
		}
	}
	return d
}

func stateWith(links map[string]string) *State {
	s := newState()
	maps.Copy(s.Links, links)
	return s
}

// memTarget is a small in-memory Target used only where no HTTP behaviour is
// under test (the planner's convergence property and executor bookkeeping).
type memTarget struct {
	mu     sync.Mutex
	users  map[string]scim.Resource
	next   int
	calls  []string
	fail   func(method, id string) error // injected failures
	hidden bool                          // create succeeds but reports 409 (response lost)
}

func newMemTarget(users ...scim.Resource) *memTarget {
	m := &memTarget{users: map[string]scim.Resource{}}
	for _, u := range users {
		m.users[u.ID()] = cloneRes(u)
	}
	return m
}

func cloneRes(r scim.Resource) scim.Resource {
	var c func(v any) any
	c = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, vv := range x {
				m[k] = c(vv)
			}
			return m
		case scim.Resource:
			return c(map[string]any(x))
		case []any:
			l := make([]any, len(x))
			for i := range x {
				l[i] = c(x[i])
			}
			return l
		}
		return v
	}
	return scim.Resource(c(map[string]any(r)).(map[string]any))
}

func (m *memTarget) record(s string) { m.calls = append(m.calls, s) }

func (m *memTarget) list() []scim.Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]scim.Resource, 0, len(m.users))
	for _, k := range slices.Sorted(maps.Keys(m.users)) {
		out = append(out, cloneRes(m.users[k]))
	}
	return out
}

func (m *memTarget) ListUsers(ctx context.Context) iter.Seq2[scim.Resource, error] {
	return func(yield func(scim.Resource, error) bool) {
		for _, u := range m.list() {
			if !yield(u, nil) {
				return
			}
		}
	}
}

func (m *memTarget) FindUsers(ctx context.Context, attribute, value string) ([]scim.Resource, error) {
	m.mu.Lock()
	m.record("find " + attribute + "=" + value)
	m.mu.Unlock()
	ap, err := compilePath(attribute)
	if err != nil {
		return nil, err
	}
	var out []scim.Resource
	for _, u := range m.list() {
		if v, ok := ap.getString(u); ok && strings.EqualFold(v, value) {
			out = append(out, u)
		}
	}
	return out, nil
}

func (m *memTarget) CreateUser(ctx context.Context, u scim.Resource) (scim.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("create " + fmt.Sprint(u["userName"]))
	if m.fail != nil {
		if err := m.fail("create", fmt.Sprint(u["userName"])); err != nil {
			return nil, err
		}
	}
	for _, x := range m.users {
		if strings.EqualFold(fmt.Sprint(x["userName"]), fmt.Sprint(u["userName"])) {
			return nil, scim.NewError(409, "uniqueness", "userName taken")
		}
	}
	m.next++
	id := fmt.Sprintf("d%04d", m.next)
	c := cloneRes(u)
	c["id"] = id
	m.users[id] = c
	if m.hidden {
		return nil, scim.NewError(409, "uniqueness", "response lost, retried")
	}
	return cloneRes(c), nil
}

func (m *memTarget) PatchUser(ctx context.Context, id string, ops ...scim.PatchOperation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("patch " + id)
	if m.fail != nil {
		if err := m.fail("patch", id); err != nil {
			return err
		}
	}
	u, ok := m.users[id]
	if !ok {
		return scim.NewError(404, "", "no such user")
	}
	for _, op := range ops {
		if err := setPath(u, op.Path, op.Value); err != nil {
			return scim.NewError(400, "invalidPath", err.Error())
		}
	}
	return nil
}

// setPath sets one attribute of the test fake's user, as a PATCH would.
func setPath(u scim.Resource, path string, v any) error {
	return u.Set(path, v)
}

func (m *memTarget) DisableUser(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("disable " + id)
	if m.fail != nil {
		if err := m.fail("disable", id); err != nil {
			return err
		}
	}
	u, ok := m.users[id]
	if !ok {
		return scim.NewError(404, "", "no such user")
	}
	u["active"] = false
	return nil
}

func (m *memTarget) DeleteUser(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("delete " + id)
	if m.fail != nil {
		if err := m.fail("delete", id); err != nil {
			return err
		}
	}
	u, ok := m.users[id]
	if !ok {
		return scim.NewError(404, "", "no such user")
	}
	u["active"] = false // Druva preserves
	return nil
}

// GetUser reads one user; it records the call as a lookup by id.
func (m *memTarget) GetUser(ctx context.Context, id string) (scim.Resource, error) {
	m.mu.Lock()
	m.record("find id=" + id)
	u, ok := m.users[id]
	m.mu.Unlock()
	if !ok {
		return nil, scim.NewError(404, "", "no such user")
	}
	return cloneRes(u), nil
}

// writesOf counts a plan's operations that change the target.
func writesOf(p *Plan) int { return p.writes() }
