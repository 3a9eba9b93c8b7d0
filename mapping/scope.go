package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// Scoping-filter operators, spelled exactly as Entra spells them.
const (
	opEquals              = "EQUALS"
	opNotEquals           = "NOT EQUALS"
	opIsTrue              = "IS TRUE"
	opIsFalse             = "IS FALSE"
	opIsNull              = "IS NULL"
	opIsNotNull           = "IS NOT NULL"
	opRegexMatch          = "REGEX MATCH"
	opNotRegexMatch       = "NOT REGEX MATCH"
	opGreaterThan         = "Greater_Than"
	opGreaterThanOrEquals = "Greater_Than_OR_EQUALS"
	opIncludes            = "Includes"
	opEndsWith            = "ENDS_WITH"
	opIn                  = "&"
	opNotIn               = "!&"
)

// Operators returns every scoping-filter operator.
func operators() []string {
	return []string{opIn, opNotIn, opEndsWith, opEquals, opGreaterThan, opGreaterThanOrEquals, opIncludes,
		opIsFalse, opIsNotNull, opIsNull, opIsTrue, opNotEquals, opNotRegexMatch, opRegexMatch}
}

// ErrScope matches every error about a malformed scoping filter.
var ErrScope = errors.New("mapping: invalid scoping filter")

// Clause is one condition of a scoping filter: a source attribute, an
// operator (see the Op constants) and, for binary operators, a value.
type Clause struct {
	Attribute string  `json:"attribute" yaml:"attribute"`
	Operator  string  `json:"operator" yaml:"operator"`
	Value     *string `json:"value" yaml:"value,omitempty"`
}

// ScopingFilter decides which source objects are in scope. The outer slice
// is an OR of groups; each group is an AND of clauses. An empty filter puts
// everything in scope.
//
// The null rule: a clause over an absent or empty attribute is false,
// except IS NULL (true). Multi-valued attributes cannot be filtered on.
// Greater_Than and Greater_Than_OR_EQUALS compare integers only (an
// attribute that is not an integer fails the clause). REGEX MATCH uses .NET
// regular expressions, unanchored, case-sensitive. "&" is true when the
// attribute equals one of the comma-separated items of the clause's value,
// "!&" when it equals none of them (items are trimmed; comparison is
// case-sensitive).
type ScopingFilter [][]Clause

// Matches reports whether attrs are in scope. A malformed clause (unknown
// operator, missing value, invalid regular expression, non-integer value
// for Greater_Than) or a multi-valued attribute is an error wrapping
// [ErrScope]. For many objects, compile the filter once through a [Set]
// ([Set.InScope]) instead.
func (f ScopingFilter) Matches(attrs Attributes) (bool, error) {
	cf, err := compileScope(f)
	if err != nil {
		return false, err
	}
	return cf.matches(attrs)
}

// Clause constructors: each builds one clause with the operator spelled as
// Entra spells it. Put clauses in a group to AND them, and groups in a
// [ScopingFilter] to OR them:
//
//	mapping.ScopingFilter{{mapping.In("department", "Sales", "Finance"), mapping.IsTrue("accountEnabled")}}
//
// A clause is checked when the set is built ([NewSet], [WithScope]).

// Equals: the attribute is exactly value (case-sensitive).
func Equals(attribute, value string) Clause { return binary(attribute, opEquals, value) }

// NotEquals: the attribute has a value other than value.
func NotEquals(attribute, value string) Clause { return binary(attribute, opNotEquals, value) }

// In: the attribute is one of values ("&" in Entra's spelling). A value may
// not contain a comma.
func In(attribute string, values ...string) Clause {
	return binary(attribute, opIn, strings.Join(values, ","))
}

// NotIn: the attribute has a value that is none of values ("!&").
func NotIn(attribute string, values ...string) Clause {
	return binary(attribute, opNotIn, strings.Join(values, ","))
}

// IsTrue: the attribute is the Boolean true.
func IsTrue(attribute string) Clause { return Clause{Attribute: attribute, Operator: opIsTrue} }

// IsFalse: the attribute is the Boolean false.
func IsFalse(attribute string) Clause { return Clause{Attribute: attribute, Operator: opIsFalse} }

// IsNull: the attribute is absent or empty.
func IsNull(attribute string) Clause { return Clause{Attribute: attribute, Operator: opIsNull} }

