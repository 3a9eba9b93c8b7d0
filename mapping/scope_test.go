package mapping

import (
	"errors"
	"testing"
)

func ptr(s string) *string { return &s }

func TestScopingOperators(t *testing.T) {
	attrs := Attributes{
		"department":     "Finance",
		"empty":          "",
		"enabled":        true,
		"disabled":       false,
		"enabledText":    "True",
		"level":          7,
		"levelText":      "12",
		"upn":            "ext.bob@contoso.com",
		"employeeType":   "Vendor",
		"proxyAddresses": []string{"a", "b"},
		"score":          "high",
	}
	tests := []struct {
		attr, op string
		value    *string
		want     bool
	}{
		{"department", opEquals, ptr("Finance"), true},
		{"department", opEquals, ptr("finance"), false},
		{"missing", opEquals, ptr(""), false},
		{"department", opNotEquals, ptr("Sales"), true},
		{"department", opNotEquals, ptr("Finance"), false},
		{"missing", opNotEquals, ptr("Sales"), false},
		{"empty", opNotEquals, ptr("Sales"), false},
		{"enabled", opIsTrue, nil, true},
		{"enabledText", opIsTrue, nil, true},
		{"disabled", opIsTrue, nil, false},
		{"disabled", opIsFalse, nil, true},
		{"missing", opIsFalse, nil, false},
		{"department", opIsTrue, nil, false},
		{"missing", opIsNull, nil, true},
		{"empty", opIsNull, nil, true},
		{"department", opIsNull, nil, false},
		{"department", opIsNotNull, nil, true},
		{"empty", opIsNotNull, nil, false},
		{"upn", opRegexMatch, ptr(`^ext\.`), true},
		{"upn", opRegexMatch, ptr(`contoso`), true}, // unanchored, like .NET IsMatch
		{"upn", opRegexMatch, ptr(`^EXT`), false},   // case-sensitive
		{"upn", opRegexMatch, ptr(`(?i)^EXT`), true},
		{"upn", opNotRegexMatch, ptr(`^ext\.`), false},
		{"upn", opNotRegexMatch, ptr(`^int\.`), true},
		{"missing", opNotRegexMatch, ptr(`^int\.`), false},
		{"empty", opRegexMatch, ptr(`.*`), false},
		{"level", opGreaterThan, ptr("5"), true},
		{"level", opGreaterThan, ptr("7"), false},
		{"level", opGreaterThanOrEquals, ptr("7"), true},
		{"levelText", opGreaterThan, ptr("9"), true}, // integer, not text, comparison
		{"score", opGreaterThan, ptr("1"), false},
		{"missing", opGreaterThanOrEquals, ptr("0"), false},
		{"department", opIncludes, ptr("nan"), true},
		{"department", opIncludes, ptr("NAN"), false},
		{"department", opEndsWith, ptr("ance"), true},
		{"department", opEndsWith, ptr("Fin"), false},
		{"employeeType", opIn, ptr("Contractor, Vendor"), true},
		{"employeeType", opIn, ptr("Contractor,Employee"), false},
		{"employeeType", opNotIn, ptr("Contractor,Employee"), true},
		{"employeeType", opNotIn, ptr("Vendor"), false},
		{"missing", opNotIn, ptr("Vendor"), false},
		{"enabled", opEquals, ptr("true"), true},
	}
	for _, tt := range tests {
		f := ScopingFilter{{{Attribute: tt.attr, Operator: tt.op, Value: tt.value}}}
		got, err := f.Matches(attrs)
		if err != nil {
			t.Errorf("%s %s: %v", tt.attr, tt.op, err)
			continue
		}
		if got != tt.want {
			v := "<nil>"
			if tt.value != nil {
				v = *tt.value
			}
			t.Errorf("%s %s %q = %v, want %v", tt.attr, tt.op, v, got, tt.want)
		}
	}
	if len(operators()) != 14 {
		t.Errorf("%d operators", len(operators()))
	}
}

func TestScopingComposition(t *testing.T) {
	fin, sales := ptr("Finance"), ptr("Sales")
	f := ScopingFilter{
		{{Attribute: "department", Operator: opEquals, Value: fin}, {Attribute: "country", Operator: opEquals, Value: ptr("AT")}},
		{{Attribute: "department", Operator: opEquals, Value: sales}},
	}
	for _, tt := range []struct {
		attrs Attributes
		want  bool
	}{
		{Attributes{"department": "Finance", "country": "AT"}, true},
		{Attributes{"department": "Finance", "country": "DE"}, false},
		{Attributes{"department": "Sales"}, true},
		{Attributes{}, false},
	} {
		got, err := f.Matches(tt.attrs)
		if err != nil || got != tt.want {
			t.Errorf("%v: %v %v, want %v", tt.attrs, got, err, tt.want)
		}
	}
	if ok, err := (ScopingFilter{}).Matches(nil); !ok || err != nil {
		t.Error("empty filter must put everything in scope")
	}
}

func TestScopingErrors(t *testing.T) {
	for _, c := range []Clause{
		{Attribute: "a", Operator: "equals", Value: ptr("x")},
		{Attribute: "a", Operator: opEquals},
		{Attribute: "a", Operator: opIsNull, Value: ptr("x")},
		{Attribute: "", Operator: opIsNull},
		{Attribute: "a", Operator: opRegexMatch, Value: ptr("(")},
		{Attribute: "a", Operator: opGreaterThan, Value: ptr("1.5")},
	} {
		f := ScopingFilter{{c}}
		if _, err := f.Matches(Attributes{"a": "x"}); !errors.Is(err, ErrScope) {
			t.Errorf("%+v: %v", c, err)
		}
		if _, err := NewSet(druvaDefaultMappings(), WithScope(f)); !errors.Is(err, ErrInvalidSet) {
			t.Errorf("%+v: NewSet accepted the clause: %v", c, err)
		}
	}
	f := ScopingFilter{{{Attribute: "proxyAddresses", Operator: opIsNotNull}}}
	if _, err := f.Matches(Attributes{"proxyAddresses": []string{"a"}}); !errors.Is(err, ErrScope) {
		t.Errorf("multi-valued: %v", err)
	}
	if normalizeOperator("isNotNull") != opIsNotNull || normalizeOperator("greater_than_or_equals") != opGreaterThanOrEquals ||
		normalizeOperator("NOT_REGEX_MATCH") != opNotRegexMatch || normalizeOperator("nope") != "" {
		t.Error("normalizeOperator")
	}
}
