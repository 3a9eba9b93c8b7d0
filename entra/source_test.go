package entra_test

import (
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"
)

// *entra.Reader is a druvascim.Source.
var _ druvascim.Source = (*entra.Reader)(nil)

func TestFetchSatisfiesSource(t *testing.T) {
	tt := newTenant(t)
	var src druvascim.Source = newReader(t, tt.s)
	objs, link, full, err := src.Fetch(t.Context(), "")
	if err != nil || !full || link == "" || len(objs) != 8 {
		t.Fatalf("Fetch: %d objects, full %v, link %q, err %v", len(objs), full, link, err)
	}
	byID := map[string]map[string]any{}
	for _, o := range objs {
		id, ok := o[druvascim.KeyID].(string)
		if !ok {
			t.Fatalf("no %s: %v", druvascim.KeyID, o)
		}
		for _, k := range []string{druvascim.KeySoftDeleted, druvascim.KeyHardDeleted} {
			if _, ok := o[k].(bool); !ok {
				t.Fatalf("%s not a bool: %v", k, o)
			}
		}
		if _, ok := o[druvascim.KeyScopeReason].(string); !ok {
			t.Fatalf("%s not a string: %v", druvascim.KeyScopeReason, o)
		}
		byID[id] = o
	}
	if byID[tt.direct][druvascim.KeySoftDeleted] != false || byID[tt.disabled][druvascim.KeySoftDeleted] != true ||
		byID[tt.disabled][druvascim.KeyScopeReason] != entra.ReasonDisabled {
		t.Fatalf("scope: direct %v, disabled %v", byID[tt.direct], byID[tt.disabled])
	}
	check(t, tt.s.PurgeUser(tt.direct))
	objs, _, full, err = src.Fetch(t.Context(), link)
	if err != nil || full || len(objs) != 1 || objs[0][druvascim.KeyHardDeleted] != true || objs[0][druvascim.KeyID] != tt.direct {
		t.Fatalf("incremental Fetch: %v full %v err %v", objs, full, err)
	}
}
