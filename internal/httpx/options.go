package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Defaults used when no option says otherwise.
const (
	// DefaultRateLimit is the client-side request rate, in requests per second.
	DefaultRateLimit = 20
	// DefaultBurst is the client-side burst size.
	DefaultBurst = 5
	// DefaultRetryMax is how many times a request is retried after the first attempt.
	DefaultRetryMax = 5
	// DefaultRetryWaitMin is the first exponential backoff step.
	DefaultRetryWaitMin = 500 * time.Millisecond
	// DefaultRetryWaitMax caps the exponential backoff.
	DefaultRetryWaitMax = 30 * time.Second
	// DefaultMaxRetryAfter caps a server's Retry-After.
	DefaultMaxRetryAfter = 60 * time.Second
	// DefaultMaxBody is the largest response body read, in bytes (16 MiB).
	DefaultMaxBody = 16 << 20
	// DefaultTimeout is how long the default transport waits for the
	// response headers of each attempt.
	DefaultTimeout = 60 * time.Second
	// DefaultThrottleCooldown is how long a 429 keeps the client-side rate
	// lowered before it starts to recover.
	DefaultThrottleCooldown = 5 * time.Second
)

// TokenFunc returns a bearer token. It is called before every attempt, so a
// token source that refreshes (such as an azcore.TokenCredential) keeps
// working across long retries. It must be safe for concurrent use.
type TokenFunc func(ctx context.Context) (string, error)

// WaitFunc waits for d or until ctx is done, returning ctx's error in the
// latter case. It is the seam through which every wait of a [Client] goes
// (retry backoff and rate limiting), so tests can replace it with one that
// does not sleep.
type WaitFunc func(ctx context.Context, d time.Duration) error

// Option configures a [Client]. Options validate their input: [New] returns
// the first option error.
type Option func(*config) error

// config is the validated configuration of a Client. Its token is a secret
// and the type prints redacted.
type config struct {
	base          string
	token         secret
	tokenFunc     TokenFunc
	hasAuth       bool
	httpClient    *http.Client
	rate          float64
	burst         int
	retryMax      int
	waitMin       time.Duration
	waitMax       time.Duration
	maxRetryAfter time.Duration
	cooldown      time.Duration
	maxBody       int64
	userAgent     string
	logger        *slog.Logger
	wait          WaitFunc
	now           func() time.Time
	random        func() float64
}

// String describes the configuration without its token.
func (c *config) String() string {
	auth := "none"
	switch {
	case c.tokenFunc != nil:
		auth = "token func"
	case c.hasAuth:
		auth = "static token [REDACTED]"
	}
	return fmt.Sprintf("httpx.config{base: %s, auth: %s, rate: %g/s burst %d, retries: %d}", c.base, auth, c.rate, c.burst, c.retryMax)
}

// GoString is String, so %#v does not print the token either.
func (c *config) GoString() string { return c.String() }

// Format prints the redacted String for every verb.
func (c *config) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// WithToken authenticates every request with a static bearer token. The
// token must be non-empty and hold no whitespace or control characters.
func WithToken(token string) Option {
	return func(c *config) error {
		if err := checkToken(token); err != nil {
			return err
		}
		c.token, c.tokenFunc, c.hasAuth = secret(token), nil, true
		return nil
	}
}

// WithTokenFunc authenticates every request with a token from f, called
// before each attempt.
func WithTokenFunc(f TokenFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("httpx: WithTokenFunc: nil function")
		}
		c.token, c.tokenFunc, c.hasAuth = "", f, true
		return nil
	}
}

// WithHTTPClient sends requests through a shallow copy of hc (hc itself is
// never modified). Its Transport is wrapped by the auth and rate-limit
// layers; its Timeout applies per attempt; its CheckRedirect is replaced by
// one that refuses to leave the base URL's host.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("httpx: WithHTTPClient: nil client")
		}
		cp := *hc
		c.httpClient = &cp
		return nil
	}
}

