package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/druvascim/druvascim/scim"
)

// Set is a set of mappings for one object type, with its scoping filter
// and the target paths an object must have (an attribute-mapping blade of
// Entra). Build one with [NewSet], [DruvaDefault], [ParseSet], [LoadSet]
// or [ImportEntraSchema]. A Set is immutable: it is validated and compiled
// (expressions parsed, target paths resolved, regular expressions
// compiled) when it is built, and its builders ([Set.With],
// [Set.Replace], [Set.Without], [Set.WithOptions]) return a new Set. It is
// safe for concurrent use.
//
// The zero Set is not usable: its methods report that it was not built.
type Set struct {
	cfg      setConfig
	mappings []Mapping
	c        *compiledSet
}

// Limits on the size of a set, so that a damaged or hostile mapping file
// is refused before it costs much memory. Entra's own attribute-mapping
// blade holds a few dozen mappings.
const (
	// maxMappings is the most mappings a set may hold.
	maxMappings = 500
	// maxScopeClauses is the most clauses a scoping filter may hold, over
	// all its groups.
	maxScopeClauses = 500
)

// setConfig is what the options of [NewSet] set.
type setConfig struct {
	name         string
	object       string
	scope        ScopingFilter
	required     []string
	regexTimeout time.Duration
}

// SetOption configures [NewSet] and [Set.WithOptions].
type SetOption func(*setConfig) error

// WithName names the set (shown in reports and validation errors).
func WithName(name string) SetOption {
	return func(c *setConfig) error {
		c.name = name
		return nil
	}
}

// WithObject sets the source object type: "User" (the default) or "Group".
func WithObject(object string) SetOption {
	return func(c *setConfig) error {
		switch {
		case strings.EqualFold(object, "User"), object == "":
			c.object = "User"
		case strings.EqualFold(object, "Group"):
			c.object = "Group"
		default:
			return fmt.Errorf("mapping: WithObject: %q is not an object type (use User or Group)", object)
		}
		return nil
	}
}

// WithScope sets the scoping filter; an empty filter puts every object in
// scope. Build clauses with [Equals], [In] and the other clause
// constructors.
func WithScope(f ScopingFilter) SetOption {
	return func(c *setConfig) error {
		n := 0
		for _, g := range f {
			n += len(g)
		}
		if n > maxScopeClauses {
			return fmt.Errorf("mapping: WithScope: the filter has %d clauses; at most %d are allowed", n, maxScopeClauses)
		}
		c.scope = cloneScope(f)
		return nil
	}
}

// WithRequired sets the target paths an object must have a value for to
// be sent; [Set.Map] lists the missing ones in Mapped.Missing. It replaces
// the list, so WithRequired() with no paths clears it.
func WithRequired(paths ...string) SetOption {
	return func(c *setConfig) error {
		c.required = slices.Clone(paths)
		return nil
	}
}

// WithRegexTimeout sets how long one regular-expression match may run, in
// scoping clauses and in expressions (default [DefaultRegexTimeout]). A
// match that runs longer fails that object only, with [ErrRegexTimeout].
func WithRegexTimeout(d time.Duration) SetOption {
	return func(c *setConfig) error {
		if d <= 0 {
			return fmt.Errorf("mapping: WithRegexTimeout: %v is not a positive duration", d)
		}
		c.regexTimeout = d
		return nil
	}
}

// NewSet validates and compiles a mapping set. Every problem is reported
// at once in a [*ValidationError] (errors.Is [ErrInvalidSet]); a bad
// option is a plain error naming it.
func NewSet(mappings []Mapping, opts ...SetOption) (*Set, error) {
	cfg := setConfig{object: "User"}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("mapping: NewSet: nil SetOption")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return build(cfg, slices.Clone(mappings))
}

// build compiles a set from its parts, which it owns.
func build(cfg setConfig, mappings []Mapping) (*Set, error) {
	if len(mappings) > maxMappings {
		return nil, &ValidationError{Problems: []Problem{{Field: "mappings",
			Msg: fmt.Sprintf("the set has %d mappings; at most %d are allowed", len(mappings), maxMappings)}}}
	}
	s := &Set{cfg: cfg, mappings: mappings}
	c, err := compileSet(s)
	if err != nil {
		return nil, err
	}
	s.c = c
	return s, nil
}

// DruvaDefault returns the Druva gallery app's default user mapping set, as
// far as Microsoft documents it, plus the attributes Druva's own "SCIM
// mappings" filter on:
//
//	userPrincipalName      → userName (matching, precedence 1)
//	Not([IsSoftDeleted])   → active
//	displayName            → displayName
//	mail                   → emails[type eq "work"].value
//	givenName              → name.givenName
//	surname                → name.familyName
//	mailNickname           → externalId
//	department             → urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department
//	companyName            → urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization
//
// userName, displayName and the work email are Required: Druva refuses a
// user without them. A Druva SCIM mapping that filters on department uses
// the attribute "department"; one that filters on the company uses
// "organization" (the enterprise extension's name for it).
//
// Each call returns a fresh set; change it with [Set.With], [Set.Replace],
// [Set.Without] and [Set.WithOptions], which return new sets.
func DruvaDefault() *Set {
	s, err := NewSet(druvaDefaultMappings(),
		WithName("Druva default (Entra gallery app)"),
		WithRequired(druvaRequired()...))
	if err != nil {
		panic("mapping: the Druva default set is invalid: " + err.Error()) // a bug in this package; tested
	}
	return s
}

