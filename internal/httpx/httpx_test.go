package httpx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/internal/httpx"
)

const token = "s3cr3t-t0ken-value"

// newClock returns the fake clock the tests inject: waiting advances it.
func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// newClient returns a client on srv with the fake clock, no limiter, and
// jitter fixed at its maximum.
func newClient(t *testing.T, srv *httptest.Server, clk *fakeclock.Clock, opts ...httpx.Option) *httpx.Client {
	t.Helper()
	base := []httpx.Option{
		httpx.WithToken(token),
		httpx.WithRateLimit(0, 0),
		httpx.WithClock(clk.Now),
		httpx.WithWait(clk.Wait),
		httpx.WithRandom(func() float64 { return 0.999999 }),
	}
	c, err := httpx.New(srv.URL+"/scim", append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// script serves the given handlers in turn, repeating the last one.
func script(t *testing.T, hs ...http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(hs) {
			i = len(hs) - 1
		}
		hs[i](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, body string, hdr ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

func hangup(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func TestNewValidatesBaseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url     string
		wantErr string
	}{
		{"https://apis.druva.com/insync/scim", ""},
		{"http://127.0.0.1:8080/scim", ""},
		{"http://localhost/scim", ""},
		{"http://[::1]:9/scim", ""},
		{"http://apis.druva.com/insync/scim", "HTTPS"},
		{"ftp://x/y", "scheme"},
		{"apis.druva.com/scim", "scheme"},
		{"https:///scim", "no host"},
		{"https://user:pw@apis.druva.com/scim", "user info"},
		{"https://apis.druva.com/scim?x=1", "query"},
		{"://bad", "base URL"},
	} {
		_, err := httpx.New(tc.url, httpx.WithToken(token))
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("New(%q) = %v, want nil", tc.url, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("New(%q) = %v, want error containing %q", tc.url, err, tc.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("New(%q) error leaks user info: %v", tc.url, err)
		}
	}
	if _, err := httpx.New("http://example.com/"); !errors.Is(err, httpx.ErrInsecure) {
		t.Errorf("plain http: %v, want ErrInsecure", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]httpx.Option{
		"empty token":      httpx.WithToken(""),
		"token with space": httpx.WithToken("a b"),
		"token newline":    httpx.WithToken("a\nb"),
		"nil token func":   httpx.WithTokenFunc(nil),
		"nil http client":  httpx.WithHTTPClient(nil),
		"negative rate":    httpx.WithRateLimit(-1, 1),
		"zero burst":       httpx.WithRateLimit(5, 0),
		"negative burst":   httpx.WithRateLimit(0, -1),
		"retry max":        httpx.WithRetryMax(-1),
		"backoff":          httpx.WithBackoff(2*time.Second, time.Second),
		"max retry after":  httpx.WithMaxRetryAfter(0),
		"max body":         httpx.WithMaxBody(0),
		"user agent":       httpx.WithUserAgent("a\r\nX-Evil: 1"),
		"logger":           httpx.WithLogger(nil),
		"wait":             httpx.WithWait(nil),
		"clock":            httpx.WithClock(nil),
		"random":           httpx.WithRandom(nil),
		"nil option":       nil,
	} {
		if _, err := httpx.New("https://x.example/", o); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		} else if strings.Contains(err.Error(), "a b") {
			t.Errorf("%s: error repeats the token: %v", name, err)
		}
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	c, err := httpx.New("https://apis.druva.com/insync/scim", httpx.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		q    url.Values
		want string
	}{
		{"Users", nil, "https://apis.druva.com/insync/scim/Users"},
		{"/Users", nil, "https://apis.druva.com/insync/scim/Users"},
		{"Users/a%2Fb", nil, "https://apis.druva.com/insync/scim/Users/a%2Fb"},
		{"Users?count=5", url.Values{"startIndex": {"3"}}, "https://apis.druva.com/insync/scim/Users?count=5&startIndex=3"},
		{"https://apis.druva.com/insync/scim/Users?startIndex=2", nil, "https://apis.druva.com/insync/scim/Users?startIndex=2"},
		{"", nil, "https://apis.druva.com/insync/scim/"},
	} {
		u, err := c.Resolve(tc.path, tc.q)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.path, err)
			continue
		}
		if u.String() != tc.want {
			t.Errorf("Resolve(%q) = %s, want %s", tc.path, u, tc.want)
		}
	}
	for _, p := range []string{
		"https://evil.example/insync/scim/Users",
		"http://apis.druva.com/insync/scim/Users",
		"//evil.example/x",
		"../../admin",
		"Users/../../other",
		"https://apis.druva.com/other",
		"https://u:p@apis.druva.com/insync/scim/Users",
	} {
		if _, err := c.Resolve(p, nil); !errors.Is(err, httpx.ErrOffHost) {
			t.Errorf("Resolve(%q) = %v, want ErrOffHost", p, err)
		}
	}
}

func TestAuthUserAgentAndBody(t *testing.T) {
	t.Parallel()
	var got http.Header
	var gotBody, gotPath string
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		b := new(bytes.Buffer)
		_, _ = b.ReadFrom(r.Body)
		gotBody, gotPath = b.String(), r.URL.RequestURI()
		w.Header().Set("X-Test", "yes")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"id":"1"}`))
	})
	clk := newClock()
	c := newClient(t, srv, clk)
	resp, err := c.Do(t.Context(), &httpx.Request{Method: "POST", Path: "/Users", Body: []byte(`{"a":1}`), ContentType: "application/scim+json"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || string(resp.Body) != `{"id":"1"}` || resp.Header.Get("X-Test") != "yes" || resp.Attempts != 1 {
		t.Errorf("response = %+v", resp)
	}
	if a := got.Get("Authorization"); a != "Bearer "+token {
		t.Errorf("Authorization = %q", a)
	}
	if ua := got.Get("User-Agent"); !strings.HasPrefix(ua, "druvascim/") {
		t.Errorf("User-Agent = %q", ua)
	}
	if ct := got.Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if gotBody != `{"a":1}` || gotPath != "/scim/Users" {
		t.Errorf("server saw %s %s", gotPath, gotBody)
	}
	if s := c.Stats(); s != (httpx.Stats{Requests: 1}) {
		t.Errorf("Stats = %+v", s)
	}
}

func TestTokenFuncPerAttempt(t *testing.T) {
	t.Parallel()
	var seen []string
	var mu sync.Mutex
	srv, _ := script(t,
		func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Get("Authorization"))
			mu.Unlock()
			w.WriteHeader(503)
		},
		func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Get("Authorization"))
			mu.Unlock()
			w.WriteHeader(200)
		})
	var n atomic.Int64
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithTokenFunc(func(ctx context.Context) (string, error) {
		return fmt.Sprintf("tok%d", n.Add(1)), nil
	}))
	resp, err := c.Do(t.Context(), &httpx.Request{Path: "Users"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	if want := []string{"Bearer tok1", "Bearer tok2"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("Authorization headers = %q, want %q", seen, want)
	}

	// A failing token func fails the call without a request or a retry.
	srv2, hits := script(t, status(200, ""))
	c2 := newClient(t, srv2, clk, httpx.WithTokenFunc(func(ctx context.Context) (string, error) {
		return "", errors.New("credential unavailable")
	}))
	if _, err := c2.Do(t.Context(), &httpx.Request{Path: "Users"}); !errors.Is(err, httpx.ErrToken) || !strings.Contains(err.Error(), "credential unavailable") {
		t.Errorf("Do with failing token func = %v", err)
	}
	if hits.Load() != 0 {
		t.Errorf("server got %d requests without a token", hits.Load())
	}
}

func TestRetriesExponentialBackoff(t *testing.T) {
	t.Parallel()
	// The hang-up comes first, on a fresh connection, so net/http does not
	// retry it on its own.
	srv, hits := script(t, hangup, status(500, "a"), status(502, "b"), status(200, "ok"))
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithBackoff(time.Second, 3*time.Second))
	resp, err := c.Do(t.Context(), &httpx.Request{Path: "Users"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(resp.Body) != "ok" || resp.Attempts != 4 || hits.Load() != 4 {
		t.Errorf("resp = %d %q attempts %d, hits %d", resp.StatusCode, resp.Body, resp.Attempts, hits.Load())
	}
	// Jitter pinned at its top: 1 s, 2 s, then capped at 3 s.
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if got := roundAll(clk.Waits()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	if s := c.Stats(); s.Requests != 4 || s.Retries != 3 || s.Throttled != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestJitterWithinHalfAndFullStep(t *testing.T) {
	t.Parallel()
	srv, _ := script(t, status(500, ""), status(500, ""), status(200, ""))
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithBackoff(time.Second, time.Minute), httpx.WithRandom(func() float64 { return 0 }))
	if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := clk.Waits(); fmt.Sprint(got) != fmt.Sprint([]time.Duration{500 * time.Millisecond, time.Second}) {
		t.Errorf("waits with zero jitter = %v", got)
	}
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

func TestNotRetried(t *testing.T) {
	t.Parallel()
	for _, code := range []int{200, 201, 204, 400, 401, 404, 409, 501} {
		srv, hits := script(t, status(code, "body"))
		clk := newClock()
		c := newClient(t, srv, clk)
		resp, err := c.Do(t.Context(), &httpx.Request{Path: "Users"})
		if err != nil {
			t.Fatalf("%d: %v", code, err)
		}
		if resp.StatusCode != code || hits.Load() != 1 || len(clk.Waits()) != 0 {
			t.Errorf("%d: status %d, hits %d, waits %v", code, resp.StatusCode, hits.Load(), clk.Waits())
		}
	}
}

func TestRetriesExhaustedKeepsLastResponse(t *testing.T) {
	t.Parallel()
	srv, hits := script(t, status(500, "first"), status(503, `{"detail":"still down"}`, "Content-Type", "application/scim+json"))
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithRetryMax(2))
	resp, err := c.Do(t.Context(), &httpx.Request{Path: "Users"})
	if err != nil {
		t.Fatalf("Do = %v, want the last response", err)
	}
	if resp.StatusCode != 503 || string(resp.Body) != `{"detail":"still down"}` || resp.Attempts != 3 || hits.Load() != 3 {
		t.Errorf("resp = %d %q attempts %d hits %d", resp.StatusCode, resp.Body, resp.Attempts, hits.Load())
	}
	if got := len(clk.Waits()); got != 2 {
		t.Errorf("%d waits, want 2", got)
	}
}

func TestTransportErrorsExhausted(t *testing.T) {
	t.Parallel()
	srv, hits := script(t, hangup)
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithRetryMax(2))
	_, err := c.Do(t.Context(), &httpx.Request{Method: "POST", Path: "Users", Body: []byte("{}")})
	if err == nil || strings.Contains(err.Error(), "giving up") {
		t.Fatalf("Do = %v, want the transport error", err)
	}
	if !strings.Contains(err.Error(), "POST") || !strings.Contains(err.Error(), "/scim/Users") || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error %q does not say which request", err)
	}
	if hits.Load() != 3 {
		t.Errorf("hits = %d, want 3", hits.Load())
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"99999999999999999999", 0, false},
		{"9223372036", 9223372036 * time.Second, true},
		{"9223372037", time.Duration(1<<63 - 1), true},
	} {
		h := http.Header{}
		if tc.v != "" {
			h.Set("Retry-After", tc.v)
		}
		got, ok := httpx.RetryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRetryAfterHonouredAndCapped(t *testing.T) {
	t.Parallel()
	clk := newClock()
	date := clk.Now().Add(42 * time.Second).Format(http.TimeFormat)
	srv, _ := script(t,
		status(429, "", "Retry-After", "3"),
		status(503, "", "Retry-After", date),
		status(429, "", "Retry-After", "604800"), // a week
		status(200, "done"))
	c := newClient(t, srv, clk, httpx.WithMaxRetryAfter(time.Minute))
	resp, err := c.Do(t.Context(), &httpx.Request{Path: "Users"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	// 3 s; the date 42 s after the first response minus the 3 s waited; the week capped to a minute.
	want := []time.Duration{3 * time.Second, 39 * time.Second, time.Minute}
	if got := clk.Waits(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	if s := c.Stats(); s.Throttled != 2 || s.Retries != 3 || s.Requests != 4 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestBackoffNeverPastDeadline(t *testing.T) {
	t.Parallel()
	srv, hits := script(t, status(429, `{"detail":"slow down"}`, "Retry-After", "30"))
	clk := newClock()
	c := newClient(t, srv, clk)
	// Deadlines are wall-clock: one 10 s away is closer than the 30 s
	// Retry-After, so the call returns the 429 at once.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := c.Do(ctx, &httpx.Request{Path: "Users"})
	if err != nil {
		t.Fatalf("Do = %v, want the last response", err)
	}
	if resp.StatusCode != 429 || string(resp.Body) != `{"detail":"slow down"}` || hits.Load() != 1 {
		t.Errorf("resp %d %q, hits %d", resp.StatusCode, resp.Body, hits.Load())
	}
	if len(clk.Waits()) != 0 {
		t.Errorf("waited %v past the deadline", clk.Waits())
	}
}

func TestNoRetryAfterCancel(t *testing.T) {
	t.Parallel()
	srv, hits := script(t, status(500, ""))
	ctx, cancel := context.WithCancel(t.Context())
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithWait(func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up during the first backoff
		return ctx.Err()
	}))
	_, err := c.Do(ctx, &httpx.Request{Path: "Users"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %v, want context.Canceled", err)
	}
	if hits.Load() != 1 {
		t.Errorf("hits = %d, want 1", hits.Load())
	}
	if _, err := c.Do(ctx, &httpx.Request{Path: "Users"}); !errors.Is(err, context.Canceled) || hits.Load() != 1 {
		t.Errorf("Do on a done context = %v, hits %d", err, hits.Load())
	}
}

func TestBodyCap(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 2048)
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") != "" {
			w.Header().Set("Content-Type", "text/plain")
			for range 4 {
				_, _ = w.Write([]byte(big[:512]))
				w.(http.Flusher).Flush()
			}
			_, _ = w.Write([]byte("!"))
			return
		}
		_, _ = w.Write([]byte(big))
	})
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithMaxBody(2048))
	if resp, err := c.Do(t.Context(), &httpx.Request{Path: "ok"}); err != nil || len(resp.Body) != 2048 {
		t.Fatalf("body at the cap: %v", err)
	}
	c = newClient(t, srv, clk, httpx.WithMaxBody(1024))
	for _, q := range []url.Values{nil, {"chunked": {"1"}}} {
		resp, err := c.Do(t.Context(), &httpx.Request{Path: "big", Query: q})
		if !errors.Is(err, httpx.ErrBodyTooLarge) || resp != nil {
			t.Errorf("over the cap (%v): %v, %v", q, resp, err)
		}
	}
}

func TestOffHostNeverGetsToken(t *testing.T) {
	t.Parallel()
	var evilAuth atomic.Value
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilAuth.Store(r.Header.Get("Authorization"))
	}))
	defer evil.Close()
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/steal", http.StatusFound)
	})
	clk := newClock()
	c := newClient(t, srv, clk)
	if _, err := c.Do(t.Context(), &httpx.Request{Path: evil.URL + "/scim/Users"}); !errors.Is(err, httpx.ErrOffHost) {
		t.Errorf("absolute URL on another host: %v", err)
	}
	_, err := c.Do(t.Context(), &httpx.Request{Path: "Users"})
	if err == nil || !errors.Is(err, httpx.ErrOffHost) {
		t.Errorf("redirect off host: %v", err)
	}
	if v := evilAuth.Load(); v != nil {
		t.Errorf("foreign host received a request (Authorization %q)", v)
	}
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, _ := script(t, status(429, "", "Retry-After", "1"), hangup, status(500, ""))
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithLogger(logger), httpx.WithRetryMax(3), httpx.WithRateLimit(5, 1))
	resp, err := c.Do(t.Context(), &httpx.Request{Path: "Users"})
	if err != nil || resp.StatusCode != 500 {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	type holder struct {
		C *httpx.Client
		N int
	}
	var outs []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outs = append(outs, fmt.Sprintf(f, c), fmt.Sprintf(f, holder{c, 1}), fmt.Sprintf(f, &holder{c, 1}))
	}
	outs = append(outs, logs.String(), c.String())
	_, err = c.Do(t.Context(), &httpx.Request{Path: "https://elsewhere.example/x"})
	outs = append(outs, err.Error())
	for _, o := range outs {
		if strings.Contains(o, token) || strings.Contains(o, fmt.Sprintf("%x", token)) {
			t.Errorf("token printed: %s", o)
		}
	}
	if !strings.Contains(logs.String(), "retrying") || !strings.Contains(logs.String(), "throttled") {
		t.Errorf("expected retry and throttle log lines, got:\n%s", logs.String())
	}
}

func TestSilentWithoutLogger(t *testing.T) {
	// retryablehttp's default logger writes to stderr; ours must not. A
	// client without a logger has nothing to write to, which we check by
	// making sure it runs retries without panicking on a nil logger.
	t.Parallel()
	srv, _ := script(t, status(500, ""), status(200, ""))
	clk := newClock()
	c := newClient(t, srv, clk)
	if resp, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("Do = %v, %v", resp, err)
	}
}

func TestRateLimiterWaitsThroughSeam(t *testing.T) {
	t.Parallel()
	srv, _ := script(t, status(200, ""))
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithRateLimit(10, 2))
	for range 5 {
		if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	// Burst 2 passes at once, then one every 100 ms.
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	if got := roundAll(clk.Waits()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("limiter waits = %v, want %v", got, want)
	}
	if c.RateLimit() != 10 {
		t.Errorf("RateLimit = %v", c.RateLimit())
	}
	off := newClient(t, srv, clk)
	if off.RateLimit() != 0 {
		t.Errorf("RateLimit with limiter off = %v", off.RateLimit())
	}
}

func TestLimiterWaitNeverPastDeadline(t *testing.T) {
	t.Parallel()
	srv, hits := script(t, status(200, ""))
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithRateLimit(0.001, 1)) // one request per 1000 s
	if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := c.Do(ctx, &httpx.Request{Path: "x"})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, httpx.ErrRateLimitWait) || hits.Load() != 1 || len(clk.Waits()) != 0 {
		t.Errorf("Do = %v (hits %d, waits %v), want DeadlineExceeded without waiting", err, hits.Load(), clk.Waits())
	}
}

func TestConcurrentStats(t *testing.T) {
	t.Parallel()
	srv, _ := script(t, status(500, ""), status(200, ""))
	clk := newClock()
	c := newClient(t, srv, clk)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
					t.Error(err)
					return
				}
				_ = c.Stats()
			}
		})
	}
	wg.Wait()
	if s := c.Stats(); s.Requests != 161 || s.Retries != 1 {
		t.Errorf("Stats = %+v, want 161 requests and 1 retry", s)
	}
}

func TestWithHTTPClientNotModified(t *testing.T) {
	t.Parallel()
	srv, _ := script(t, status(200, ""))
	hc := &http.Client{Timeout: 5 * time.Second}
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithHTTPClient(hc))
	if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
		t.Fatal(err)
	}
	if hc.Transport != nil || hc.CheckRedirect != nil {
		t.Errorf("caller's http.Client was modified: %+v", hc)
	}
}

func TestUserAgentOption(t *testing.T) {
	t.Parallel()
	var ua atomic.Value
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) { ua.Store(r.UserAgent()) })
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithUserAgent("custom/1"))
	if _, err := c.Do(t.Context(), &httpx.Request{Path: "x", Header: http.Header{"User-Agent": {"nope"}}}); err != nil {
		t.Fatal(err)
	}
	if ua.Load() != "custom/1" {
		t.Errorf("User-Agent = %v", ua.Load())
	}
	if httpx.UserAgent() != "druvascim/"+httpx.Version() {
		t.Errorf("UserAgent() = %q", httpx.UserAgent())
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999", " 5 ", "x"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set("Retry-After", v)
		d, ok := httpx.RetryAfter(h, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("RetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}

func TestAttemptsCountRequestsSent(t *testing.T) {
	t.Parallel()
	srv, hits := script(t, status(500, "down"))
	clk := newClock()
	var calls atomic.Int64
	c := newClient(t, srv, clk, httpx.WithTokenFunc(func(context.Context) (string, error) {
		if calls.Add(1) > 1 {
			return "", errors.New("token endpoint down")
		}
		return token, nil
	}))
	_, err := c.Do(t.Context(), &httpx.Request{Method: "POST", Path: "Users", Body: []byte("{}")})
	if err == nil || !errors.Is(err, httpx.ErrToken) {
		t.Fatalf("Do = %v, want the token error", err)
	}
	// One request reached the server; the second attempt never left.
	if hits.Load() != 1 || strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("hits %d, error %q", hits.Load(), err)
	}
}

func TestLongRetryAfterNotWaited(t *testing.T) {
	t.Parallel()
	// A server asking for a day, past the caller's deadline, is not retried
	// a minute later (the cap) five times over: the write returns its 429
	// at once, with the Retry-After for the caller to schedule.
	srv, hits := script(t, status(429, `{"detail":"come back tomorrow"}`, "Retry-After", "86400"))
	clk := newClock()
	c := newClient(t, srv, clk)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	resp, err := c.Do(ctx, &httpx.Request{Method: "POST", Path: "Users", Body: []byte("{}")})
	if err != nil || resp.StatusCode != 429 || resp.Attempts != 1 {
		t.Fatalf("Do = %+v, %v", resp, err)
	}
	if hits.Load() != 1 || len(clk.Waits()) != 0 {
		t.Errorf("hits %d, waits %v", hits.Load(), clk.Waits())
	}
}

func TestTricklingBodyEndsAtTheRequestDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		_, _ = w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		select { // the next byte would come much later
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	clk := newClock()
	c := newClient(t, srv, clk, httpx.WithRequestTimeout(50*time.Millisecond))
	_, err := c.Do(t.Context(), &httpx.Request{Method: "GET", Path: "Users/u1"})
	if !errors.Is(err, httpx.ErrTimeout) {
		t.Fatalf("Do = %v, want ErrTimeout", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "GET ") || !strings.Contains(msg, "/scim/Users/u1") || strings.Contains(msg, token) {
		t.Errorf("error %q does not name the request (or shows the token)", msg)
	}
	if msg := err.Error(); !strings.Contains(msg, "no complete response within the request deadline (50ms)") {
		t.Errorf("error %q does not say which deadline passed", msg)
	}
	if hits.Load() != 1 {
		t.Errorf("a request that timed out was sent %d times", hits.Load())
	}
}

func TestReflectedSecretsScrubbed(t *testing.T) {
	t.Parallel()
	// The server echoes the request's Authorization header in its error
	// body and in a header-borne message.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"detail":"bad request; you sent Authorization: %s and also bearer abc.def-ghi and %s"}`, r.Header.Get("Authorization"), "extra-s3cret-value")
	}))
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	c := newClient(t, srv, newClock(), httpx.WithSecrets("extra-s3cret-value"), httpx.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	resp, err := c.Do(t.Context(), &httpx.Request{Path: "Users"})
	if err != nil {
		t.Fatal(err)
	}
	body := string(resp.Body)
	for _, leak := range []string{token, "abc.def-ghi", "extra-s3cret-value"} {
		if strings.Contains(body, leak) || strings.Contains(logs.String(), leak) {
			t.Errorf("%q leaked: body %s, logs %s", leak, body, logs.String())
		}
	}
	if !strings.Contains(body, "Bearer [REDACTED]") {
		t.Errorf("body %s", body)
	}
	if got := c.Scrub("token " + token + " then Bearer xyz123"); strings.Contains(got, token) || strings.Contains(got, "xyz123") {
		t.Errorf("Scrub = %q", got)
	}
}

