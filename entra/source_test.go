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
	b, err := src.Fetch(t.Context(), "")
	if err != nil || !b.Full || b.DeltaLink == "" || len(b.Objects) != 8 {
		t.Fatalf("Fetch: %d objects, full %v, link %q, err %v", len(b.Objects), b.Full, b.DeltaLink, err)
	}
	byID := map[string]druvascim.Object{}
	for _, o := range b.Objects {
		if o.ID == "" {
			t.Fatalf("no id: %+v", o)
		}
		for _, k := range []string{"IsSoftDeleted", "IsHardDeleted", "scopeReason"} {
			if _, ok := o.Attributes[k]; ok {
				t.Fatalf("%s among the attributes: %v", k, o.Attributes)
			}
		}
		byID[o.ID] = o
	}
	if byID[tt.direct].SoftDeleted || !byID[tt.disabled].SoftDeleted || byID[tt.disabled].Reason != druvascim.ReasonAccountDisabled {
		t.Fatalf("scope: direct %+v, disabled %+v", byID[tt.direct], byID[tt.disabled])
	}
	check(t, tt.s.PurgeUser(tt.direct))
	b, err = src.Fetch(t.Context(), b.DeltaLink)
	if err != nil || b.Full || len(b.Objects) != 1 || !b.Objects[0].HardDeleted || b.Objects[0].ID != tt.direct {
		t.Fatalf("incremental Fetch: %+v err %v", b, err)
	}
}
