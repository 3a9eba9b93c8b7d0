package entra_test

import (
	"context"
	"errors"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
)

// *entra.Reader is a druvascim.Source with the one-object fetch.
var (
	_ druvascim.Source = (*entra.Reader)(nil)
	_ interface {
		FetchObject(ctx context.Context, idOrUPN string) (druvascim.Object, error)
	} = (*entra.Reader)(nil)
)

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
		byID[o.ID] = o
	}
	if d := byID[tt.direct]; d.SoftDeleted || !d.Assigned || d.Reason != "" {
		t.Fatalf("direct: %+v", d)
	}
	if d := byID[tt.disabled]; !d.SoftDeleted || d.Reason != entra.ReasonAccountDisabled {
		t.Fatalf("disabled: %+v", d)
	}
	check(t, tt.s.PurgeUser(tt.direct))
	b, err = src.Fetch(t.Context(), b.DeltaLink)
	if err != nil || b.Full || len(b.Objects) != 1 || !b.Objects[0].HardDeleted || b.Objects[0].ID != tt.direct ||
		b.Objects[0].Reason != entra.ReasonHardDeleted {
		t.Fatalf("incremental Fetch: %+v full %v err %v", b.Objects, b.Full, err)
	}
}

// A missing object matches the root package's ErrNotFound, which on-demand
// provisioning reports.
func TestFetchObjectNotFound(t *testing.T) {
	tt := newTenant(t)
	f := newReader(t, tt.s)
	if _, err := f.FetchObject(t.Context(), "00000000-0000-4000-8000-000000000404"); !errors.Is(err, druvascim.ErrNotFound) {
		t.Fatalf("err = %v, want druvascim.ErrNotFound", err)
	}
	check(t, tt.s.SoftDelete(tt.direct))
	if _, err := f.FetchObject(t.Context(), tt.direct); !errors.Is(err, druvascim.ErrNotFound) {
		t.Fatalf("soft-deleted user: err = %v, want druvascim.ErrNotFound", err)
	}
}

// Attributes lists every attribute the objects carry, so that a Syncer can
// check that the reader delivers what a mapping set reads.
func TestAttributesListsWhatObjectsCarry(t *testing.T) {
	s := newFake(t, entratest.WithUsers(100))
	for _, opts := range [][]entra.Option{nil, {entra.WithAttributes("mail", "officeLocation")}} {
		r := newReader(t, s, opts...)
		listed := map[string]bool{}
		for _, a := range r.Attributes() {
			listed[a] = true
		}
		b, err := r.Fetch(t.Context(), "")
		check(t, err)
		for _, o := range b.Objects {
			for k := range o.Attributes {
				if !listed[k] {
					t.Fatalf("object %s carries %s, which Attributes %v does not list", o.ID, k, r.Attributes())
				}
			}
		}
	}
}
