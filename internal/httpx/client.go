package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Errors a [Client] returns, matched with errors.Is.
var (
	// ErrBodyTooLarge: a response body was larger than the configured cap.
	ErrBodyTooLarge = errors.New("httpx: response body larger than the limit")
	// ErrOffHost: a request URL was not on the base URL's scheme and host, or
	// left the base URL's path. The request was not sent.
	ErrOffHost = errors.New("httpx: URL outside the base URL")
	// ErrInsecure: the base URL is plain HTTP and its host is not loopback.
	ErrInsecure = errors.New("httpx: base URL must use HTTPS unless its host is loopback")
	// ErrToken: the token function failed or returned an unusable token.
	ErrToken = errors.New("httpx: cannot obtain a bearer token")
	// ErrRateLimitWait: waiting for the client-side rate limiter would pass
	// the context's deadline, so the request was not sent. The error also
	// matches context.DeadlineExceeded.
	ErrRateLimitWait = errors.New("httpx: rate-limit wait would pass the context deadline")
)

// modulePath is the module whose version goes into the User-Agent.
const modulePath = "github.com/druvascim/druvascim"

// Version returns the module version the binary was built with ("devel"
// when unknown, as in tests).
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == modulePath && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath && d.Version != "" {
				return d.Version
			}
		}
	}
	return "devel"
}

// UserAgent is the default User-Agent: "druvascim/<version>".
func UserAgent() string { return "druvascim/" + Version() }

// Client sends HTTP requests to one service: bearer auth, an adaptive
// client-side rate limit, retries with capped backoff, bounded bodies. It is
// safe for concurrent use and immutable after [New].
type Client struct {
	cfg     config
	base    *url.URL
	baseStr string // base.String() when simple paths may be appended to it
	lim     *limiter
	rc      *retryablehttp.Client
	stats   counters
}

type counters struct {
	requests, retries, throttled atomic.Int64
}

// Stats are the counters of a [Client] since it was made.
type Stats struct {
	Requests  int64 // attempts sent over the wire
	Retries   int64 // attempts that were retries
	Throttled int64 // responses with status 429
}

// Request is one logical request; the Client may send it several times.
type Request struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// Path is relative to the base URL ("Users", "/Users/1" and
	// "Users?filter=..." all resolve below the base path), or an absolute
	// URL on the base URL's scheme and host and below its path.
	Path string
	// Query is added to Path's own query.
	Query url.Values
	// Header holds extra headers, read and never modified (one map may
	// serve every request). Authorization and User-Agent are set by the
	// Client.
	Header http.Header
	// Body is sent as is on every attempt (nil: no body).
	Body []byte
	// ContentType is the body's media type (default "application/json"
	// when Body is set).
	ContentType string
}

// Response is the last response to a [Request], whatever its status: a
// non-2xx status is not an error at this level.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte // the whole body, read under the size cap
	Method     string
	URL        string // the request URL (never holds credentials)
	Attempts   int    // attempts made, 1 when the first succeeded
}

