package entratest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of a new [Server].
const (
	DefaultUsers    = 100
	DefaultSeed     = 1
	DefaultPageSize = 100 // Graph's default page size for users and members
	MaxPageSize     = 999 // Graph's largest page size for users and members
	DefaultDomain   = "contoso.example"
	// MaxUsers bounds WithUsers so that a typo cannot exhaust memory.
	MaxUsers = 5_000_000
)

type config struct {
	seed        uint64
	users       int
	groups      int // -1: derived from users
	token       string
	domain      string
	addr        string
	foreign     string
	faults      Faults
	maxPageSize int
	rate        float64 // throttle: requests per second per app, 0 for none
	burst       int
	now         func() time.Time
}

// Option configures a [Server]. Options validate their arguments.
type Option func(*config) error

// WithSeed sets the seed the tenant is generated from (default [DefaultSeed]).
// The same seed and sizes give the same tenant, ids included.
func WithSeed(seed uint64) Option {
	return func(c *config) error { c.seed = seed; return nil }
}

// WithUsers sets the number of generated users (default [DefaultUsers]).
func WithUsers(n int) Option {
	return func(c *config) error {
		if n < 0 || n > MaxUsers {
			return fmt.Errorf("entratest: WithUsers(%d): want 0..%d", n, MaxUsers)
		}
		c.users = n
		return nil
	}
}

// WithGroups sets the number of generated groups (default: one per 100
// users, at least 8).
func WithGroups(n int) Option {
	return func(c *config) error {
		if n < 0 || n > MaxUsers {
			return fmt.Errorf("entratest: WithGroups(%d): want 0..%d", n, MaxUsers)
		}
		c.groups = n
		return nil
	}
}

// WithToken sets the bearer token the server accepts (default: derived from
// the seed).
func WithToken(token string) Option {
	return func(c *config) error {
		if token == "" || strings.ContainsAny(token, " \t\r\n") {
			return errors.New("entratest: WithToken: token must be non-empty without white space")
		}
		c.token = token
		return nil
	}
}

// WithDomain sets the verified domain of generated userPrincipalNames
// (default [DefaultDomain]).
func WithDomain(domain string) Option {
	return func(c *config) error {
		if domain == "" || strings.ContainsAny(domain, " @/") {
			return fmt.Errorf("entratest: WithDomain(%q): not a domain name", domain)
		}
		c.domain = domain
		return nil
	}
}

// WithAddr makes the server listen on addr (host:port) instead of a random
// loopback port.
func WithAddr(addr string) Option {
	return func(c *config) error {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("entratest: WithAddr(%q): %w", addr, err)
		}
		c.addr = addr
		return nil
	}
}

// WithForeignHost sets the base URL that a [ForeignNextLink] fault points
// nextLinks at (default https://graph.foreign.invalid). A test can point it
// at a second loopback server to prove that nothing is ever sent there.
func WithForeignHost(baseURL string) Option {
	return func(c *config) error {
		u, err := url.Parse(baseURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("entratest: WithForeignHost(%q): want an absolute http(s) URL", baseURL)
		}
		c.foreign = strings.TrimRight(baseURL, "/")
		return nil
	}
}

// WithThrottle limits each app (each bearer token) to requestsPerSecond,
// with bursts of up to burst requests, as Graph's service limits do: a
// request beyond the limit is answered 429 TooManyRequests with Retry-After
// (whole seconds until the next request would be allowed, at least 1).
// Every request inside a JSON $batch counts and is throttled on its own (a
// 429 item in a 200 answer), the $batch envelope does not count. Off by
// default.
func WithThrottle(requestsPerSecond float64, burst int) Option {
	return func(c *config) error {
		if !(requestsPerSecond > 0) || burst < 1 {
			return fmt.Errorf("entratest: WithThrottle(%v, %d): want a positive rate and a burst of at least 1", requestsPerSecond, burst)
		}
		c.rate, c.burst = requestsPerSecond, burst
		return nil
	}
}

// WithClock sets the clock of the throttle (default time.Now), so that a
// test can move time forward instead of waiting.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("entratest: WithClock: nil function")
		}
		c.now = now
		return nil
	}
}

// WithMaxPageSize caps the page size the server honours (default
// [MaxPageSize]); smaller values make tests page more.
func WithMaxPageSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxPageSize {
			return fmt.Errorf("entratest: WithMaxPageSize(%d): want 1..%d", n, MaxPageSize)
		}
		c.maxPageSize = n
		return nil
	}
}

