package fakeclock_test

import (
	"context"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/google/go-cmp/cmp"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := fakeclock.New(start)
	if err := c.Wait(t.Context(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Wait(ctx, 5*time.Second); err != context.Canceled {
		t.Errorf("Wait on a canceled context: %v", err)
	}
	if got, want := c.Now(), start.Add(time.Minute+7*time.Second); !got.Equal(want) {
		t.Errorf("Now = %v, want %v", got, want)
	}
	if d := cmp.Diff([]time.Duration{2 * time.Second, 5 * time.Second}, c.Waits()); d != "" {
		t.Errorf("Waits (-want +got):\n%s", d)
	}
	if c.MaxWait() != 5*time.Second {
		t.Errorf("MaxWait = %v", c.MaxWait())
	}
	c.Waits()[0] = 0
	if c.Waits()[0] != 2*time.Second {
		t.Error("Waits returned the clock's own slice")
	}
}
