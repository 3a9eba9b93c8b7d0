package druvatest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// BasePath is the path under which the fake serves SCIM, as Druva does
// (https://apis.druva.com/insync/scim).
const BasePath = "/insync/scim"

// DefaultMaxPageSize is the largest page a list request gets by default.
const DefaultMaxPageSize = 100

// Option configures a [Server].
type Option func(*config) error

type config struct {
	token       string
	addr        string
	maxPage     int
	groups      bool
	discovery   bool
	mappings    []Mapping
	faults      Faults
	rate        float64
	burst       int
	rateHeaders bool
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	maxBodySize int64
}

// Mapping is a Druva "SCIM mapping": users whose Attribute holds one of
// Values get Profile. As in Druva, attribute name and values match with
// case; the attribute is looked up at the top level of the user and then
// inside schema extensions (so "department" matches the enterprise
// extension's department too). An empty Attribute matches every user.
type Mapping struct {
	Profile   string
	Attribute string
	Values    []string
}

// Faults are injected failures. Each request draws from a random source
// seeded with Seed and the request's sequence number, so a run with the
// same requests in the same order fails the same way.
type Faults struct {
	// Seed seeds the draws.
	Seed uint64
	// TooManyRequests is the share of requests answered 429 with a
	// Retry-After of RetryAfter.
	TooManyRequests float64
	// RetryAfter is the Retry-After of injected 429s (default 1 s; sent in
	// whole seconds, rounded up).
	RetryAfter time.Duration
	// ServerErrors is the share of requests answered 500, 502 or 503.
	ServerErrors float64
	// ResponseLost is the share of writes (POST, PUT, PATCH, DELETE) that
	// are applied and then lose their response: the connection is closed
	// without an answer.
	ResponseLost float64
	// Latency is added before a share LatencyRate of requests is handled,
	// through the server's sleep function ([WithSleep]).
	Latency     time.Duration
	LatencyRate float64
}

func (f Faults) validate() error {
	for name, v := range map[string]float64{"TooManyRequests": f.TooManyRequests, "ServerErrors": f.ServerErrors, "ResponseLost": f.ResponseLost, "LatencyRate": f.LatencyRate} {
		if v != v || v < 0 || v > 1 {
			return fmt.Errorf("druvatest: Faults.%s %v must be between 0 and 1", name, v)
		}
	}
	if f.TooManyRequests+f.ServerErrors > 1 {
		return errors.New("druvatest: Faults.TooManyRequests + ServerErrors must not exceed 1")
	}
	if f.RetryAfter < 0 || f.Latency < 0 {
		return errors.New("druvatest: Faults.RetryAfter and Latency must not be negative")
	}
	return nil
}

// WithToken sets the bearer token the server accepts (default: random).
func WithToken(token string) Option {
	return func(c *config) error {
		if token == "" || strings.ContainsAny(token, " \t\r\n") {
			return errors.New("druvatest: WithToken: empty token or one with whitespace")
		}
		c.token = token
		return nil
	}
}

// WithAddr listens on addr (host:port) instead of a random loopback port,
// for a standalone fake.
func WithAddr(addr string) Option {
	return func(c *config) error {
		if addr == "" {
			return errors.New("druvatest: WithAddr: empty address")
		}
		c.addr = addr
		return nil
	}
}

// WithMaxPageSize caps the count of a list page (default
// [DefaultMaxPageSize]); larger requests get this many.
func WithMaxPageSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("druvatest: WithMaxPageSize: %d must be at least 1", n)
		}
		c.maxPage = n
		return nil
	}
}

// WithGroupsEndpoint says whether the fake offers /Groups (default false:
// Druva documents users only). It has the shape of the druva client's
// option of the same name.
func WithGroupsEndpoint(offered bool) Option {
	return func(c *config) error { c.groups = offered; return nil }
}

// WithoutDiscovery answers 404 on /ServiceProviderConfig, /ResourceTypes and
// /Schemas, as a service that publishes nothing.
func WithoutDiscovery() Option {
	return func(c *config) error { c.discovery = false; return nil }
}

// WithMappings configures Druva SCIM mappings: when any is configured, a
// user can only be created when one matches (else 400 "None of the SCIM
// Mapping matched to create user"); the first match gives the profile.
func WithMappings(ms ...Mapping) Option {
	return func(c *config) error {
		for i, m := range ms {
			if m.Profile == "" {
				return fmt.Errorf("druvatest: WithMappings: mapping %d has no Profile", i)
			}
			if m.Attribute != "" && len(m.Values) == 0 {
				return fmt.Errorf("druvatest: WithMappings: mapping %q filters on %q without values", m.Profile, m.Attribute)
			}
		}
		c.mappings = append([]Mapping(nil), ms...)
		return nil
	}
}

// WithFaults injects faults from the start (see also [Server.SetFaults]).
func WithFaults(f Faults) Option {
	return func(c *config) error {
		if err := f.validate(); err != nil {
			return err
		}
		c.faults = f
		return nil
	}
}

// WithRateLimit limits the server to requestsPerSecond with a token bucket
// of size burst (on the server's clock); requests over the limit get 429
// with a Retry-After. 0 switches the limit off (the default).
func WithRateLimit(requestsPerSecond float64, burst int) Option {
	return func(c *config) error {
		if requestsPerSecond != requestsPerSecond || requestsPerSecond < 0 || burst < 0 || (requestsPerSecond > 0 && burst == 0) {
			return fmt.Errorf("druvatest: WithRateLimit(%v, %d): need a rate >= 0 and, with a rate, a burst >= 1", requestsPerSecond, burst)
		}
		c.rate, c.burst = requestsPerSecond, burst
		return nil
	}
}

// WithRateLimitHeaders makes the server-side rate limit ([WithRateLimit])
// describe itself on every answer: RateLimit-Policy and RateLimit
// (https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/)
// and the common X-RateLimit-Limit, -Remaining and -Reset.
func WithRateLimitHeaders() Option {
	return func(c *config) error {
		c.rateHeaders = true
		return nil
	}
}

// WithClock replaces the server's clock (rate limit, meta timestamps).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("druvatest: WithClock: nil function")
		}
		c.now = now
		return nil
	}
}

// WithSleep replaces how injected latency is waited for, so tests need not
// sleep. It must return ctx.Err() when ctx ends.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) error {
		if sleep == nil {
			return errors.New("druvatest: WithSleep: nil function")
		}
		c.sleep = sleep
		return nil
	}
}
