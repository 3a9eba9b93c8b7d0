package druva

import (
	"reflect"
	"testing"

	"github.com/druvascim/druvascim/scim"
	"github.com/google/go-cmp/cmp"
)

// TestCheckUserSchemas: the core User schema is added to "schemas" (under
// the key the user spells it with) on a copy, and a user that lists it is
// sent as it is, without a copy; the caller's user is never modified.
func TestCheckUserSchemas(t *testing.T) {
	base := func() scim.Resource {
		return scim.Resource{"userName": "a@x.example", "displayName": "A",
			"emails": []any{map[string]any{"type": "work", "value": "a@x.example"}}}
	}
	with := func(k string, v any) scim.Resource { r := base(); r[k] = v; return r }
	for name, c := range map[string]struct {
		in       scim.Resource
		key      string
		want     []any
		sameCopy bool
	}{
		"missing":             {base(), "schemas", []any{scim.UserSchema}, false},
		"listed":              {with("schemas", []any{scim.UserSchema, scim.EnterpriseUserSchema}), "schemas", []any{scim.UserSchema, scim.EnterpriseUserSchema}, true},
		"listed, other case":  {with("Schemas", []any{"URN:ietf:params:scim:schemas:core:2.0:user"}), "Schemas", []any{"URN:ietf:params:scim:schemas:core:2.0:user"}, true},
		"not listed":          {with("Schemas", []any{scim.EnterpriseUserSchema}), "Schemas", []any{scim.UserSchema, scim.EnterpriseUserSchema}, false},
		"strings, not listed": {with("schemas", []string{scim.EnterpriseUserSchema}), "schemas", []any{scim.UserSchema, scim.EnterpriseUserSchema}, false},
	} {
		before := c.in.Clone()
		got, err := checkUser("CreateUser", c.in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := cmp.Diff(c.want, got[c.key]); d != "" {
			t.Errorf("%s: %s (-want +got):\n%s", name, c.key, d)
		}
		if same := reflect.ValueOf(got).Pointer() == reflect.ValueOf(c.in).Pointer(); same != c.sameCopy {
			t.Errorf("%s: returned the caller's map: %v, want %v", name, same, c.sameCopy)
		}
		if d := cmp.Diff(before, c.in); d != "" {
			t.Errorf("%s: the caller's user was modified (-before +after):\n%s", name, d)
		}
	}
}
