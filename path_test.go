package druvascim

import (
	"encoding/json"
	"testing"
)

// TestEqualValue pins down when the planner sees a target value as already
// holding the desired one (and so sends no PATCH).
func TestEqualValue(t *testing.T) {
	tests := []struct {
		name      string
		cur, want any
		equal     bool
	}{
		{"same string", "Ada", "Ada", true},
		{"strings differ in case", "ada", "Ada", false},
		{"bool against bool", true, true, true},
		{"bool against Entra's string", "False", false, true},
		{"desired string against a bool", true, "True", true},
		{"desired bool against another bool", true, false, false},
		{"desired string against a JSON number", json.Number("42"), "42", true},
		{"desired string against a float", float64(42), "42", true},
		{"desired string against another number", float64(43), "42", false},
		{"numbers of different Go types", json.Number("7"), 7, true},
		{"lists in another order", []any{"b", "a"}, []string{"a", "b"}, true},
		{"lists of different length", []any{"a"}, []string{"a", "b"}, false},
		{"current object holds more", map[string]any{"givenName": "Ada", "familyName": "L"}, map[string]any{"givenName": "Ada"}, true},
		{"object attribute names ignore case", map[string]any{"GivenName": "Ada"}, map[string]any{"givenName": "Ada"}, true},
		{"object lacks an attribute", map[string]any{"familyName": "L"}, map[string]any{"givenName": "Ada"}, false},
		{"string against an object", map[string]any{"value": "x"}, "x", false},
	}
	for _, tt := range tests {
		if got := equalValue(tt.cur, tt.want); got != tt.equal {
			t.Errorf("%s: equalValue(%#v, %#v) = %v, want %v", tt.name, tt.cur, tt.want, got, tt.equal)
		}
	}
}
