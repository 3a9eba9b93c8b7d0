package service

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/druvascim/druvascim"
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