// Faults are random faults injected into read (GET) requests, each with the
// given probability in [0, 1], drawn from a generator seeded with Seed, so a
// run is reproducible. Every injected fault is counted in [Stats].
type Faults struct {
	Seed            uint64
	Throttle        float64       // 429 Too Many Requests with Retry-After
	Unavailable     float64       // 503 Service Unavailable with Retry-After
	ForeignNextLink float64       // a page whose @odata.nextLink points at the foreign host
	MissingValue    float64       // a collection page without "value"
	ExpiredDelta    float64       // a delta link answered 410 SyncStateNotFound
	RetryAfter      time.Duration // the Retry-After sent with 429 and 503 (default 1s)
}

// WithFaults enables random fault injection.
func WithFaults(f Faults) Option {
	return func(c *config) error {
		for name, p := range map[string]float64{
			"Throttle": f.Throttle, "Unavailable": f.Unavailable, "ForeignNextLink": f.ForeignNextLink,
			"MissingValue": f.MissingValue, "ExpiredDelta": f.ExpiredDelta,
		} {
			if !(p >= 0 && p <= 1) {
				return fmt.Errorf("entratest: WithFaults: %s = %v, want a probability in [0, 1]", name, p)
			}
		}
		if f.RetryAfter < 0 {
			return fmt.Errorf("entratest: WithFaults: negative RetryAfter %v", f.RetryAfter)
		}
		c.faults = f
		return nil
	}
}

// Fault is one kind of injected fault.
type Fault int

// Faults that [Server.Inject] can queue.
const (
	Throttle        Fault = iota + 1 // 429 with Retry-After on the next GET
	Unavailable                      // 503 with Retry-After on the next GET
	ForeignNextLink                  // the next page that has more pages links to the foreign host
	MissingValue                     // the next collection page omits "value"
	ExpiredDelta                     // the next request with a $deltatoken gets 410 SyncStateNotFound
	MalformedPage                    // the next collection page is an HTML error page with status 200
)

func (f Fault) String() string {
	switch f {
	case Throttle:
		return "throttle"
	case Unavailable:
		return "unavailable"
	case ForeignNextLink:
		return "foreign nextLink"
	case MissingValue:
		return "missing value"
	case ExpiredDelta:
		return "expired delta"
	case MalformedPage:
		return "malformed page"
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// Stats counts what the server saw and did.
type Stats struct {
	Requests     int // every request, faulted or not
	Reads        int // GET requests answered 200
	Writes       int // successful writes
	Unauthorized int // requests rejected with 401
	Throttled    int // 429 answers: injected, and from the throttle (WithThrottle)
	Unavailable  int // 503 answers injected
	ForeignLinks int // nextLinks pointed at the foreign host
	MissingValue int // pages sent without "value"
	ExpiredDelta int // delta links answered 410
	Malformed    int // HTML pages sent instead of JSON
}

// Request is one entry of the request log.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Status int
	// Took is how long the server spent answering.
	Took time.Duration
}

// Server is a fake Microsoft Graph tenant serving /v1.0 over HTTP on
// loopback. Its methods are safe for concurrent use.
type Server struct {
	// URL is the Graph root (scheme://host:port); endpoints live under URL + "/v1.0".
	URL string
	// Token is the bearer token the server accepts.
	Token string
	// ServicePrincipalID is the object id of the Druva enterprise app's service principal.
	ServicePrincipalID string
	// AppID is the application (client) id of the Druva app.
	AppID string

	srv     *httptest.Server
	foreign string
	maxPage int
	domain  string

	mu         sync.RWMutex
	seq        uint64
	epoch      uint64 // delta tokens from an older epoch have expired
	spID       string
	appID      string
	roles      []AppRole
	users      []*user
	userByID   map[string]*user
	groups     []*group
	groupByID  map[string]*group
	assigns    []*assignment
	assignByID map[string]*assignment
	idRand     *rand.Rand

	tmu    sync.Mutex // guards limits
	limits map[string]*rate.Limiter
	rate   rate.Limit
	burst  int
	now    func() time.Time

	fmu     sync.Mutex
	faults  Faults
	frand   *rand.Rand
	queued  map[Fault]int
	stats   Stats
	log     []Request
	maxLog  int
	dropped int
}

// NewServer generates a tenant and starts serving it. Call [Server.Close]
// when done.
func NewServer(opts ...Option) (*Server, error) {
	cfg := config{seed: DefaultSeed, users: DefaultUsers, groups: -1, domain: DefaultDomain, now: time.Now,
		foreign: "https://graph.foreign.invalid", maxPageSize: MaxPageSize}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("entratest: nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.groups < 0 {
		cfg.groups = max(8, cfg.users/100)
	}
	if cfg.token == "" {
		cfg.token = fmt.Sprintf("entratest-token-%d", cfg.seed)
	}
	if cfg.faults.RetryAfter == 0 {
		cfg.faults.RetryAfter = time.Second
	}
	s := &Server{
		Token:   cfg.token,
		foreign: cfg.foreign,
		maxPage: cfg.maxPageSize,
		domain:  cfg.domain,
		faults:  cfg.faults,
		frand:   rand.New(rand.NewPCG(cfg.faults.Seed, 0xfa017)),
		queued:  map[Fault]int{},
		idRand:  rand.New(rand.NewPCG(cfg.seed, 0x1d5)),
		maxLog:  100_000,
		limits:  map[string]*rate.Limiter{},
		rate:    rate.Limit(cfg.rate),
		burst:   cfg.burst,
		now:     cfg.now,
	}
	s.generate(&cfg)
	s.ServicePrincipalID, s.AppID = s.spID, s.appID

	var ln net.Listener
	var err error
	if cfg.addr != "" {
		ln, err = net.Listen("tcp", cfg.addr)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, fmt.Errorf("entratest: listen: %w", err)
	}
	s.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	s.srv.Start()
	s.URL = s.srv.URL
	return s, nil
}

// Close shuts the server down and blocks until all requests have finished.
func (s *Server) Close() { s.srv.Close() }

// HTTPClient returns an *http.Client that talks to the server.
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// GraphURL returns the versioned base, URL + "/v1.0".
func (s *Server) GraphURL() string { return s.URL + "/v1.0" }

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.stats
}