// New returns a Client for the service at baseURL. baseURL must be an
// absolute http(s) URL without user info or fragment; plain HTTP is refused
// unless the host is loopback ([ErrInsecure]).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := ParseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	cfg := config{
		base:          u.String(),
		rate:          DefaultRateLimit,
		burst:         DefaultBurst,
		retryMax:      DefaultRetryMax,
		waitMin:       DefaultRetryWaitMin,
		waitMax:       DefaultRetryWaitMax,
		maxRetryAfter: DefaultMaxRetryAfter,
		cooldown:      DefaultThrottleCooldown,
		maxBody:       DefaultMaxBody,
		userAgent:     UserAgent(),
		wait:          Sleep,
		now:           time.Now,
		random:        rand.Float64,
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("httpx: nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Client{cfg: cfg, base: u, lim: newLimiter(cfg.rate, cfg.burst, cfg.cooldown)}
	if u.RawPath == "" && u.User == nil {
		// The base path needs no escaping, so a simple path appended to the
		// base's text is the URL Resolve would build.
		c.baseStr = u.String()
	}

	hc := cfg.httpClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 64
		// A server gets DefaultTimeout to answer each attempt (Entra's
		// 60 s). ResponseHeaderTimeout costs less per request than
		// http.Client.Timeout; the context still bounds the whole call.
		t.ResponseHeaderTimeout = DefaultTimeout
		hc = &http.Client{Transport: t}
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &transport{c: c, next: next}
	hc.CheckRedirect = c.checkRedirect
	c.cfg.httpClient = hc

	c.rc = &retryablehttp.Client{
		HTTPClient: hc,
		Logger:     nil, // never retryablehttp's stderr logger; we log through slog
		// Our CheckRetry counts attempts itself; this bound is never the one hit.
		RetryMax:     cfg.retryMax + 1,
		RetryWaitMin: 0,
		RetryWaitMax: 0,
		CheckRetry:   c.checkRetry,
		// The wait happens inside checkRetry through the wait seam, so
		// retryablehttp's own timer always gets zero.
		Backoff:      func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		ErrorHandler: errorHandler,
	}
	return c, nil
}

// ParseBaseURL validates a base URL as [New] does and returns it with a
// trailing slash on its path.
func ParseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("httpx: base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("httpx: base URL %q: scheme must be https (or http on loopback)", redactURL(u))
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("httpx: base URL %q has no host", redactURL(u))
	case u.User != nil:
		return nil, errors.New("httpx: base URL must not hold user info (credentials)")
	case u.Fragment != "" || u.RawQuery != "":
		return nil, fmt.Errorf("httpx: base URL %q must not have a query or fragment", redactURL(u))
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return nil, fmt.Errorf("%w: %q", ErrInsecure, redactURL(u))
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// IsLoopback reports whether host is "localhost" or a loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// BaseURL returns the base URL with its trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// Stats returns the counters; safe to call concurrently with requests.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:  c.stats.requests.Load(),
		Retries:   c.stats.retries.Load(),
		Throttled: c.stats.throttled.Load(),
	}
}

// RateLimit returns the client-side rate now in force, in requests per
// second (lower than configured for a while after a 429); 0 when the
// limiter is off.
func (c *Client) RateLimit() float64 {
	if c.lim == nil {
		return 0
	}
	return c.lim.current()
}

// String describes the client without its token.
func (c *Client) String() string { return c.cfg.String() }

// GoString is String.
func (c *Client) GoString() string { return c.cfg.String() }

// Format prints the redacted String for every verb, so %v, %+v and %#v of a
// Client (or of a struct holding one) never show the token.
func (c *Client) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.cfg.String())) }

// Resolve returns the absolute URL for a request path, with the checks of
// [Request].Path; an error wraps [ErrOffHost].
func (c *Client) Resolve(path string, query url.Values) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("httpx: request path: %w", err)
	}
	var u *url.URL
	switch {
	case ref.Scheme != "":
		if !strings.EqualFold(ref.Scheme, c.base.Scheme) || !strings.EqualFold(ref.Host, c.base.Host) || ref.User != nil {
			return nil, fmt.Errorf("%w: %s is not on %s://%s", ErrOffHost, redactURL(ref), c.base.Scheme, c.base.Host)
		}
		u = c.base.ResolveReference(ref) // cleans dot segments
	case ref.Host != "" || ref.User != nil:
		return nil, fmt.Errorf("%w: scheme-relative URL %s", ErrOffHost, redactURL(ref))
	default:
		ref.Path = strings.TrimLeft(ref.Path, "/")
		if ref.RawPath != "" {
			ref.RawPath = strings.TrimLeft(ref.RawPath, "/")
		}
		u = c.base.ResolveReference(ref)
	}
	if !strings.HasPrefix(u.EscapedPath()+"/", c.base.EscapedPath()) {
		return nil, fmt.Errorf("%w: %s leaves the base path %s", ErrOffHost, redactURL(u), c.base.EscapedPath())
	}
	u.Fragment, u.RawFragment = "", ""
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// simplePath reports whether path is a plain relative path ("Users",
// "/Groups/abc-1") that [Client.Resolve] would only append to the base path,
// and returns it without its leading slash. Such paths, the common case, skip
// URL parsing.
func (c *Client) simplePath(path string) (string, bool) {
	if c.baseStr == "" {
		return "", false
	}
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return "", false
	}
	prev := byte('/') // so a second leading slash (a scheme-relative URL) is refused
	for i := 0; i < len(path); i++ {
		b := path[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '-', b == '_', b == '~':
		case b == '/' && prev != '/':
		default:
			return "", false // dots, escapes, queries, schemes, empty segments: Resolve decides
		}
		prev = b
	}
	return path, true
}