// WithRateLimit sets the client-side rate in requests per second and the
// burst. WithRateLimit(0, 0) switches the limiter off. A positive rate needs
// a burst of at least 1.
func WithRateLimit(requestsPerSecond float64, burst int) Option {
	return func(c *config) error {
		switch {
		case requestsPerSecond != requestsPerSecond || requestsPerSecond < 0 || requestsPerSecond > 1e9:
			return fmt.Errorf("httpx: WithRateLimit: rate %v must be between 0 and 1e9 requests per second", requestsPerSecond)
		case burst < 0:
			return fmt.Errorf("httpx: WithRateLimit: burst %d must not be negative", burst)
		case requestsPerSecond > 0 && burst == 0:
			return fmt.Errorf("httpx: WithRateLimit: burst must be at least 1 when the rate (%g/s) is positive", requestsPerSecond)
		}
		c.rate, c.burst = requestsPerSecond, burst
		return nil
	}
}

// WithRetryMax sets how many times a failed attempt is retried (0: never).
func WithRetryMax(n int) Option {
	return func(c *config) error {
		if n < 0 || n > 100 {
			return fmt.Errorf("httpx: WithRetryMax: %d must be between 0 and 100", n)
		}
		c.retryMax = n
		return nil
	}
}

// WithBackoff sets the exponential backoff: the first wait is about min, each
// retry doubles it, never beyond max. Waits are jittered between half and
// all of the step.
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) error {
		if min <= 0 || max < min {
			return fmt.Errorf("httpx: WithBackoff: need 0 < min (%s) <= max (%s)", min, max)
		}
		c.waitMin, c.waitMax = min, max
		return nil
	}
}

// WithMaxRetryAfter caps how long a server's Retry-After is honoured.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("httpx: WithMaxRetryAfter: %s must be positive", d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithThrottleCooldown sets how long a 429 keeps the client-side rate
// lowered before it recovers, step by step, to the configured rate.
func WithThrottleCooldown(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("httpx: WithThrottleCooldown: %s must be positive", d)
		}
		c.cooldown = d
		return nil
	}
}

// WithMaxBody sets the largest response body read, in bytes. A larger body
// is an error wrapping [ErrBodyTooLarge], never a truncated success.
func WithMaxBody(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("httpx: WithMaxBody: %d must be positive", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithUserAgent replaces the User-Agent header (default
// "druvascim/<version>").
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("httpx: WithUserAgent: empty or multi-line value")
		}
		c.userAgent = ua
		return nil
	}
}

// WithLogger logs attempts, retries and throttling at debug and warn level.
// Without it the client logs nothing. Tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("httpx: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithWait replaces the function through which the client waits (backoff and
// rate limiting). Tests pass one that records the duration and returns at
// once.
func WithWait(w WaitFunc) Option {
	return func(c *config) error {
		if w == nil {
			return errors.New("httpx: WithWait: nil function")
		}
		c.wait = w
		return nil
	}
}

// WithClock replaces the clock used by the rate limiter, Retry-After dates
// and deadline checks.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("httpx: WithClock: nil function")
		}
		c.now = now
		return nil
	}
}

// WithRandom replaces the source of jitter: a function returning a number in
// [0, 1). It must be safe for concurrent use.
func WithRandom(f func() float64) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("httpx: WithRandom: nil function")
		}
		c.random = f
		return nil
	}
}

func checkToken(token string) error {
	if token == "" {
		return errors.New("httpx: empty bearer token")
	}
	for _, r := range token {
		if r <= ' ' || r == 0x7f {
			return errors.New("httpx: bearer token holds whitespace or control characters")
		}
	}
	return nil
}

// secret is a string that never prints.
type secret string

const redacted = "[REDACTED]"

func (secret) String() string                { return redacted }
func (secret) GoString() string              { return redacted }
func (secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalText keeps the secret out of JSON and text encodings too.
func (secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