// RequestLog returns the requests seen so far, oldest first (at most the
// last 100,000 are kept).
func (s *Server) RequestLog() []Request {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	out := make([]Request, len(s.log))
	copy(out, s.log)
	return out
}

// Inject queues a fault for the next n requests it applies to (see
// [Fault]). Queued faults are served before random ones.
func (s *Server) Inject(f Fault, n int) error {
	if f < Throttle || f > MalformedPage {
		return fmt.Errorf("entratest: Inject: unknown fault %d", int(f))
	}
	if n < 0 {
		return fmt.Errorf("entratest: Inject: negative count %d", n)
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.queued[f] += n
	return nil
}

// ExpireDeltaLinks makes every delta link issued so far expired: using one
// is answered 410 SyncStateNotFound, as Graph does after a delta token ages
// out.
func (s *Server) ExpireDeltaLinks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
}

// throttle applies the per-app limit of [WithThrottle] to r: it reports
// whether r is over the limit, and then the Retry-After in seconds.
func (s *Server) throttle(r *http.Request) (retryAfter int, limited bool) {
	if s.rate == 0 || (r.Method == http.MethodPost && r.URL.Path == "/v1.0/$batch") {
		return 0, false
	}
	app := r.Header.Get("Authorization")
	now := s.now()
	s.tmu.Lock()
	lim := s.limits[app]
	if lim == nil {
		lim = rate.NewLimiter(s.rate, s.burst)
		s.limits[app] = lim
	}
	res := lim.ReserveN(now, 1)
	d := res.DelayFrom(now)
	if d > 0 {
		res.CancelAt(now)
	}
	s.tmu.Unlock()
	if d <= 0 {
		return 0, false
	}
	s.fmu.Lock()
	s.stats.Throttled++
	s.fmu.Unlock()
	return max(1, int(math.Ceil(d.Seconds()))), true
}

// take reports whether fault f fires now: a queued one first, else at random
// with probability p. It counts what fired.
func (s *Server) take(f Fault, p float64) bool {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	fire := false
	if s.queued[f] > 0 {
		s.queued[f]--
		fire = true
	} else if p > 0 && s.frand.Float64() < p {
		fire = true
	}
	if fire {
		switch f {
		case Throttle:
			s.stats.Throttled++
		case Unavailable:
			s.stats.Unavailable++
		case ForeignNextLink:
			s.stats.ForeignLinks++
		case MissingValue:
			s.stats.MissingValue++
		case ExpiredDelta:
			s.stats.ExpiredDelta++
		case MalformedPage:
			s.stats.Malformed++
		}
	}
	return fire
}

func (s *Server) record(r *http.Request, status int, took time.Duration) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.stats.Requests++
	switch {
	case status == http.StatusUnauthorized:
		s.stats.Unauthorized++
	case r.Method == http.MethodGet && status == http.StatusOK:
		s.stats.Reads++
	case r.Method != http.MethodGet && status < 300:
		s.stats.Writes++
	}
	if len(s.log) >= s.maxLog {
		s.log = s.log[1:]
		s.dropped++
	}
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Status: status, Took: took})
}