// callState is one logical request's bookkeeping, reached by checkRetry
// through the request context.
type callState struct {
	c        *Client
	attempts int
	body     []byte
	bodyRead bool
	method   string
	url      string
}

type callKey struct{}

// Do sends req, retrying as configured, and returns the last response with
// its whole body, whatever its status. The error is non-nil only when no
// usable response exists: the request could not be built or authorised, a
// transport error outlived the retries, the body was too large or broken,
// or ctx ended.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, errors.New("httpx: nil request")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var full string
	if p, ok := c.simplePath(req.Path); ok && len(req.Query) == 0 {
		full = c.baseStr + p
	} else {
		u, err := c.Resolve(req.Path, req.Query)
		if err != nil {
			return nil, err
		}
		full = u.String() // Resolve leaves no user info or fragment
	}
	shown := full // the URL for errors and logs
	st := &callState{c: c, method: method, url: shown}
	ctx = context.WithValue(ctx, callKey{}, st)
	var body any
	if req.Body != nil {
		body = req.Body
	}
	rr, err := retryablehttp.NewRequestWithContext(ctx, method, full, body)
	if err != nil {
		return nil, fmt.Errorf("httpx: %s %s: %w", method, st.url, err)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			rr.Header.Add(k, v)
		}
	}
	if req.Body != nil {
		ct := req.ContentType
		if ct == "" {
			ct = "application/json"
		}
		rr.Header.Set("Content-Type", ct)
	}
	if rr.Header.Get("Accept") == "" {
		rr.Header.Set("Accept", "application/json")
	}
	rr.Header.Set("User-Agent", c.cfg.userAgent)
	rr.Header.Del("Authorization")
	if c.cfg.hasAuth && c.cfg.tokenFunc == nil {
		// A static token is set once here (the URL was checked by Resolve);
		// a token func is asked per attempt in the transport.
		rr.Header.Set("Authorization", "Bearer "+string(c.cfg.token))
	}

	// The limiter is waited on outside http.Client, so its per-attempt
	// Timeout does not run while a request queues; retries wait again in
	// checkRetry.
	if err := c.waitLimiter(ctx); err != nil {
		return nil, fmt.Errorf("httpx: %s %s: %w", method, st.url, err)
	}
	resp, err := c.rc.Do(rr)
	if err != nil {
		if resp != nil {
			drain(resp.Body)
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("httpx: %s %s: %w (%v)", method, st.url, ctxErr, err)
		}
		if st.attempts > 1 {
			return nil, fmt.Errorf("httpx: %s %s: %w (after %d attempts)", method, st.url, unwrapURLError(err), st.attempts)
		}
		return nil, fmt.Errorf("httpx: %s %s: %w", method, st.url, unwrapURLError(err))
	}
	out := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Method: method, URL: st.url, Attempts: st.attempts}
	if st.bodyRead {
		out.Body = st.body // resp.Body is http.NoBody: read and closed already
	} else {
		b, err := c.readBody(resp)
		if err != nil {
			return nil, fmt.Errorf("httpx: %s %s: %w", method, st.url, err)
		}
		out.Body = b
	}
	return out, nil
}

