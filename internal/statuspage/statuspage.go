package statuspage

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/metrics"
)

// LogStores returns a tenant's provisioning-log store, or nil when the
// tenant keeps none. The handler never closes the stores.
type LogStores func(tenant string) logstore.Store

// Defaults of the options.
const (
	// DefaultWriteRate and DefaultWriteBurst limit the write operations
	// of all clients together.
	DefaultWriteRate  = 1.0
	DefaultWriteBurst = 5
	// DefaultMaxBody is the largest request body accepted, in bytes.
	DefaultMaxBody = 1024
	// DefaultPollInterval is how often the page refreshes the status.
	DefaultPollInterval = 2 * time.Second
	// ChartCycles is how many cycles the chart shows.
	ChartCycles = 50
	// PageSize is the number of log entries on one page.
	PageSize = 50
)

// Option configures [New].
type Option func(*options) error

type options struct {
	token   string
	metrics *metrics.Metrics
	logger  *slog.Logger
	now     func() time.Time
	limit   rate.Limit
	burst   int
	maxBody int64
	poll    time.Duration
}

// WithAdminToken sets the bearer token the write operations need. Without
// it every write operation is refused. It must be at least 16 characters.
func WithAdminToken(token string) Option {
	return func(o *options) error {
		if len(token) < 16 {
			return errors.New("statuspage: WithAdminToken: the admin token is shorter than 16 characters; use a long random value (for example openssl rand -hex 32)")
		}
		o.token = token
		return nil
	}
}

// WithMetrics serves m on /metrics, refreshing its state gauges and log
// store sizes before each scrape. Without it /metrics answers 404.
func WithMetrics(m *metrics.Metrics) Option {
	return func(o *options) error {
		if m == nil {
			return errors.New("statuspage: WithMetrics(nil): pass the service's metrics or leave the option out")
		}
		o.metrics = m
		return nil
	}
}

// WithLogger logs refused write operations and failed queries (never a
// token). The handler logs nothing without it.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.logger = l; return nil }
}

// WithClock sets the clock used for relative times in log queries (default
// time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("statuspage: WithClock(nil): pass a clock or leave the option out")
		}
		o.now = now
		return nil
	}
}

// WithWriteRate limits the write operations of all clients together to
// perSecond with a burst (default [DefaultWriteRate], [DefaultWriteBurst]).
func WithWriteRate(perSecond float64, burst int) Option {
	return func(o *options) error {
		if perSecond <= 0 || burst < 1 {
			return fmt.Errorf("statuspage: WithWriteRate(%v, %d): the rate must be positive and the burst at least 1", perSecond, burst)
		}
		o.limit, o.burst = rate.Limit(perSecond), burst
		return nil
	}
}

// WithPollInterval sets how often the page refreshes the status (default
// [DefaultPollInterval]).
func WithPollInterval(d time.Duration) Option {
	return func(o *options) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("statuspage: WithPollInterval(%v): use at least 100ms", d)
		}
		o.poll = d
		return nil
	}
}

// handler serves every route.
type handler struct {
	ctl     control.Controller
	logs    LogStores
	opts    options
	tokenH  [32]byte // SHA-256 of the admin token
	limiter *rate.Limiter
	cop     *http.CrossOriginProtection
	mux     *http.ServeMux
}

// New returns the handler of the page, the API, /metrics and the health
// checks. ctl is the service; logs returns each tenant's log store (nil
// for none).
func New(ctl control.Controller, logs LogStores, opts ...Option) (http.Handler, error) {
	if ctl == nil {
		return nil, errors.New("statuspage: New: the controller is nil")
	}
	if logs == nil {
		logs = func(string) logstore.Store { return nil }
	}
	o := options{now: time.Now, limit: DefaultWriteRate, burst: DefaultWriteBurst, maxBody: DefaultMaxBody, poll: DefaultPollInterval}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("statuspage: New: nil option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	h := &handler{ctl: ctl, logs: logs, opts: o, limiter: rate.NewLimiter(o.limit, o.burst),
		cop: http.NewCrossOriginProtection(), mux: http.NewServeMux()}
	if o.token != "" {
		h.tokenH = hashToken(o.token)
	}
	if err := h.routes(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *handler) routes() error {
	page, err := newPage()
	if err != nil {
		return err
	}
	h.mux.Handle("GET /{$}", h.pageHandler(page))
	h.mux.Handle("GET /static/", staticHandler())
	h.mux.HandleFunc("GET /api/status", h.apiStatus)
	h.mux.HandleFunc("GET /api/cycles", h.apiCycles)
	h.mux.HandleFunc("GET /api/logs", h.apiLogs)
	h.mux.HandleFunc("/api/{op}", h.apiWrite)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	h.mux.HandleFunc("GET /readyz", h.readyz)
	h.mux.HandleFunc("GET /metrics", h.metrics)
	return nil
}

// ServeHTTP sets the security headers every response carries and routes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

func (h *handler) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var notReady []string
	for _, t := range h.ctl.Tenants() {
		st, err := h.ctl.Status(t)
		if err != nil || !st.Ready {
			notReady = append(notReady, t)
		}
	}
	if len(notReady) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %q\n", notReady)
		return
	}
	fmt.Fprintln(w, "ready")
}

func (h *handler) metrics(w http.ResponseWriter, r *http.Request) {
	m := h.opts.metrics
	if m == nil {
		http.NotFound(w, r)
		return
	}
	for _, t := range h.ctl.Tenants() {
		if st, err := h.ctl.Status(t); err == nil {
			m.ObserveStatus(st)
		}
		if s := h.logs(t); s != nil {
			if n, err := s.Size(r.Context()); err == nil {
				m.SetLogStoreSize(t, n)
			}
		}
	}
	m.Handler().ServeHTTP(w, r)
}

func (h *handler) log(r *http.Request, msg string, args ...any) {
	if h.opts.logger != nil {
		h.opts.logger.WarnContext(r.Context(), msg, append(args, "remote", r.RemoteAddr, "path", r.URL.Path)...)
	}
}
