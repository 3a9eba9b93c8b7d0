package faulttest

import (
	"encoding/json"
	"testing"

	"github.com/druvascim/druvascim/mapping"
)

// TestMappingConfigRejectsTrailingData: a JSON mapping file with data after
// its object is malformed (a hand-edited file with a stray brace) and must be
// refused, not half-read.
func TestMappingConfigRejectsTrailingData(t *testing.T) {
	good := must[[]byte](t)(json.Marshal(mapping.DruvaDefault()))
	if _, err := mapping.ParseSet(good); err != nil {
		t.Fatalf("the default set does not round-trip: %v", err)
	}
	var accepted []string
	for _, tail := range []string{" }", "]", "\n}\n", ` {"name":"x"}`, " garbage"} {
		if _, err := mapping.ParseSet(append(append([]byte{}, good...), tail...)); err == nil {
			accepted = append(accepted, tail)
		}
	}
	if len(accepted) > 0 {
		t.Errorf("mapping.ParseSet accepted a JSON set followed by %q", accepted)
	}
}