// readBody reads resp's body under the cap and closes it.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	if resp.ContentLength > c.cfg.maxBody {
		return nil, fmt.Errorf("%w: Content-Length %d > %d bytes", ErrBodyTooLarge, resp.ContentLength, c.cfg.maxBody)
	}
	var b []byte
	var err error
	if n := resp.ContentLength; n >= 0 {
		// Known length: one allocation, then make sure nothing follows.
		b = make([]byte, n)
		if _, err = io.ReadFull(resp.Body, b); err == nil {
			var extra [1]byte
			if k, _ := resp.Body.Read(extra[:]); k > 0 {
				err = errors.New("body longer than its Content-Length")
			}
		}
	} else {
		b, err = io.ReadAll(io.LimitReader(resp.Body, c.cfg.maxBody+1))
	}
	if err != nil {
		return nil, fmt.Errorf("reading response body (status %d): %w", resp.StatusCode, err)
	}
	if int64(len(b)) > c.cfg.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, c.cfg.maxBody)
	}
	return b, nil
}

// checkRetry is the retryablehttp CheckRetry. Besides deciding, it reads the
// body of each response (so a broken body counts as a transport error and a
// final response keeps its body), feeds 429s to the limiter and does the
// backoff wait itself through the wait seam.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st, _ := ctx.Value(callKey{}).(*callState)
	if st == nil { // not one of ours; cannot happen
		return false, err
	}
	st.attempts++
	if cerr := ctx.Err(); cerr != nil {
		return false, cerr
	}
	status := 0
	if err == nil && resp != nil {
		status = resp.StatusCode
		b, rerr := c.readBody(resp)
		if rerr != nil {
			if errors.Is(rerr, ErrBodyTooLarge) {
				return false, rerr
			}
			err = rerr // a body cut short is a transport failure
		} else {
			// The bytes are kept in st; retryablehttp only drains and
			// closes the body it sees.
			st.body, st.bodyRead = b, true
			resp.Body = http.NoBody
		}
	}
	var retryAfter time.Duration
	var hasRetryAfter bool
	if resp != nil {
		retryAfter, hasRetryAfter = RetryAfter(resp.Header, c.cfg.now())
		retryAfter = min(retryAfter, c.cfg.maxRetryAfter)
	}
	if status == http.StatusTooManyRequests {
		c.stats.throttled.Add(1)
		if c.lim != nil {
			r := c.lim.throttled(c.cfg.now(), retryAfter)
			c.log(ctx, slog.LevelWarn, "throttled by server; client rate lowered", "method", st.method, "url", st.url, "retry_after", retryAfter, "rate", float64(r))
		}
	}
	if !retryable(status, err) {
		if err != nil {
			return false, err
		}
		return false, nil
	}
	if st.attempts > c.cfg.retryMax {
		c.log(ctx, slog.LevelWarn, "retries exhausted", "method", st.method, "url", st.url, "status", status, "attempts", st.attempts, "error", errString(err))
		return false, err
	}
	wait := c.backoff(st.attempts-1, hasRetryAfter, retryAfter)
	if dl, ok := ctx.Deadline(); ok && wait > time.Until(dl) {
		c.log(ctx, slog.LevelWarn, "not retrying: backoff would pass the context deadline", "method", st.method, "url", st.url, "status", status, "wait", wait)
		return false, err
	}
	c.log(ctx, slog.LevelDebug, "retrying", "method", st.method, "url", st.url, "status", status, "attempt", st.attempts, "wait", wait, "error", errString(err))
	if werr := c.cfg.wait(ctx, wait); werr != nil {
		return false, werr
	}
	if werr := c.waitLimiter(ctx); werr != nil {
		if ctx.Err() == nil { // the limiter wait would pass the deadline
			return false, err
		}
		return false, werr
	}
	st.bodyRead = false
	c.stats.retries.Add(1)
	return true, nil
}

// retryable: transport errors (not context ends, not our own refusals),
// 429 and 5xx except 501.
func retryable(status int, err error) bool {
	if err != nil {
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
			errors.Is(err, ErrOffHost), errors.Is(err, ErrToken), errors.Is(err, ErrBodyTooLarge):
			return false
		}
		var ue *url.Error
		if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "stopped after") {
			return false // redirect refused
		}
		return true
	}
	return status == http.StatusTooManyRequests || (status >= 500 && status != http.StatusNotImplemented)
}

