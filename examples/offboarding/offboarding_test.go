package offboarding_test

import (
	"errors"
	"testing"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/examples/offboarding"
	"github.com/druvascim/druvascim/scim"
)

func TestOffboard(t *testing.T) {
	srv, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	seeded, err := srv.SeedUsers(scim.Resource{
		"userName": "ada@contoso.example", "displayName": "Ada Lovelace", "active": true,
		"emails": []any{map[string]any{"type": "work", "value": "ada@contoso.example", "primary": true}},
	})
	if err != nil {
		t.Fatal(err)
	}

	id, err := offboarding.Offboard(t.Context(), srv.Client(), "ada@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	if id != seeded[0].ID() {
		t.Errorf("offboarded %s, want %s", id, seeded[0].ID())
	}
	u, err := srv.User(id)
	if err != nil {
		t.Fatal(err)
	}
	if active, _ := u.Active(); active {
		t.Error("the user is still active")
	}

	if _, err := offboarding.Offboard(t.Context(), srv.Client(), "nobody@contoso.example"); !errors.Is(err, offboarding.ErrNoSuchUser) {
		t.Errorf("unknown email: %v, want ErrNoSuchUser", err)
	}
}

func TestOffboardReportsAnExpiredToken(t *testing.T) {
	srv, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := druva.NewClient("an-old-token", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := offboarding.Offboard(t.Context(), c, "ada@contoso.example"); !errors.Is(err, druva.ErrUnauthorized) {
		t.Errorf("got %v, want druva.ErrUnauthorized", err)
	}
}
