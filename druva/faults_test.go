package druva_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/scim"
)

func TestRateLimitedAfterRetries(t *testing.T) {
	t.Parallel()
	srv, c, ft := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{Seed: 1, TooManyRequests: 1, RetryAfter: 7 * time.Second})},
		druva.WithRetryMax(3))
	_, err := c.CreateUser(t.Context(), user(1))
	if !errors.Is(err, druva.ErrRateLimited) {
		t.Fatalf("CreateUser under constant 429: %v", err)
	}
	var ae *druva.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || ae.Attempts != 4 || ae.RetryAfter != 7*time.Second {
		t.Errorf("APIError = %+v", ae)
	}
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 429 || se.Detail == "" {
		t.Errorf("scim error = %+v", se)
	}
	for _, w := range ft.Waits() {
		if w != 7*time.Second {
			t.Errorf("waited %v, want the Retry-After of 7s", w)
		}
	}
	if st := srv.Stats(); st.Injected429 != 4 || srv.Len() != 0 {
		t.Errorf("server stats %+v, %d users", st, srv.Len())
	}
	if cs := c.Stats(); cs.Throttled != 4 || cs.Retries != 3 || cs.Requests != 4 {
		t.Errorf("client stats %+v", cs)
	}
}

func TestRetryAfterNeverPastDeadline(t *testing.T) {
	t.Parallel()
	_, c, ft := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{TooManyRequests: 1, RetryAfter: 30 * time.Second})})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := c.GetUser(ctx, "x")
	if !errors.Is(err, druva.ErrRateLimited) {
		t.Errorf("GetUser = %v, want the 429 at once", err)
	}
	if len(ft.Waits()) != 0 {
		t.Errorf("waited %v past the deadline", ft.Waits())
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{Seed: 42, ServerErrors: 0.4})}, druva.WithRetryMax(10))
	for i := range 40 {
		if _, err := c.CreateUser(t.Context(), user(i)); err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
	}
	st, cs := srv.Stats(), c.Stats()
	if st.Injected5xx == 0 || int64(st.Injected5xx) != cs.Retries || srv.Len() != 40 {
		t.Errorf("server %+v, client %+v, %d users", st, cs, srv.Len())
	}
	var n int
	for _, err := range c.ListUsers(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 40 {
		t.Errorf("listed %d users under faults, want 40", n)
	}
}

func TestServerErrorsExhausted(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{ServerErrors: 1})}, druva.WithRetryMax(2))
	_, err := c.GetUser(t.Context(), "x")
	var ae *druva.APIError
	if !errors.As(err, &ae) || ae.StatusCode < 500 || ae.Attempts != 3 || ae.SCIM.Detail != "injected server error" {
		t.Errorf("after retries: %v (%+v)", err, ae)
	}
}

func TestResponseLostThenConflictAdopts(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{ResponseLost: 1})}, druva.WithRetryMax(0))
	_, err := c.CreateUser(t.Context(), user(1))
	if err == nil {
		t.Fatal("a lost response looked like success")
	}
	var ae *druva.APIError
	if errors.As(err, &ae) {
		t.Errorf("a lost response became an HTTP error: %v", err)
	}
	if srv.Len() != 1 || srv.Stats().Lost != 1 {
		t.Fatalf("the write was not applied: %d users, %+v", srv.Len(), srv.Stats())
	}
	if err := srv.SetFaults(druvatest.Faults{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateUser(t.Context(), user(1))
	if !errors.Is(err, druva.ErrConflict) {
		t.Fatalf("re-create after a lost response: %v, want ErrConflict", err)
	}
	found, err := c.FindUsers(t.Context(), "userName", "user1@example.com")
	if err != nil || len(found) != 1 {
		t.Errorf("adopt: %v, %v", found, err)
	}
}

// With retries on, lost responses never duplicate a user: each create ends
// in success or in a conflict the caller resolves by lookup.
func TestLostResponsesNeverDuplicate(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{Seed: 7, ResponseLost: 0.3, ServerErrors: 0.1})}, druva.WithRetryMax(8))
	adopted := 0
	for i := range 60 {
		_, err := c.CreateUser(t.Context(), user(i))
		if errors.Is(err, druva.ErrConflict) {
			found, ferr := c.FindUsers(t.Context(), "userName", fmt.Sprintf("user%d@example.com", i))
			if ferr != nil || len(found) != 1 {
				t.Fatalf("user %d: adopt: %v, %v", i, found, ferr)
			}
			adopted++
			continue
		}
		if err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
	}
	if srv.Len() != 60 {
		t.Errorf("%d users stored, want 60", srv.Len())
	}
	if st := srv.Stats(); st.Lost == 0 || adopted == 0 {
		t.Errorf("no lost response exercised: %+v, adopted %d", st, adopted)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	srv, c, ft := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{Latency: 3 * time.Second, LatencyRate: 1})})
	start := ft.Now()
	if _, err := c.CreateUser(t.Context(), user(1)); err != nil {
		t.Fatal(err)
	}
	if got := ft.Now().Sub(start); got != 3*time.Second {
		t.Errorf("fake time advanced %v, want the injected 3s", got)
	}
	if srv.Stats().Delayed != 1 {
		t.Errorf("stats %+v", srv.Stats())
	}
}

