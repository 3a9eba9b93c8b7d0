package druva

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/druvascim/druvascim/internal/httpx"
)

// Base URLs of Druva's SCIM service.
const (
	// DefaultBaseURL is Druva's commercial cloud SCIM endpoint.
	DefaultBaseURL = "https://apis.druva.com/insync/scim"
	// GovCloudBaseURL is Druva's GovCloud SCIM endpoint.
	GovCloudBaseURL = "https://govcloudapis.druva.com/insync/scim"
)

// Defaults of a [Client].
const (
	// DefaultRateLimit is the client-side rate, in requests per second, a
	// client starts from before it has learned Druva's limit. Without
	// [WithRateLimit] the client then learns the limit from Druva's answers
	// (see the package documentation), above or below this rate.
	DefaultRateLimit = httpx.DefaultStartRate
	// DefaultBurst is the client-side burst: requests are spaced evenly.
	DefaultBurst = httpx.DefaultBurst
	// DefaultRequestTimeout is how long one request may take, from sending
	// it to the last byte of the answer ([WithRequestTimeout]).
	DefaultRequestTimeout = httpx.DefaultRequestTimeout
	// DefaultPageSize is the count asked for per ListUsers/ListGroups page.
	DefaultPageSize = 100
	// maxMembersPerPatch is the largest number of members one group
	// PATCH adds or removes; PatchGroupMembers splits larger changes.
	maxMembersPerPatch = 100
)

// Option configures a [Client]. Options validate their input and
// [NewClient] returns the first error.
type Option func(*options) error

type options struct {
	baseURL  string
	pageSize int
	maxList  int
	groups   *bool
	now      func() time.Time
	http     []httpx.Option
}

// WithBaseURL points the client at another SCIM base URL (for instance
// [GovCloudBaseURL], or a fake on loopback). It must be https, or http on a
// loopback host, without user info, query or fragment.
func WithBaseURL(url string) Option {
	return func(o *options) error {
		u, err := httpx.ParseBaseURL(url)
		if err != nil {
			return wrapErr("WithBaseURL", err)
		}
		if err := checkSCIMPath(u); err != nil {
			return wrapErr("WithBaseURL", err)
		}
		o.baseURL = url
		return nil
	}
}

// WithHTTPClient sends requests through a copy of c (c itself is never
// modified). Its Timeout applies to each attempt.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("druva: WithHTTPClient: nil client")
		}
		o.http = append(o.http, httpx.WithHTTPClient(c))
		return nil
	}
}

// WithRateLimit sets a ceiling on the client-side rate: the client never
// sends faster than requestsPerSecond (with bursts of at most burst), and
// still slows down when Druva answers 429. Without it the client learns
// Druva's limit, with no ceiling. WithRateLimit(0, 0) switches the limiter
// off, for fakes and benchmarks.
func WithRateLimit(requestsPerSecond float64, burst int) Option {
	return func(o *options) error {
		if requestsPerSecond > 0 && burst == 0 {
			return fmt.Errorf("druva: WithRateLimit: burst must be at least 1 when the rate (%g/s) is positive", requestsPerSecond)
		}
		if requestsPerSecond != requestsPerSecond || requestsPerSecond < 0 || burst < 0 {
			return fmt.Errorf("druva: WithRateLimit: rate %v and burst %d must not be negative", requestsPerSecond, burst)
		}
		o.http = append(o.http, httpx.WithRateLimit(requestsPerSecond, burst))
		return nil
	}
}

// WithStartRate starts the client-side limiter at requestsPerSecond, as if
// it had already learned that Druva's limit lies there: pass the
// [Client.LearnedRate] of the previous run. A ceiling ([WithRateLimit])
// still bounds it.
func WithStartRate(requestsPerSecond float64) Option {
	return wrap("WithStartRate", httpx.WithStartRate(requestsPerSecond))
}

// WithRequestTimeout sets how long one request may take, from sending it to
// the last byte of the answer (default [DefaultRequestTimeout]). A server
// that answers slower (one that trickles its body, say) ends the request
// with an error naming it; such a request is not retried.
func WithRequestTimeout(d time.Duration) Option {
	return wrap("WithRequestTimeout", httpx.WithRequestTimeout(d))
}

