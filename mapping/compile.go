package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/druvascim/druvascim/scim"
)

// maxRegexes is the most regular-expression literals one set may compile,
// in its expressions and scoping clauses together: compiling one costs
// kilobytes, so a set is refused before a hostile file costs gigabytes.
const maxRegexes = 500

// compiler validates a set and builds its compiled form, collecting every
// problem rather than stopping at the first.
type compiler struct {
	c            *compiledSet
	problems     []Problem
	group        bool
	regexTimeout time.Duration
	regexes      int               // regular expressions compiled so far
	seen         map[string]int    // canonical target path → mapping index
	attrSpelling map[string]string // first spelling of each target attribute
	precedence   map[int]int       // matching precedence → mapping index
}

// add records a problem of mapping i (-1: the set itself).
func (k *compiler) add(i int, target, field, format string, args ...any) {
	k.problems = append(k.problems, Problem{Mapping: i + 1, Target: target, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// compileSet checks s and compiles it; every problem is reported at once
// in a [*ValidationError].
func compileSet(s *Set) (*compiledSet, error) {
	k := &compiler{
		c:            &compiledSet{schema: any(scim.UserSchema), regexTimeout: s.cfg.regexTimeout},
		group:        strings.EqualFold(s.cfg.object, "Group"),
		regexTimeout: s.cfg.regexTimeout,
		seen:         map[string]int{},
		attrSpelling: map[string]string{},
		precedence:   map[int]int{},
	}
	if k.group {
		k.c.schema = any(scim.GroupSchema)
	}
	for i, m := range s.mappings {
		k.c.mappings = append(k.c.mappings, k.mapping(i, m))
	}
	k.keys()
	k.required(s.cfg.required)
	k.scope(s.cfg.scope)
	if len(k.problems) > 0 {
		return nil, &ValidationError{Problems: k.problems}
	}
	k.c.layout()
	return k.c, nil
}

// mapping checks and compiles one mapping.
func (k *compiler) mapping(i int, m Mapping) compiledMapping {
	cm := compiledMapping{m: m, always: m.Apply == "" || m.Apply == ApplyAlways, matchAt: m.Match}
	if m.Apply != "" && m.Apply != ApplyAlways && m.Apply != ApplyOnCreate {
		k.add(i, m.Target, "apply", "unknown value %q (use Always or OnCreate)", m.Apply)
	}
	t, targetOK := k.target(i, m)
	cm.target = t
	cm.expr = k.source(i, m)
	if m.Default != "" {
		cm.def, cm.hasDef = stringValue(m.Default), true
	}
	k.match(i, m, t, targetOK)
	return cm
}

// target resolves a mapping's target path and checks it is mapped once.
func (k *compiler) target(i int, m Mapping) (compiledTarget, bool) {
	t, msg := compileTarget(m.Target, k.group)
	if msg != "" {
		k.add(i, m.Target, "target", "%s", msg)
		return t, false
	}
	key := strings.ToLower(t.urn + "\x00" + t.attr)
	if sp, ok := k.attrSpelling[key]; ok {
		t.attr = sp
	} else {
		k.attrSpelling[key] = t.attr
	}
	canon := strings.ToLower(canonicalPath(m.Target))
	if j, dup := k.seen[canon]; dup {
		k.add(i, m.Target, "target", "mapping %d already maps this target", j+1)
	} else {
		k.seen[canon] = i
	}
	return t, true
}

// source checks a mapping's type and source; it parses an expression.
func (k *compiler) source(i int, m Mapping) *Expression {
	switch m.Type {
	case TypeDirect:
		if strings.TrimSpace(m.Source) == "" {
			k.add(i, m.Target, "source", "a Direct mapping needs a source attribute name")
		} else if strings.ContainsAny(m.Source, "[]()\"") {
			k.add(i, m.Target, "source", "%q is not an attribute name (write expressions with type Expression)", m.Source)
		}
	case TypeConstant:
	case TypeExpression:
		return k.expression(i, m)
	case TypeNone:
		if m.Source != "" {
			k.add(i, m.Target, "source", "a None mapping has no source")
		}
		if m.Match > 0 {
			k.add(i, m.Target, "match", "a None mapping gives no value to match on")
		}
	default:
		k.add(i, m.Target, "type", "unknown mapping type %q (use Direct, Constant, Expression or None)", m.Type)
	}
	return nil
}

func (k *compiler) expression(i int, m Mapping) *Expression {
	e, err := parse(m.Source, k.regexTimeout, &k.regexes)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			k.add(i, m.Target, "source", "line %d, column %d: %s", se.Line, se.Column, se.Msg)
		} else {
			k.add(i, m.Target, "source", "%v", err)
		}
		return nil
	}
	if e.root.kind == nCall && e.root.name == "SelectUniqueValue" {
		if m.Match > 0 {
			k.add(i, m.Target, "match", "a SelectUniqueValue mapping cannot be a matching attribute")
		}
		if m.Apply != ApplyOnCreate {
			k.add(i, m.Target, "apply", "a SelectUniqueValue mapping must apply OnCreate (Entra: only during object creation)")
		}
	}
	return e
}

// match checks a mapping's matching precedence.
func (k *compiler) match(i int, m Mapping, t compiledTarget, targetOK bool) {
	if m.Match < 0 {
		k.add(i, m.Target, "match", "precedence %d is negative", m.Match)
	}
	if m.Match <= 0 {
		return
	}
	if j, dup := k.precedence[m.Match]; dup {
		k.add(i, m.Target, "match", "precedence %d is also used by mapping %d", m.Match, j+1)
	}
	k.precedence[m.Match] = i
	if targetOK && !filterable(t) {
		k.add(i, m.Target, "match", "%s cannot be a matching attribute: the target must be filterable (userName, externalId, displayName or an emails value)", m.Target)
	}
}

// keys orders the matching mappings by precedence.
func (k *compiler) keys() {
	c := k.c
	for i, cm := range c.mappings {
		if cm.matchAt > 0 {
			c.keys = append(c.keys, i)
		}
	}
	slices.SortStableFunc(c.keys, func(a, b int) int { return c.mappings[a].matchAt - c.mappings[b].matchAt })
	if len(c.keys) == 0 {
		k.add(-1, "", "match", "no matching attribute: at least one mapping needs a matching precedence")
	}
}

// required resolves each required path to the mapping that writes it.
func (k *compiler) required(paths []string) {
	for _, r := range paths {
		if _, err := scim.ParsePath(r); err != nil {
			k.add(-1, "", "required", "%q: %v", r, err)
			continue
		}
		j, ok := k.seen[strings.ToLower(canonicalPath(r))]
		if !ok {
			k.add(-1, "", "required", "%q is required but no mapping writes it", r)
			continue
		}
		k.c.required = append(k.c.required, j)
		k.c.reqText = append(k.c.reqText, r)
	}
}

// scope compiles the scoping filter, reporting every bad clause.
func (k *compiler) scope(f ScopingFilter) {
	for gi, g := range f {
		var cg []compiledClause
		for ci, cl := range g {
			if cl.Operator == opRegexMatch || cl.Operator == opNotRegexMatch {
				if k.regexes++; k.regexes > maxRegexes {
					k.add(-1, "", fmt.Sprintf("scope[%d][%d]", gi, ci), "more than %d regular expressions in one set", maxRegexes)
					continue
				}
			}
			cc, err := compileClause(cl, k.regexTimeout)
			if err != nil {
				k.add(-1, "", fmt.Sprintf("scope[%d][%d]", gi, ci), "%v", err)
				continue
			}
			cc.group, cc.index = gi+1, ci+1
			cg = append(cg, cc)
		}
		k.c.scope = append(k.c.scope, cg)
	}
}
