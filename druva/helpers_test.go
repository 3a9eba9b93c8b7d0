package druva_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/scim"
)

// The client satisfies the root package's Target.
var _ druvascim.Target = (*druva.Client)(nil)

// fakeTime is a clock shared by a fake server and a client: waiting
// advances it, nothing sleeps.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeTime() *fakeTime { return &fakeTime{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Wait(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.now = f.now.Add(d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeTime) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// setup starts a fake Druva and a client on it that never sleeps.
func setup(t *testing.T, srvOpts []druvatest.Option, clientOpts ...druva.Option) (*druvatest.Server, *druva.Client, *fakeTime) {
	t.Helper()
	ft := newFakeTime()
	srv, err := druvatest.New(append([]druvatest.Option{druvatest.WithClock(ft.Now), druvatest.WithSleep(ft.Wait)}, srvOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := srv.NewClient(append([]druva.Option{druva.WithWait(ft.Wait), druva.WithClock(ft.Now)}, clientOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, ft
}

// user returns a valid Druva user numbered n.
func user(n int) scim.Resource {
	mail := fmt.Sprintf("user%d@example.com", n)
	return scim.Resource{
		"userName":    mail,
		"displayName": fmt.Sprintf("User %d", n),
		"externalId":  fmt.Sprintf("ext-%d", n),
		"name":        map[string]any{"givenName": "User", "familyName": fmt.Sprint(n)},
		"emails":      []any{map[string]any{"value": mail, "type": "work", "primary": true}},
		"active":      true,
	}
}