// IsNotNull: the attribute has a value.
func IsNotNull(attribute string) Clause { return Clause{Attribute: attribute, Operator: opIsNotNull} }

// RegexMatch: the attribute matches the .NET regular expression pattern
// (unanchored, case-sensitive).
func RegexMatch(attribute, pattern string) Clause { return binary(attribute, opRegexMatch, pattern) }

// NotRegexMatch: the attribute has a value the pattern does not match.
func NotRegexMatch(attribute, pattern string) Clause {
	return binary(attribute, opNotRegexMatch, pattern)
}

// GreaterThan: the attribute is an integer greater than n.
func GreaterThan(attribute string, n int64) Clause {
	return binary(attribute, opGreaterThan, strconv.FormatInt(n, 10))
}

// GreaterThanOrEquals: the attribute is an integer of at least n.
func GreaterThanOrEquals(attribute string, n int64) Clause {
	return binary(attribute, opGreaterThanOrEquals, strconv.FormatInt(n, 10))
}

// Includes: the attribute contains value.
func Includes(attribute, value string) Clause { return binary(attribute, opIncludes, value) }

// EndsWith: the attribute ends with value.
func EndsWith(attribute, value string) Clause { return binary(attribute, opEndsWith, value) }

func binary(attribute, op, value string) Clause {
	return Clause{Attribute: attribute, Operator: op, Value: &value}
}

type compiledClause struct {
	group  int // 1-based position, for errors
	index  int
	clause Clause
	attr   string
	op     string
	value  string
	num    int64
	items  []string
	re     *regexp2.Regexp
}

type compiledScope [][]compiledClause

func compileScope(f ScopingFilter) (compiledScope, error) {
	out := make(compiledScope, len(f))
	for gi, g := range f {
		out[gi] = make([]compiledClause, len(g))
		for ci, c := range g {
			cc, err := compileClause(c, 0)
			if err != nil {
				return nil, fmt.Errorf("%w: group %d clause %d: %v", ErrScope, gi+1, ci+1, err)
			}
			cc.group, cc.index = gi+1, ci+1
			out[gi][ci] = cc
		}
	}
	return out, nil
}

func unaryOp(op string) bool {
	switch op {
	case opIsTrue, opIsFalse, opIsNull, opIsNotNull:
		return true
	}
	return false
}

func compileClause(c Clause, regexTimeout time.Duration) (compiledClause, error) {
	cc := compiledClause{attr: c.Attribute, op: c.Operator, clause: c}
	if strings.TrimSpace(c.Attribute) == "" {
		return cc, errors.New("the attribute is empty")
	}
	known := false
	for _, op := range operators() {
		if op == c.Operator {
			known = true
		}
	}
	if !known {
		msg := fmt.Sprintf("unknown operator %q", c.Operator)
		if n := normalizeOperator(c.Operator); n != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", n)
		}
		return cc, errors.New(msg)
	}
	if unaryOp(c.Operator) {
		if c.Value != nil && *c.Value != "" {
			return cc, fmt.Errorf("operator %s takes no value", c.Operator)
		}
		return cc, nil
	}
	if c.Value == nil {
		return cc, fmt.Errorf("operator %s needs a value", c.Operator)
	}
	cc.value = *c.Value
	switch c.Operator {
	case opRegexMatch, opNotRegexMatch:
		re, err := compileRegex(cc.value, regexTimeout)
		if err != nil {
			return cc, fmt.Errorf("invalid regular expression %q: %v", cc.value, err)
		}
		cc.re = re
	case opGreaterThan, opGreaterThanOrEquals:
		n, err := strconv.ParseInt(strings.TrimSpace(cc.value), 10, 64)
		if err != nil {
			return cc, fmt.Errorf("operator %s compares integers; %q is not one", c.Operator, cc.value)
		}
		cc.num = n
	case opIn, opNotIn:
		for _, it := range strings.Split(cc.value, ",") {
			cc.items = append(cc.items, strings.TrimSpace(it))
		}
	}
	return cc, nil
}

