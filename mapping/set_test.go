package mapping

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Druva's documented rule: userName, displayName and an email are
// mandatory. The default set's Required list is exactly that.
func TestDruvaDefaultRequiredIsDruvasRule(t *testing.T) {
	want := []string{"userName", "displayName", `emails[type eq "work"].value`}
	if diff := cmp.Diff(want, DruvaDefault().Required()); diff != "" {
		t.Errorf("Required (-Druva's rule +set):\n%s", diff)
	}
	m, err := DruvaDefault().Map(context.Background(), Attributes{"userPrincipalName": "a@b.example"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1:], m.Missing); diff != "" {
		t.Errorf("Missing for a user with only a UPN:\n%s", diff)
	}
}

func TestDruvaDefaultIsFresh(t *testing.T) {
	a, b := DruvaDefault(), DruvaDefault()
	if a == b {
		t.Fatal("DruvaDefault returned the same set twice")
	}
	ms := a.Mappings()
	ms[0].Source = "changed"
	req := a.Required()
	req[0] = "changed"
	if a.Mappings()[0].Source != "userPrincipalName" || a.Required()[0] != "userName" {
		t.Error("changing what the accessors return changed the set")
	}
}

func TestSetBuilders(t *testing.T) {
	base := DruvaDefault()
	title := Mapping{Target: "title", Type: TypeDirect, Source: "jobTitle"}
	withTitle, err := base.With(title)
	if err != nil {
		t.Fatal(err)
	}
	if len(withTitle.Mappings()) != len(base.Mappings())+1 || slices.Contains(base.SourceAttributes(), "jobTitle") {
		t.Errorf("With: %d mappings; base changed: %v", len(withTitle.Mappings()), base.SourceAttributes())
	}
	if _, err := withTitle.With(title); err == nil || !strings.Contains(err.Error(), "use Replace") {
		t.Errorf("With of a mapped target: %v", err)
	}
	replaced, err := withTitle.Replace(Mapping{Target: "TITLE", Type: TypeConstant, Source: "Staff"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := replaced.Map(context.Background(), realisticUser())
	if err != nil || m.Resource["title"] != "Staff" && m.Resource["TITLE"] != "Staff" {
		t.Errorf("Replace: title %v, %v", m.Resource["title"], err)
	}
	if _, err := base.Replace(title); err == nil || !strings.Contains(err.Error(), "use With") {
		t.Errorf("Replace of an unmapped target: %v", err)
	}
	without, err := base.Without("externalId", "name.givenName")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(without.Mappings()); got != len(base.Mappings())-2 {
		t.Errorf("Without: %d mappings", got)
	}
	if _, err := base.Without("title"); err == nil {
		t.Error("Without of an unmapped target succeeded")
	}
	if _, err := base.Without("displayName"); !errors.Is(err, ErrInvalidSet) {
		t.Errorf("Without of a Required target: %v", err)
	}
	scoped, err := base.WithOptions(WithScope(ScopingFilter{{In("department", "Sales", "Finance")}}))
	if err != nil {
		t.Fatal(err)
	}
	for dept, want := range map[string]bool{"Sales": true, "Finance": true, "Legal": false} {
		if in, err := scoped.InScope(Attributes{"department": dept}); err != nil || in != want {
			t.Errorf("In: %s in scope = %v, %v", dept, in, err)
		}
	}
	if _, err := base.With(Mapping{Target: "nosuch", Type: TypeDirect, Source: "x"}); !errors.Is(err, ErrInvalidSet) {
		t.Errorf("With of an invalid mapping: %v", err)
	}
}

func TestClauseConstructors(t *testing.T) {
	attrs := Attributes{"department": "Sales", "enabled": true, "level": 7, "upn": "ext.zoe@contoso.com", "empty": ""}
	for _, tc := range []struct {
		c    Clause
		want bool
	}{
		{Equals("department", "Sales"), true}, {NotEquals("department", "Sales"), false},
		{In("department", "Legal", "Sales"), true}, {NotIn("department", "Legal", "Sales"), false},
		{IsTrue("enabled"), true}, {IsFalse("enabled"), false},
		{IsNull("empty"), true}, {IsNotNull("department"), true},
		{RegexMatch("upn", `^ext\.`), true}, {NotRegexMatch("upn", `^ext\.`), false},
		{GreaterThan("level", 7), false}, {GreaterThanOrEquals("level", 7), true},
		{Includes("upn", "zoe"), true}, {EndsWith("upn", "@contoso.com"), true},
	} {
		got, err := ScopingFilter{{tc.c}}.Matches(attrs)
		if err != nil || got != tc.want {
			t.Errorf("%+v: %v, %v; want %v", tc.c, got, err, tc.want)
		}
	}
}

func TestTargetHints(t *testing.T) {
	for target, hint := range map[string]string{
		"jobTitle":       "did you mean title?",
		"employeeNumber": "did you mean urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber?",
	} {
		_, err := DruvaDefault().With(Mapping{Target: target, Type: TypeDirect, Source: "x"})
		if err == nil || !strings.Contains(err.Error(), hint) {
			t.Errorf("target %s: %v; want a hint %q", target, err, hint)
		}
	}
}

// SourceAttributes is exact: mapping with only those attributes gives the
// same result as mapping with every attribute, and each listed attribute
// changes some result when it is taken away.
func TestSourceAttributesExact(t *testing.T) {
	set, err := DruvaDefault().With(
		Mapping{Target: "title", Type: TypeExpression, Source: `Join(" ", [jobTitle], [officeLocation])`},
		Mapping{Target: "nickName", Type: TypeNone, Default: "n"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if set, err = set.WithOptions(WithScope(ScopingFilter{{IsNotNull("employeeType")}})); err != nil {
		t.Fatal(err)
	}
	full := realisticUser()
	full["employeeType"] = "Employee"
	full["officeLocation"] = "Vienna"
	full["IsSoftDeleted"] = true
	full["unrelated"] = "x"
	eval := func(a Attributes) (bool, Mapped) {
		in, err := set.InScope(a)
		if err != nil {
			t.Fatal(err)
		}
		m, err := set.Map(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		return in, m
	}
	wantIn, want := eval(full)
	src := set.SourceAttributes()
	only := Attributes{}
	for _, a := range src {
		only[a] = full[a]
	}
	if in, got := eval(only); in != wantIn || !cmp.Equal(want, got) {
		t.Errorf("mapping with only %v differs:\n%s", src, cmp.Diff(want, got))
	}
	for _, a := range src {
		less := maps.Clone(full)
		delete(less, a)
		if in, got := eval(less); in == wantIn && cmp.Equal(want, got) {
			t.Errorf("%s is listed but nothing depends on it", a)
		}
	}
}

// A REGEX MATCH clause that times out on one object's value is that
// object's failure: a *ScopeError naming the attribute and the clause,
// matching ErrRegexTimeout. Other objects are evaluated as usual.
func TestScopeRegexTimeoutIsOneObjectsFailure(t *testing.T) {
	set, err := DruvaDefault().WithOptions(
		WithScope(ScopingFilter{{IsNotNull("mail"), RegexMatch("department", `^(a+)+$`)}}),
		WithRegexTimeout(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	evil := Attributes{"mail": "m@x", "department": strings.Repeat("a", 40) + "!"}
	_, err = set.InScope(evil)
	var se *ScopeError
	if !errors.As(err, &se) || !errors.Is(err, ErrRegexTimeout) || !errors.Is(err, ErrScope) {
		t.Fatalf("InScope: %v; want a *ScopeError matching ErrRegexTimeout", err)
	}
	if se.Clause.Attribute != "department" || se.Group != 1 || se.Index != 2 ||
		!strings.Contains(err.Error(), "department REGEX MATCH") || strings.Contains(err.Error(), "aaaa") {
		t.Errorf("error %q (%+v) must name the attribute and clause, not the value", err, se)
	}
	if in, err := set.InScope(Attributes{"mail": "m@x", "department": "aaa"}); err != nil || !in {
		t.Errorf("an ordinary value: %v, %v", in, err)
	}
	if _, err := DruvaDefault().WithOptions(WithRegexTimeout(0)); err == nil {
		t.Error("WithRegexTimeout(0) accepted")
	}
}

// Type None leaves the target attribute alone, but fills its default
// whenever the target has no value: on create, and on update when the
// target object lacks it. A default of another type is used on create
// only. (Microsoft Learn, "Customize user provisioning attribute-mappings".)
func TestNoneFillsEmptyTargetDefaultOnCreateOnly(t *testing.T) {
	set, err := DruvaDefault().With(
		Mapping{Target: "preferredLanguage", Type: TypeNone, Default: "en-US"},
		Mapping{Target: "title", Type: TypeDirect, Source: "jobTitle", Default: "Staff"},
	)
	if err != nil {
		t.Fatal(err)
	}
	user := realisticUser()
	delete(user, "jobTitle")
	m, err := set.Map(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if m.Resource["preferredLanguage"] != "en-US" || m.Resource["title"] != "Staff" {
		t.Errorf("create form: preferredLanguage %v, title %v", m.Resource["preferredLanguage"], m.Resource["title"])
	}
	want := []Assignment{{Path: "preferredLanguage", Value: "en-US"}}
	if diff := cmp.Diff(want, m.FillEmpty); diff != "" {
		t.Errorf("FillEmpty:\n%s", diff)
	}
	has := func(as []Assignment, path string) bool {
		return slices.ContainsFunc(as, func(a Assignment) bool { return a.Path == path })
	}
	if has(m.Update, "preferredLanguage") || has(m.Update, "title") {
		t.Errorf("a default is in Update: %v", m.Update)
	}
	empty := map[string]any{"userName": "x"}
	if up := m.Updates(empty); !has(up, "preferredLanguage") || has(up, "title") {
		t.Errorf("Updates against a target without the attribute: %v", up)
	}
	set2 := map[string]any{"userName": "x", "preferredLanguage": "de-AT"}
	if up := m.Updates(set2); has(up, "preferredLanguage") {
		t.Errorf("Updates against a target with a value: %v", up)
	}
}
