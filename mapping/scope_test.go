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
		{"department", OpEquals, ptr("Finance"), true},
		{"department", OpEquals, ptr("finance"), false},
		{"missing", OpEquals, ptr(""), false},
		{"department", OpNotEquals, ptr("Sales"), true},
		{"department", OpNotEquals, ptr("Finance"), false},
		{"missing", OpNotEquals, ptr("Sales"), false},
		{"empty", OpNotEquals, ptr("Sales"), false},
		{"enabled", OpIsTrue, nil, true},
		{"enabledText", OpIsTrue, nil, true},
		{"disabled", OpIsTrue, nil, false},
		{"disabled", OpIsFalse, nil, true},
		{"missing", OpIsFalse, nil, false},
		{"department", OpIsTrue, nil, false},
		{"missing", OpIsNull, nil, true},
		{"empty", OpIsNull, nil, true},
		{"department", OpIsNull, nil, false},
		{"department", OpIsNotNull, nil, true},
		{"empty", OpIsNotNull, nil, false},
		{"upn", OpRegexMatch, ptr(`^ext\.`), true},
		{"upn", OpRegexMatch, ptr(`contoso`), true}, // unanchored, like .NET IsMatch
		{"upn", OpRegexMatch, ptr(`^EXT`), false},   // case-sensitive
		{"upn", OpRegexMatch, ptr(`(?i)^EXT`), true},
		{"upn", OpNotRegexMatch, ptr(`^ext\.`), false},
		{"upn", OpNotRegexMatch, ptr(`^int\.`), true},
		{"missing", OpNotRegexMatch, ptr(`^int\.`), false},
		{"empty", OpRegexMatch, ptr(`.*`), false},
		{"level", OpGreaterThan, ptr("5"), true},
		{"level", OpGreaterThan, ptr("7"), false},
		{"level", OpGreaterThanOrEquals, ptr("7"), true},
		{"levelText", OpGreaterThan, ptr("9"), true}, // integer, not text, comparison
		{"score", OpGreaterThan, ptr("1"), false},
		{"missing", OpGreaterThanOrEquals, ptr("0"), false},
		{"department", OpIncludes, ptr("nan"), true},
		{"department", OpIncludes, ptr("NAN"), false},
		{"department", OpEndsWith, ptr("ance"), true},
		{"department", OpEndsWith, ptr("Fin"), false},
		{"employeeType", OpIn, ptr("Contractor, Vendor"), true},
		{"employeeType", OpIn, ptr("Contractor,Employee"), false},
		{"employeeType", OpNotIn, ptr("Contractor,Employee"), true},
		{"employeeType", OpNotIn, ptr("Vendor"), false},
		{"missing", OpNotIn, ptr("Vendor"), false},
		{"enabled", OpEquals, ptr("true"), true},
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
	if len(Operators()) != 14 {
		t.Errorf("%d operators", len(Operators()))
	}
}

func TestScopingComposition(t *testing.T) {
	fin, sales := ptr("Finance"), ptr("Sales")
	f := ScopingFilter{
		{{Attribute: "department", Operator: OpEquals, Value: fin}, {Attribute: "country", Operator: OpEquals, Value: ptr("AT")}},
		{{Attribute: "department", Operator: OpEquals, Value: sales}},
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
		{Attribute: "a", Operator: OpEquals},
		{Attribute: "a", Operator: OpIsNull, Value: ptr("x")},
		{Attribute: "", Operator: OpIsNull},
		{Attribute: "a", Operator: OpRegexMatch, Value: ptr("(")},
		{Attribute: "a", Operator: OpGreaterThan, Value: ptr("1.5")},
	} {
		f := ScopingFilter{{c}}
		if _, err := f.Matches(Attributes{"a": "x"}); !errors.Is(err, ErrScope) {
			t.Errorf("%+v: %v", c, err)
		}
		if _, err := NewSet(druvaDefaultMappings(), WithScope(f)); !errors.Is(err, ErrInvalidSet) {
			t.Errorf("%+v: NewSet accepted the clause: %v", c, err)
		}
	}
	f := ScopingFilter{{{Attribute: "proxyAddresses", Operator: OpIsNotNull}}}
	if _, err := f.Matches(Attributes{"proxyAddresses": []string{"a"}}); !errors.Is(err, ErrScope) {
		t.Errorf("multi-valued: %v", err)
	}
	if NormalizeOperator("isNotNull") != OpIsNotNull || NormalizeOperator("greater_than_or_equals") != OpGreaterThanOrEquals ||
		NormalizeOperator("NOT_REGEX_MATCH") != OpNotRegexMatch || NormalizeOperator("nope") != "" {
		t.Error("NormalizeOperator")
	}
}