// normalizeOperator maps the spellings found in exported schemas and
// hand-written files ("IsNotNull", "not_equals", "GREATER_THAN") to the
// Entra spelling; it returns "" for an unknown operator.
func normalizeOperator(op string) string {
	key := strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(op)))
	for _, o := range operators() {
		k := strings.Map(func(r rune) rune {
			if r == ' ' || r == '_' {
				return -1
			}
			return r
		}, strings.ToUpper(o))
		if k == key {
			return o
		}
	}
	switch key {
	case "EQ", "EQUAL":
		return opEquals
	case "NE", "NOTEQUAL":
		return opNotEquals
	case "CONTAINS", "INCLUDE":
		return opIncludes
	case "ENDSWITH":
		return opEndsWith
	case "GT":
		return opGreaterThan
	case "GE", "GTE", "GREATERTHANOREQUAL":
		return opGreaterThanOrEquals
	case "ISNOTEMPTY":
		return opIsNotNull
	case "ISEMPTY":
		return opIsNull
	}
	return ""
}

func (cs compiledScope) matches(attrs Attributes) (bool, error) {
	if len(cs) == 0 {
		return true, nil
	}
	for _, g := range cs {
		all := true
		for i := range g {
			ok, err := g[i].matches(attrs)
			if err != nil {
				return false, err
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func (c *compiledClause) matches(attrs Attributes) (bool, error) {
	v, err := valueOf(attrs[c.attr])
	if err != nil {
		return false, c.fail(fmt.Errorf("%w: %v", ErrBadAttribute, err))
	}
	if v.kind == KindMulti {
		return false, c.fail(errors.New("the attribute is multi-valued; scoping filters cannot use multi-valued attributes"))
	}
	empty := v.isEmpty()
	switch c.op {
	case opIsNull:
		return empty, nil
	case opIsNotNull:
		return !empty, nil
	}
	if empty {
		return false, nil
	}
	switch c.op {
	case opIsTrue, opIsFalse:
		b, ok := v.asBool()
		return ok && b == (c.op == opIsTrue), nil
	case opEquals, opNotEquals:
		eq := v.String() == c.value
		if v.kind == KindBool {
			if b, ok := stringValue(c.value).asBool(); ok {
				eq = b == (v.n != 0)
			}
		}
		return eq == (c.op == opEquals), nil
	case opRegexMatch, opNotRegexMatch:
		m, err := c.re.MatchString(v.String())
		if err != nil {
			return false, c.fail(regexFailure(c.re, err))
		}
		return m == (c.op == opRegexMatch), nil
	case opGreaterThan, opGreaterThanOrEquals:
		n, ok := v.asInt()
		if !ok {
			return false, nil
		}
		if c.op == opGreaterThan {
			return n > c.num, nil
		}
		return n >= c.num, nil
	case opIncludes:
		return strings.Contains(v.String(), c.value), nil
	case opEndsWith:
		return strings.HasSuffix(v.String(), c.value), nil
	case opIn, opNotIn:
		s := v.String()
		found := false
		for _, it := range c.items {
			if it == s {
				found = true
				break
			}
		}
		return found == (c.op == opIn), nil
	}
	return false, c.fail(fmt.Errorf("unknown operator %q", c.op))
}

// fail wraps a failure to evaluate this clause for one object.
func (c *compiledClause) fail(err error) error {
	return &ScopeError{Group: c.group, Index: c.index, Clause: c.clause, Err: err}
}

// ScopeError is a scoping clause that could not be evaluated for one
// object: an attribute value of the wrong kind, or a REGEX MATCH that ran
// past its timeout ([ErrRegexTimeout]). It is that object's failure, not
// the set's: the caller skips the object with this reason and goes on
// with the others. It matches [ErrScope] with errors.Is, and its cause
// (ErrRegexTimeout, ErrBadAttribute) too.
type ScopeError struct {
	Group, Index int    // the clause's position: group and clause, counted from 1
	Clause       Clause // the clause
	Err          error  // the cause
}

// Error names the clause and the cause; it never quotes the value.
func (e *ScopeError) Error() string {
	return fmt.Sprintf("mapping: scoping filter group %d clause %d (%s %s): %s",
		e.Group, e.Index, e.Clause.Attribute, e.Clause.Operator, causeText(e.Err))
}

// Unwrap returns the cause.
func (e *ScopeError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrScope].
func (e *ScopeError) Is(target error) bool { return target == ErrScope }