func TestUserInfoNeverEchoed(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"https://admin:hunter2pw@exa mple.com/scim", // does not parse
		"https://admin:hunter2pw@example.com/scim",  // parses, refused
		"ftp://admin:hunter2pw@example.com/",
	} {
		_, err := httpx.New(u)
		if err == nil || strings.Contains(err.Error(), "hunter2pw") || strings.Contains(err.Error(), "httpx") {
			t.Errorf("New(%q) = %v", u, err)
		}
	}
}

// newLearningClient is newClient with the limiter as New makes it by
// default (learning, no ceiling) plus opts.
func newLearningClient(t *testing.T, srv *httptest.Server, clk *fakeclock.Clock, opts ...httpx.Option) *httpx.Client {
	t.Helper()
	c, err := httpx.New(srv.URL+"/scim", append([]httpx.Option{httpx.WithToken(token), httpx.WithClock(clk.Now), httpx.WithWait(clk.Wait),
		httpx.WithRandom(func() float64 { return 0.999999 })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLimiterSlowStartAndDecrease(t *testing.T) {
	t.Parallel()
	var refuse atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.Load() {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(200)
	}))
	t.Cleanup(srv.Close)
	clk := newClock()
	c := newLearningClient(t, srv, clk, httpx.WithRetryMax(0))
	if got := c.RateLimit(); got != httpx.DefaultStartRate {
		t.Fatalf("start rate %v, want %v", got, httpx.DefaultStartRate)
	}
	// Slow start: the rate doubles every second of answers.
	for range 30 {
		if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	grown := c.RateLimit()
	if grown <= httpx.DefaultStartRate {
		t.Fatalf("rate after %v of answers = %v, want above the start", clk.Waits(), grown)
	}
	// A 429 lowers it for every caller; the learned rate is the plateau
	// just under where the 429 came.
	refuse.Store(true)
	if resp, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil || resp.StatusCode != 429 {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	if after := c.RateLimit(); after >= grown || after < grown/4 {
		t.Errorf("rate after a 429 = %v, was %v", after, grown)
	}
	if l := c.LearnedRate(); l <= c.RateLimit() || l >= grown {
		t.Errorf("LearnedRate = %v, rate %v, was %v", l, c.RateLimit(), grown)
	}
	// Quiet answers bring it back up, past the last limit seen.
	before := c.RateLimit()
	refuse.Store(false)
	clk.Advance(time.Minute) // the cubic climbs back, and past the last limit
	if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
		t.Fatal(err)
	}
	if c.RateLimit() <= before {
		t.Errorf("rate a minute after the 429 = %v, want above %v", c.RateLimit(), before)
	}
}

func TestLimiterCeilingAndStartRate(t *testing.T) {
	t.Parallel()
	srv, _ := script(t, status(200, ""))
	clk := newClock()
	c := newLearningClient(t, srv, clk, httpx.WithRateLimit(12, 1), httpx.WithStartRate(8))
	if c.RateLimit() != 8 || c.LearnedRate() != 8 {
		t.Fatalf("start: rate %v, learned %v; want 8", c.RateLimit(), c.LearnedRate())
	}
	// Back to back: the limiter's waits are the only time passing.
	for range 600 {
		if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
			t.Fatal(err)
		}
		if r := c.RateLimit(); r > 12 {
			t.Fatalf("rate %v above the ceiling 12", r)
		}
	}
	if c.RateLimit() != 12 {
		t.Errorf("rate after 600 answers = %v, want the ceiling", c.RateLimit())
	}
	for _, bad := range []float64{0, -1, 1e12} {
		if _, err := httpx.New(srv.URL, httpx.WithStartRate(bad)); err == nil {
			t.Errorf("WithStartRate(%v) accepted", bad)
		}
	}
}

func TestLimiterFollowsRateLimitHeaders(t *testing.T) {
	t.Parallel()
	for name, hdr := range map[string][]string{
		"ietf":   {"RateLimit-Policy", `"default";q=300;w=10`, "RateLimit", `"default";r=5;t=3`},
		"draft6": {"RateLimit-Policy", `30;w=1`, "RateLimit-Remaining", "5", "RateLimit-Reset", "1"},
	} {
		srv, _ := script(t, status(200, "", hdr...))
		clk := newClock()
		c := newLearningClient(t, srv, clk)
		if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
			t.Fatal(err)
		}
		if c.RateLimit() != 30 || c.LearnedRate() != 30 {
			t.Errorf("%s: rate %v, learned %v; want the announced 30/s", name, c.RateLimit(), c.LearnedRate())
		}
	}
	// A spent quota holds the next request until it resets.
	srv, _ := script(t, status(200, "", "X-RateLimit-Limit", "100", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "7"))
	clk := newClock()
	c := newLearningClient(t, srv, clk)
	for range 2 {
		if _, err := c.Do(t.Context(), &httpx.Request{Path: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.MaxWait(); got != 7*time.Second {
		t.Errorf("waits %v, want a 7 s hold", clk.Waits())
	}
}

func TestBearerPrefixRefusedWithAHint(t *testing.T) {
	t.Parallel()
	_, err := httpx.New("https://example.com/", httpx.WithToken("Bearer abc123"))
	if err == nil || !strings.Contains(err.Error(), `without that prefix`) || strings.Contains(err.Error(), "abc123") {
		t.Errorf("New = %v", err)
	}
}

func TestUserRateIsTheStart(t *testing.T) {
	t.Parallel()
	srv, _ := script(t, status(200, ""))
	c := newLearningClient(t, srv, newClock(), httpx.WithRateLimit(40, 1))
	if c.RateLimit() != 40 {
		t.Errorf("rate with WithRateLimit(40, 1) = %v, want 40", c.RateLimit())
	}
}

func TestSilentServerEndsAtTheRequestDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // no headers until much later
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c := newClient(t, srv, newClock(), httpx.WithRequestTimeout(50*time.Millisecond))
	_, err := c.Do(t.Context(), &httpx.Request{Method: "GET", Path: "Users/u1"})
	if !errors.Is(err, httpx.ErrTimeout) {
		t.Fatalf("Do = %v, want ErrTimeout", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "no complete response within the request deadline (50ms)") {
		t.Errorf("error %q does not say which deadline passed", msg)
	}
}