// WithLogger logs requests, retries and throttling. Without it the client
// is silent. The token is never logged.
func WithLogger(l *slog.Logger) Option {
	if l != nil {
		l = slog.New(druvaHandler{l.Handler()})
	}
	return wrap("WithLogger", httpx.WithLogger(l))
}

// druvaHandler names the druva client, not its internal HTTP package, in
// the messages it passes on.
type druvaHandler struct{ slog.Handler }

func (h druvaHandler) Handle(ctx context.Context, r slog.Record) error {
	if m, ok := strings.CutPrefix(r.Message, "httpx: "); ok {
		r.Message = "druva: " + m
	}
	return h.Handler.Handle(ctx, r)
}

func (h druvaHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return druvaHandler{h.Handler.WithAttrs(as)}
}

func (h druvaHandler) WithGroup(name string) slog.Handler {
	return druvaHandler{h.Handler.WithGroup(name)}
}

// WithRetryMax sets how often a failed request is retried (default 5).
func WithRetryMax(n int) Option { return wrap("WithRetryMax", httpx.WithRetryMax(n)) }

// WithBackoff sets the exponential backoff range between retries (default
// 500 ms to 30 s, jittered).
func WithBackoff(min, max time.Duration) Option {
	return wrap("WithBackoff", httpx.WithBackoff(min, max))
}

// WithMaxRetryAfter caps how long a server's Retry-After is honoured
// (default 60 s).
func WithMaxRetryAfter(d time.Duration) Option {
	return wrap("WithMaxRetryAfter", httpx.WithMaxRetryAfter(d))
}

// WithMaxBody caps the size of a response body in bytes (default 16 MiB).
func WithMaxBody(n int64) Option { return wrap("WithMaxBody", httpx.WithMaxBody(n)) }

// WithUserAgent replaces the User-Agent (default "druvascim/<version>").
func WithUserAgent(ua string) Option { return wrap("WithUserAgent", httpx.WithUserAgent(ua)) }

// WithPageSize sets the count asked for per list page (default
// [DefaultPageSize]). Servers may return fewer; the client copes.
func WithPageSize(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 10000 {
			return fmt.Errorf("druva: WithPageSize: %d must be between 1 and 10000", n)
		}
		o.pageSize = n
		return nil
	}
}

// WithGroupsEndpoint says whether the tenant offers /Groups. Without it
// the Groups methods ask discovery once (Druva documents users only).
func WithGroupsEndpoint(offered bool) Option {
	return func(o *options) error {
		o.groups = &offered
		return nil
	}
}

// WithWait replaces how the client waits between retries and for the rate
// limiter, so tests need not sleep. f must return ctx.Err() when ctx ends.
func WithWait(f func(ctx context.Context, d time.Duration) error) Option {
	return wrap("WithWait", httpx.WithWait(f))
}

// WithClock replaces the clock of the rate limiter and of Retry-After dates.
func WithClock(now func() time.Time) Option {
	w := wrap("WithClock", httpx.WithClock(now))
	return func(o *options) error {
		if err := w(o); err != nil {
			return err
		}
		o.now = now
		return nil
	}
}

func wrap(name string, ho httpx.Option) Option {
	return func(o *options) error {
		// Validate now, so the error names the druva option.
		if _, err := httpx.New("https://validate.invalid/", ho); err != nil {
			return wrapErr(name, err)
		}
		o.http = append(o.http, ho)
		return nil
	}
}

// defaultMaxListSize is the largest totalResults a listing accepts unless
// [WithMaxListSize] says otherwise.
const defaultMaxListSize = 1_000_000

// WithMaxListSize sets the largest number of resources one listing (ListUsers,
// ListGroups, FindUsers) accepts (default 1,000,000). A server
// announcing more in totalResults is refused at its first page: paging
// through it could take hours and the memory of every id seen, and a
// server that invents resources on every page would never end.
func WithMaxListSize(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("druva: WithMaxListSize: %d must be at least 1", n)
		}
		o.maxList = n
		return nil
	}
}
