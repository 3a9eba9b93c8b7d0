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
	// DefaultStartRate is the rate, in requests per second, a client that
	// learns its target's limit starts from when no [WithStartRate] says
	// otherwise.
	DefaultStartRate = 10
	// DefaultBurst is the client-side burst size of a learning limiter:
	// requests are spaced evenly, so an idle moment does not end in a burst
	// the server would refuse.
	DefaultBurst = 1
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
	// DefaultRequestTimeout is how long one attempt may take, headers and
	// whole body ([WithRequestTimeout]).
	DefaultRequestTimeout = 2 * time.Minute
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
	base           string
	token          secret
	tokenFunc      TokenFunc
	hasAuth        bool
	httpClient     *http.Client
	rate           float64 // ceiling; 0 with adaptive: none
	start          float64 // start rate; 0: DefaultStartRate (or the ceiling)
	adaptive       bool    // the limiter is on
	burst          int
	retryMax       int
	waitMin        time.Duration
	waitMax        time.Duration
	maxRetryAfter  time.Duration
	maxBody        int64
	requestTimeout time.Duration
	secrets        []string
	userAgent      string
	logger         *slog.Logger
	wait           WaitFunc // nil: retryablehttp's timer and Sleep
	now            func() time.Time
	random         func() float64
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
	return fmt.Sprintf("client{base: %s, auth: %s, rate: %g/s burst %d, retries: %d}", c.base, auth, c.rate, c.burst, c.retryMax)
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
			return errors.New("WithTokenFunc: nil function")
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
			return errors.New("WithHTTPClient: nil client")
		}
		cp := *hc
		c.httpClient = &cp
		return nil
	}
}

// WithRateLimit sets a ceiling on the client-side rate, in requests per
// second, and the burst. The limiter starts at the ceiling (or at
// [WithStartRate], if lower) and still slows down on 429s, but never goes
// above it. WithRateLimit(0, 0) switches the limiter off. A positive rate
// needs a burst of at least 1.
func WithRateLimit(requestsPerSecond float64, burst int) Option {
	return func(c *config) error {
		switch {
		case requestsPerSecond != requestsPerSecond || requestsPerSecond < 0 || requestsPerSecond > 1e9:
			return fmt.Errorf("WithRateLimit: rate %v must be between 0 and 1e9 requests per second", requestsPerSecond)
		case burst < 0:
			return fmt.Errorf("WithRateLimit: burst %d must not be negative", burst)
		case requestsPerSecond > 0 && burst == 0:
			return fmt.Errorf("WithRateLimit: burst must be at least 1 when the rate (%g/s) is positive", requestsPerSecond)
		}
		c.rate, c.burst, c.adaptive = requestsPerSecond, burst, requestsPerSecond > 0
		return nil
	}
}

// WithStartRate starts the limiter at requestsPerSecond, as if it had
// already learned that the server's limit lies there: it stays near that
// rate and probes beyond it slowly. Pass the [Client.LearnedRate] of an
// earlier client against the same server, so a new one does not learn from
// scratch. A ceiling ([WithRateLimit]) still bounds it.
func WithStartRate(requestsPerSecond float64) Option {
	return func(c *config) error {
		if requestsPerSecond != requestsPerSecond || requestsPerSecond <= 0 || requestsPerSecond > maxLearnedRate {
			return fmt.Errorf("WithStartRate: rate %v must be above 0 and at most %d requests per second", requestsPerSecond, maxLearnedRate)
		}
		c.start = requestsPerSecond
		return nil
	}
}

// WithRetryMax sets how many times a failed attempt is retried (0: never).
func WithRetryMax(n int) Option {
	return func(c *config) error {
		if n < 0 || n > 100 {
			return fmt.Errorf("WithRetryMax: %d must be between 0 and 100", n)
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
			return fmt.Errorf("WithBackoff: need 0 < min (%s) <= max (%s)", min, max)
		}
		c.waitMin, c.waitMax = min, max
		return nil
	}
}

// WithMaxRetryAfter caps how long a server's Retry-After is honoured. A
// Retry-After that passes the context's deadline is not waited at all: the
// answer goes back to the caller at once.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithMaxRetryAfter: %s must be positive", d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithMaxBody sets the largest response body read, in bytes. A larger body
// is an error wrapping [ErrBodyTooLarge], never a truncated success.
func WithMaxBody(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxBody: %d must be positive", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithRequestTimeout sets how long one attempt may take, from sending the
// request to the last byte of the response body (default
// [DefaultRequestTimeout]). An attempt that takes longer ends in an error
// wrapping [ErrTimeout] that names the request, and is not retried.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < minDeadline {
			return fmt.Errorf("WithRequestTimeout: %s must be at least %s", d, minDeadline)
		}
		c.requestTimeout = d
		return nil
	}
}

// WithSecrets names further secrets (a client secret, a password) that must
// never appear in text from the server: they are scrubbed from response
// bodies and errors like the token is.
func WithSecrets(secrets ...string) Option {
	return func(c *config) error {
		c.secrets = append(c.secrets, secrets...)
		return nil
	}
}

// WithUserAgent replaces the User-Agent header (default
// "druvascim/<version>").
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("WithUserAgent: empty or multi-line value")
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
			return errors.New("WithLogger: nil logger")
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
			return errors.New("WithWait: nil function")
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
			return errors.New("WithClock: nil function")
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
			return errors.New("WithRandom: nil function")
		}
		c.random = f
		return nil
	}
}

func checkToken(token string) error {
	if token == "" {
		return errors.New("empty bearer token")
	}
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		return errors.New(`the token starts with "Bearer ": pass the token alone, without that prefix`)
	}
	for _, r := range token {
		if r <= ' ' || r == 0x7f {
			return errors.New("bearer token holds whitespace or control characters")
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
