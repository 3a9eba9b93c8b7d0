package service

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/scim"
)

// TestDamagedSidecar: a sidecar that cannot be read stops the service
// before anything runs, says what to do, and is left as it was.
func TestDamagedSidecar(t *testing.T) {
	r := newRig(t, "contoso", 10)
	if err := os.WriteFile(r.spec.Sidecar, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc, err := New([]Tenant{r.spec}, WithJitter(0))
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("Run with a damaged sidecar: %v", err)
	}
	if data, _ := os.ReadFile(r.spec.Sidecar); string(data) != "{not json" {
		t.Errorf("the damaged sidecar was replaced: %q", data)
	}
	if r.d.Stats().Requests != 0 {
		t.Error("a cycle ran")
	}
	unlock, err := r.store.Lock(t.Context())
	if errors.Is(err, druvascim.ErrLocked) {
		t.Fatal("the lock was kept after the failed start")
	}
	unlock()
}

// TestIntervalJitter: the interval spreads by up to the jitter either way;
// a quarantine streak doubles it, without jitter, up to the maximum.
func TestIntervalJitter(t *testing.T) {
	svc, err := New([]Tenant{{Name: "a", Store: druvascim.NewMemoryStore(), Interval: 40 * time.Minute,
		NewSyncer: func(...druvascim.Option) (*druvascim.Syncer, error) { return nil, nil }}}, WithJitter(0.1), WithMaxInterval(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tn := svc.tenants["a"]
	for _, c := range []struct {
		r      float64
		streak int
		want   time.Duration
	}{
		{0, 0, 36 * time.Minute}, {0.5, 0, 40 * time.Minute}, {1, 0, 44 * time.Minute},
		{0, 1, 80 * time.Minute}, {1, 2, 160 * time.Minute}, {0.5, 3, 3 * time.Hour}, {0.5, 50, 3 * time.Hour},
	} {
		svc.cfg.rand = func() float64 { return c.r }
		if got := tn.interval(c.streak); got != c.want {
			t.Errorf("interval(rand %g, streak %d) = %v, want %v", c.r, c.streak, got, c.want)
		}
	}
	for _, bad := range []Option{WithJitter(1), WithJitter(-0.1), WithShutdownGrace(-1), WithMaxInterval(0), WithClock(nil)} {
		if _, err := New([]Tenant{{Name: "a", Store: druvascim.NewMemoryStore(), NewSyncer: tn.spec.NewSyncer}}, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("a bad option: %v", err)
		}
	}
	if _, err := New([]Tenant{{Name: "a", Store: druvascim.NewMemoryStore(), NewSyncer: tn.spec.NewSyncer}, {Name: "a", Store: druvascim.NewMemoryStore(), NewSyncer: tn.spec.NewSyncer}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("two tenants of one name: %v", err)
	}
}

// TestRefusedCredential: a refused Graph or Druva credential is told apart
// through the wrapping of a cycle's error, with no help from the tenant.
func TestRefusedCredential(t *testing.T) {
	tn := &tenant{}
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w", druvascim.ErrIncompleteSource, &entra.GraphError{Status: 401}), "graph"},
		{fmt.Errorf("druvascim: read target users: %w", scim.NewError(403, "", "forbidden")), "druva"},
		{fmt.Errorf("%w: the target rejected the credentials (%w)", druvascim.ErrQuarantined, scim.NewError(401, "", "revoked")), "druva"},
		{fmt.Errorf("druvascim: read target users: %w", scim.NewError(500, "", "down")), ""},
		{&entra.GraphError{Status: 429}, ""},
		{nil, ""},
	}
	for _, c := range cases {
		if got := tn.refused(c.err); got != c.want {
			t.Errorf("refused(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