// Against a server limited to R requests/s, a client limited to R on the
// same (fake) clock is never throttled; an unlimited one is, retries after
// Retry-After, and still succeeds.
func TestServerRateLimit(t *testing.T) {
	t.Parallel()
	const rps = 5
	srv, c, ft := setup(t, []druvatest.Option{druvatest.WithRateLimit(rps, 1)}, druva.WithRateLimit(rps, 1))
	start := ft.Now()
	for i := range 20 {
		if _, err := c.CreateUser(t.Context(), user(i)); err != nil {
			t.Fatal(err)
		}
	}
	if st := srv.Stats(); st.Throttled != 0 {
		t.Errorf("limited client throttled %d times", st.Throttled)
	}
	if el := ft.Now().Sub(start); el < 19*time.Second/rps {
		t.Errorf("20 requests at %d/s took %v of fake time", rps, el)
	}

	srv2, c2, _ := setup(t, []druvatest.Option{druvatest.WithRateLimit(rps, 1)}, druva.WithRateLimit(0, 0), druva.WithRetryMax(10))
	for i := range 10 {
		if _, err := c2.CreateUser(t.Context(), user(i)); err != nil {
			t.Fatal(err)
		}
	}
	if st := srv2.Stats(); st.Throttled == 0 || srv2.Len() != 10 || int64(st.Throttled) != c2.Stats().Throttled {
		t.Errorf("unlimited client: server %+v, client %+v", st, c2.Stats())
	}
}

// A 429 slows the client-side limiter for every caller.
func TestThrottleLowersClientRate(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{TooManyRequests: 1})}, druva.WithRateLimit(20, 2), druva.WithRetryMax(0))
	if _, err := c.GetUser(t.Context(), "x"); !errors.Is(err, druva.ErrRateLimited) {
		t.Fatal(err)
	}
	// Right after the start, with no answers to measure, the rate halves
	// (then takes the multiplicative decrease).
	if r := c.RateLimit(); r <= 0 || r > 10 {
		t.Errorf("rate after a 429 = %v, want at most half of 20", r)
	}
}

func TestFaultsAreReproducible(t *testing.T) {
	t.Parallel()
	run := func() []druvatest.Request {
		srv, c, _ := setup(t, []druvatest.Option{druvatest.WithFaults(druvatest.Faults{Seed: 99, TooManyRequests: 0.2, ServerErrors: 0.2, ResponseLost: 0.2})}, druva.WithRetryMax(20))
		for i := range 15 {
			_, _ = c.CreateUser(t.Context(), user(i))
		}
		return srv.Requests()
	}
	a, b := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("two runs with the same seed differ:\n%v\n%v", a, b)
	}
	faults := 0
	for _, r := range a {
		if r.Fault != "" {
			faults++
		}
	}
	if faults == 0 {
		t.Errorf("no fault injected in %d requests", len(a))
	}
}

func TestContextCanceled(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.CreateUser(ctx, user(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateUser on a canceled context: %v", err)
	}
	for _, err := range c.ListUsers(ctx) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ListUsers: %v", err)
		}
	}
	if srv.RequestCount("") != 0 {
		t.Errorf("requests sent on a canceled context")
	}
}

func TestClientLimiterDeadline(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, druva.WithRateLimit(0.001, 1))
	if _, err := c.CreateUser(t.Context(), user(1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := c.CreateUser(ctx, user(2))
	if !errors.Is(err, druva.ErrRateLimited) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("limiter wait past the deadline: %v", err)
	}
	if srv.RequestCount("") != 1 {
		t.Errorf("%d requests", srv.RequestCount(""))
	}
}
