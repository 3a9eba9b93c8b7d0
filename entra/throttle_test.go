package entra_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
)

// Under Graph's throttle (429 with Retry-After, whole answers and items of
// $batch answers alike) a read waits as told and completes with the same
// result as an unthrottled one; a $batch sends again only its throttled
// items, never one already answered.
func TestThrottledRead(t *testing.T) {
	clock := newWaits()
	opts := []entratest.Option{entratest.WithUsers(400), entratest.WithGroups(60), entratest.WithSeed(3)}
	calm := newFake(t, opts...)
	s := newFake(t, append(opts, entratest.WithThrottle(5, 5), entratest.WithClock(clock.Now))...)
	want := read(t, newReader(t, calm), "")

	r, err := s.Client(entra.WithWait(clock.Wait), entra.WithPageSize(50))
	check(t, err)
	got, err := r.Read(t.Context(), "")
	check(t, err)
	if diff := cmp.Diff(want.Objects, got.Objects); diff != "" {
		t.Fatalf("throttled read differs (-calm +throttled):\n%s", diff)
	}
	st := s.Stats()
	if st.Throttled == 0 || got.Stats.Throttled == 0 || got.Stats.Throttled > int64(st.Throttled) {
		t.Fatalf("throttled: server %d, reader %d", st.Throttled, got.Stats.Throttled)
	}
	if clock.MaxWait() < 1e9 {
		t.Fatalf("the reader did not wait for Retry-After: waits %v", clock.Waits())
	}
	answered, throttledItems := map[string]int{}, 0
	for _, req := range s.RequestLog() {
		if !strings.Contains(req.Path, "/members") {
			continue
		}
		key := req.Path + "?" + req.Query.Encode()
		switch req.Status {
		case http.StatusOK:
			answered[key]++
		case http.StatusTooManyRequests:
			throttledItems++
		}
	}
	if throttledItems == 0 {
		t.Fatal("no member listing was throttled: the test does not exercise $batch items")
	}
	for key, n := range answered {
		if n != 1 {
			t.Errorf("%s answered %d times: an answered item was sent again", key, n)
		}
	}
}

// The fake's throttle answers beyond its rate with 429 and Graph's
// Retry-After, and lets requests through again once that time has passed.
func TestFakeThrottle(t *testing.T) {
	clock := newWaits()
	s := newFake(t, entratest.WithUsers(1), entratest.WithThrottle(2, 2), entratest.WithClock(clock.Now))
	get := func(token string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/v1.0/users", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := s.HTTPClient().Do(req)
		check(t, err)
		resp.Body.Close()
		return resp
	}
	for range 2 {
		if resp := get(s.Token); resp.StatusCode != http.StatusOK {
			t.Fatalf("within the burst: %d", resp.StatusCode)
		}
	}
	resp := get(s.Token)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("over the limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	clock.Advance(1e9)
	if resp := get(s.Token); resp.StatusCode != http.StatusOK {
		t.Fatalf("after Retry-After: %d", resp.StatusCode)
	}
	if _, err := entratest.NewServer(entratest.WithThrottle(0, 1)); err == nil {
		t.Fatal("WithThrottle(0, 1) accepted")
	}
}