func druvaDefaultMappings() []Mapping {
	return []Mapping{
		{Target: "userName", Type: TypeDirect, Source: "userPrincipalName", Match: 1},
		{Target: "active", Type: TypeExpression, Source: "Not([IsSoftDeleted])"},
		{Target: "displayName", Type: TypeDirect, Source: "displayName"},
		{Target: `emails[type eq "work"].value`, Type: TypeDirect, Source: "mail"},
		{Target: "name.givenName", Type: TypeDirect, Source: "givenName"},
		{Target: "name.familyName", Type: TypeDirect, Source: "surname"},
		{Target: "externalId", Type: TypeDirect, Source: "mailNickname"},
		{Target: scim.EnterpriseUserSchema + ":department", Type: TypeDirect, Source: "department"},
		{Target: scim.EnterpriseUserSchema + ":organization", Type: TypeDirect, Source: "companyName"},
	}
}

// druvaRequired is Druva's documented rule: userName, displayName and an
// email are mandatory (https://docs.druva.com/Knowledge_Base/inSync/Troubleshooting/User_creation_using_SCIM_fails_with_error_-_None_of_the_SCIM_Mapping_matched_to_create_user).
func druvaRequired() []string {
	return []string{"userName", "displayName", `emails[type eq "work"].value`}
}

// Validate reports whether s is a built set: nil and the zero Set are not.
// Every set built by this package is valid, so Validate is only needed
// where a *Set comes from elsewhere.
func (s *Set) Validate() error {
	_, err := s.get()
	return err
}

func (s *Set) get() (*compiledSet, error) {
	if s == nil {
		return nil, errors.New("mapping: nil *Set")
	}
	if s.c == nil {
		return nil, errors.New("mapping: the Set was not built (use NewSet, DruvaDefault, ParseSet, LoadSet or ImportEntraSchema)")
	}
	return s.c, nil
}

// Name returns the set's name.
func (s *Set) Name() string { return s.cfg.name }

// Object returns the source object type, "User" or "Group".
func (s *Set) Object() string { return s.cfg.object }

// Mappings returns a copy of the set's mappings, in order.
func (s *Set) Mappings() []Mapping { return slices.Clone(s.mappings) }

// Scope returns a copy of the set's scoping filter.
func (s *Set) Scope() ScopingFilter { return cloneScope(s.cfg.scope) }

// Required returns the target paths an object must have a value for to be
// sent (for Druva: userName, displayName and the work email). This is the
// one home of that rule: [Set.Map] lists the paths an object lacks in
// Mapped.Missing, and the planner refuses to send such an object.
func (s *Set) Required() []string { return slices.Clone(s.cfg.required) }

// With returns a new set with mappings added at the end. A target the set
// already maps is an error: use [Set.Replace] for it.
func (s *Set) With(mappings ...Mapping) (*Set, error) {
	if _, err := s.get(); err != nil {
		return nil, err
	}
	for _, m := range mappings {
		if i := s.index(m.Target); i >= 0 {
			return nil, fmt.Errorf("mapping: With: the set already maps %s (mapping %d); use Replace to change it", m.Target, i+1)
		}
	}
	return build(s.cfg, append(slices.Clone(s.mappings), mappings...))
}

// Replace returns a new set in which m takes the place of the mapping with
// the same target (paths compare as SCIM paths: case-insensitively). A
// target the set does not map is an error: use [Set.With] for it.
func (s *Set) Replace(m Mapping) (*Set, error) {
	if _, err := s.get(); err != nil {
		return nil, err
	}
	i := s.index(m.Target)
	if i < 0 {
		return nil, fmt.Errorf("mapping: Replace: the set has no mapping to %s; use With to add one", m.Target)
	}
	ms := slices.Clone(s.mappings)
	ms[i] = m
	return build(s.cfg, ms)
}

// Without returns a new set without the mappings to the given targets. A
// target the set does not map is an error, and so is removing a Required
// target (change the list first with [Set.WithOptions] and [WithRequired]).
func (s *Set) Without(targets ...string) (*Set, error) {
	if _, err := s.get(); err != nil {
		return nil, err
	}
	ms := slices.Clone(s.mappings)
	for _, t := range targets {
		i := indexOf(ms, t)
		if i < 0 {
			return nil, fmt.Errorf("mapping: Without: the set has no mapping to %s", t)
		}
		ms = slices.Delete(ms, i, i+1)
	}
	return build(s.cfg, ms)
}

// WithOptions returns a new set with the options applied over the set's
// own name, object, scope, required paths and regex timeout.
func (s *Set) WithOptions(opts ...SetOption) (*Set, error) {
	if _, err := s.get(); err != nil {
		return nil, err
	}
	cfg := s.cfg
	cfg.scope, cfg.required = cloneScope(cfg.scope), slices.Clone(cfg.required)
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("mapping: WithOptions: nil SetOption")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return build(cfg, slices.Clone(s.mappings))
}

// index returns the position of the mapping to target, or -1.
func (s *Set) index(target string) int { return indexOf(s.mappings, target) }

func indexOf(ms []Mapping, target string) int {
	want := strings.ToLower(canonicalPath(target))
	return slices.IndexFunc(ms, func(m Mapping) bool { return strings.ToLower(canonicalPath(m.Target)) == want })
}

func cloneScope(f ScopingFilter) ScopingFilter {
	if f == nil {
		return nil
	}
	out := make(ScopingFilter, len(f))
	for gi, g := range f {
		out[gi] = make([]Clause, len(g))
		for i, cl := range g {
			out[gi][i] = cl
			if cl.Value != nil {
				v := *cl.Value
				out[gi][i].Value = &v
			}
		}
	}
	return out
}