// backoff returns the wait before retry number attempt+1 (attempt counts
// from 0): the server's Retry-After when given (already capped), else
// exponential from waitMin, capped at waitMax, jittered between half and all
// of the step.
func (c *Client) backoff(attempt int, hasRetryAfter bool, retryAfter time.Duration) time.Duration {
	if hasRetryAfter {
		return retryAfter
	}
	step := float64(c.cfg.waitMin) * math.Pow(2, float64(attempt))
	if step > float64(c.cfg.waitMax) || math.IsInf(step, 0) {
		step = float64(c.cfg.waitMax)
	}
	j := c.cfg.random()
	if j < 0 || j >= 1 {
		j = 0
	}
	return time.Duration(step/2 + step/2*j)
}

// errorHandler keeps the last response: when retries are exhausted on a
// retryable status the caller gets that response, not "giving up".
func errorHandler(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil {
		if resp != nil {
			drain(resp.Body)
		}
		return nil, err
	}
	return resp, nil
}

// RetryAfter parses a Retry-After header (delay in seconds or an HTTP date)
// relative to now. A date in the past gives 0; a malformed or absent header
// gives false.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(math.MaxInt64/time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(0, t.Sub(now)), true
}

// onBase checks that an absolute request URL is on the base URL's scheme
// and host and below its path, without re-parsing it.
func (c *Client) onBase(u *url.URL) error {
	if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) || u.User != nil {
		return fmt.Errorf("%w: %s is not on %s://%s", ErrOffHost, redactURL(u), c.base.Scheme, c.base.Host)
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p+"/", c.base.EscapedPath()) || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
		return fmt.Errorf("%w: %s leaves the base path %s", ErrOffHost, redactURL(u), c.base.EscapedPath())
	}
	return nil
}

// checkRedirect allows redirects only within the base URL.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if _, err := c.Resolve(req.URL.String(), nil); err != nil {
		return fmt.Errorf("stopped after redirect: %w", err)
	}
	return nil
}

func (c *Client) log(ctx context.Context, level slog.Level, msg string, args ...any) {
	if c.cfg.logger == nil {
		return
	}
	c.cfg.logger.Log(ctx, level, "httpx: "+msg, args...)
}

// transport is the RoundTripper layer under retries: base-URL check, bearer
// token, counting. (The rate limiter is waited on before each attempt, see
// Do and checkRetry.)
type transport struct {
	c    *Client
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	closeBody := func() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
	// The token goes only to the base URL, whatever sent us here.
	if err := c.onBase(req.URL); err != nil {
		closeBody()
		return nil, err
	}
	ctx := req.Context()
	r := req
	if c.cfg.tokenFunc != nil {
		tok, err := c.cfg.tokenFunc(ctx)
		if err != nil {
			closeBody()
			return nil, fmt.Errorf("%w: %w", ErrToken, err)
		}
		if err := checkToken(tok); err != nil {
			closeBody()
			return nil, fmt.Errorf("%w: %w", ErrToken, err)
		}
		r = req.Clone(ctx) // a RoundTripper must not modify its request
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	c.stats.requests.Add(1)
	start := c.cfg.now()
	resp, err := t.next.RoundTrip(r)
	if c.cfg.logger != nil {
		if err != nil {
			c.log(ctx, slog.LevelDebug, "attempt failed", "method", r.Method, "url", redactURL(r.URL), "error", err.Error())
		} else {
			c.log(ctx, slog.LevelDebug, "attempt", "method", r.Method, "url", redactURL(r.URL), "status", resp.StatusCode, "duration", c.cfg.now().Sub(start))
		}
	}
	return resp, err
}

// redactURL drops user info and fragments.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	cp := *u
	cp.User = nil
	cp.Fragment, cp.RawFragment = "", ""
	return cp.String()
}

// unwrapURLError removes net/http's *url.Error wrapper (which repeats the
// method and URL we already print) but keeps its cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func drain(b io.ReadCloser) {
	if b == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(b, 64<<10))
	_ = b.Close()
}
