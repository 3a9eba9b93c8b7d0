package httpx

import (
	"errors"
	"fmt"
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
)

// Errors a [Client] returns, matched with errors.Is. Their text names no
// package: callers put their own prefix in front.
var (
	// ErrBodyTooLarge: a response body was larger than the configured cap.
	ErrBodyTooLarge = errors.New("response body larger than the limit")
	// ErrOffHost: a request URL was not on the base URL's scheme and host, or
	// left the base URL's path. The request was not sent.
	ErrOffHost = errors.New("URL outside the base URL")
	// ErrInsecure: the base URL is plain HTTP and its host is not loopback.
	ErrInsecure = errors.New("base URL must use HTTPS unless its host is loopback")
	// ErrToken: the token function failed or returned an unusable token.
	ErrToken = errors.New("cannot obtain a bearer token")
	// ErrRateLimitWait: waiting for the client-side rate limiter would pass
	// the context's deadline, so the request was not sent. The error also
	// matches context.DeadlineExceeded.
	ErrRateLimitWait = errors.New("rate-limit wait would pass the context deadline")
	// ErrTimeout: a server did not send a whole response (headers and body)
	// within the per-request deadline ([WithRequestTimeout]). Such a request
	// is not retried: a server that trickles its answer would only hold the
	// caller again.
	ErrTimeout = errors.New("no complete response within the request deadline")
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
	hc      *http.Client
	lim     *limiter
	scrub   *scrubber
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
		base:           u.String(),
		adaptive:       true,
		burst:          DefaultBurst,
		retryMax:       DefaultRetryMax,
		waitMin:        DefaultRetryWaitMin,
		waitMax:        DefaultRetryWaitMax,
		maxRetryAfter:  DefaultMaxRetryAfter,
		maxBody:        DefaultMaxBody,
		requestTimeout: DefaultRequestTimeout,
		userAgent:      UserAgent(),
		now:            time.Now,
		random:         rand.Float64,
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Client{cfg: cfg, base: u, lim: newLimiter(&cfg, cfg.now()), scrub: newScrubber(string(cfg.token), cfg.secrets)}
	if u.RawPath == "" && u.User == nil {
		// The base path needs no escaping, so a simple path appended to the
		// base's text is the URL Resolve would build.
		c.baseStr = u.String()
	}
	c.hc = c.httpClient()
	return c, nil
}

// httpClient returns the *http.Client the retries go through: the injected
// one (a copy) or a pooled default, under this package's transport layer.
func (c *Client) httpClient() *http.Client {
	hc := c.cfg.httpClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 64
		// A server gets DefaultTimeout to start answering each attempt
		// (Entra's 60 s); the request deadline bounds the whole answer.
		t.ResponseHeaderTimeout = DefaultTimeout
		hc = &http.Client{Transport: t}
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &transport{c: c, next: next}
	hc.CheckRedirect = c.checkRedirect
	return hc
}

// ParseBaseURL validates a base URL as [New] does and returns it with a
// trailing slash on its path.
func ParseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse's error repeats the whole text, user info included.
		return nil, fmt.Errorf("base URL %q is not a URL: %v", redactText(s), errors.Unwrap(err))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("base URL %q: scheme must be https (or http on loopback)", redactURL(u))
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("base URL %q has no host", redactURL(u))
	case u.User != nil:
		return nil, errors.New("base URL must not hold user info (credentials); pass the token separately")
	case u.Fragment != "" || u.RawQuery != "":
		return nil, fmt.Errorf("base URL %q must not have a query or fragment", redactURL(u))
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
// second; 0 when the limiter is off.
func (c *Client) RateLimit() float64 {
	if c.lim == nil {
		return 0
	}
	return c.lim.current()
}

// LearnedRate returns the rate, in requests per second, that a later client
// against the same server should start from ([WithStartRate]): the rate the
// server announced in its headers, else the limit the limiter learned from
// its 429s, else the rate in force; 0 when the limiter is off.
func (c *Client) LearnedRate() float64 {
	if c.lim == nil {
		return 0
	}
	return c.lim.learned()
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
		return nil, fmt.Errorf("request path %q: %v", redactText(path), errors.Unwrap(err))
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
