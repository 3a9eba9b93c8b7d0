package druva_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/scim"
)

// The client satisfies the root package's Target.
var _ druvascim.Target = (*druva.Client)(nil)

// newFakeTime returns the clock a fake server and a client share: waiting
// advances it, nothing sleeps.
func newFakeTime() *fakeclock.Clock {
	return fakeclock.New(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
}

// setup starts a fake Druva and a client on it that never sleeps.
func setup(t *testing.T, srvOpts []druvatest.Option, clientOpts ...druva.Option) (*druvatest.Server, *druva.Client, *fakeclock.Clock) {
	t.Helper()
	ft := newFakeTime()
	srv, err := druvatest.NewServer(append([]druvatest.Option{druvatest.WithClock(ft.Now), druvatest.WithSleep(ft.Wait)}, srvOpts...)...)
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
