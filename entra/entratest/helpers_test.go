package entratest_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/source"
)

// Every helper refuses an unknown user and is seen by an incremental read.
func TestHelpers(t *testing.T) {
	srv, err := entratest.NewServer(entratest.WithUsers(300), entratest.WithGroups(12), entratest.WithSeed(5))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r, err := srv.Client(entra.WithNestedGroups(true))
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var in, out []string
	for _, o := range first.Objects {
		switch {
		case o.Assigned && !o.SoftDeleted:
			in = append(in, o.ID)
		case o.Reason == source.ReasonNotAssigned:
			out = append(out, o.ID)
		}
	}
	type change struct {
		name string
		do   func(id string) error
		id   string
		want source.Reason
	}
	changes := []change{
		{"Unassign", srv.Unassign, in[0], source.ReasonNotAssigned},
		{"Disable", srv.Disable, in[1], source.ReasonAccountDisabled},
		{"SoftDelete", srv.SoftDelete, in[2], source.ReasonSoftDeleted},
		{"Assign", srv.Assign, out[0], ""},
		{"Rename", func(id string) error { return srv.Rename(id, "renamed@contoso.example") }, in[3], ""},
	}
	want, got := map[string]source.Reason{}, map[string]source.Reason{}
	for _, c := range changes {
		if err := c.do("00000000-0000-4000-8000-000000000000"); !errors.Is(err, entratest.ErrNotFound) {
			t.Errorf("%s of an unknown user: %v", c.name, err)
		}
		if err := c.do(c.id); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want[c.name] = c.want
	}
	next, err := r.Fetch(t.Context(), first.DeltaLink)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]source.Object{}
	for _, o := range next.Objects {
		byID[o.ID] = o
	}
	for _, c := range changes {
		o, ok := byID[c.id]
		if !ok {
			t.Errorf("%s: not in the incremental read", c.name)
			continue
		}
		got[c.name] = o.Reason
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("reasons after the helpers (-want +got):\n%s", diff)
	}
	if upn := byID[in[3]].Attributes["userPrincipalName"]; upn != "renamed@contoso.example" {
		t.Fatalf("Rename: %v", upn)
	}
	attrs := srv.Attributes()
	u, err := srv.User(in[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrs {
		if _, ok := u[a]; !ok {
			t.Errorf("Attributes lists %s, which user %s lacks", a, in[0])
		}
	}
	if len(u) != len(attrs)+1 { // + id
		t.Errorf("user has %d properties, Attributes lists %d", len(u)-1, len(attrs))
	}
}
