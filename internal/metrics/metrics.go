package metrics

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
)

// Targets of outbound requests, the values of the target label.
const (
	TargetDruva = "druva"
	TargetGraph = "graph"
)

// Cycle outcomes, the values of the outcome label of
// druvascim_cycles_total.
const (
	// OutcomeSucceeded: the cycle finished with no failure.
	OutcomeSucceeded = "succeeded"
	// OutcomePartial: the cycle finished, some objects failed.
	OutcomePartial = "partial"
	// OutcomeHeld: a safety rule held the cycle's deprovisions.
	OutcomeHeld = "held"
	// OutcomeQuarantined: the cycle stopped early and quarantined the tenant.
	OutcomeQuarantined = "quarantined"
	// OutcomeCanceled: the cycle was canceled (shutdown).
	OutcomeCanceled = "canceled"
	// OutcomeFailed: the cycle returned an error.
	OutcomeFailed = "failed"
)

// Metrics is the service's set of collectors. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	cycles      *prometheus.CounterVec
	operations  *prometheus.CounterVec
	requests    *prometheus.CounterVec
	rate        *prometheus.GaugeVec
	duration    *prometheus.HistogramVec
	quarantined *prometheus.GaugeVec
	paused      *prometheus.GaugeVec
	held        *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
	logBytes    *prometheus.GaugeVec
}

// Option configures [New].
type Option func(*options) error

type options struct {
	process bool
}

// WithProcessCollectors adds the Go runtime and process collectors
// (go_*, process_*) to the registry.
func WithProcessCollectors() Option {
	return func(o *options) error { o.process = true; return nil }
}

// New returns the collectors, registered in a new registry:
//
//   - druvascim_cycles_total{tenant,outcome}: cycles by outcome;
//   - druvascim_operations_total{tenant,action,status}: provisioning-log
//     entries by action and status;
//   - druvascim_requests_total{tenant,target,status}: HTTP responses from
//     Druva and Graph by status code (429 included; "error" when no response
//     came);
//   - druvascim_client_rate_rps{tenant,target}: the client-side rate limit;
//   - druvascim_cycle_duration_seconds{tenant}: cycle duration;
//   - druvascim_quarantined{tenant}, druvascim_paused{tenant}: 1 or 0;
//   - druvascim_held_deprovisions{tenant}: deprovisions waiting for approval;
//   - druvascim_last_success_timestamp_seconds{tenant}: when a cycle last
//     finished with no failure;
//   - druvascim_log_store_bytes{tenant}: the provisioning-log store's size.
func New(opts ...Option) (*Metrics, error) {
	var o options
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("metrics: nil option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "druvascim_cycles_total",
			Help: "Provisioning cycles by outcome."}, []string{"tenant", "outcome"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "druvascim_operations_total",
			Help: "Provisioning-log entries by action and status."}, []string{"tenant", "action", "status"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "druvascim_requests_total",
			Help: "HTTP responses from Druva and Microsoft Graph by status code."}, []string{"tenant", "target", "status"}),
		rate: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "druvascim_client_rate_rps",
			Help: "The client-side request rate limit in requests per second (0: none)."}, []string{"tenant", "target"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "druvascim_cycle_duration_seconds",
			Help:    "How long provisioning cycles ran.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200}}, []string{"tenant"}),
		quarantined: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "druvascim_quarantined",
			Help: "1 while the tenant is quarantined."}, []string{"tenant"}),
		paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "druvascim_paused",
			Help: "1 while provisioning is paused."}, []string{"tenant"}),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "druvascim_held_deprovisions",
			Help: "Deprovisions held by a safety rule, waiting for approval."}, []string{"tenant"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "druvascim_last_success_timestamp_seconds",
			Help: "When a cycle last finished with no failure (Unix seconds)."}, []string{"tenant"}),
		logBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "druvascim_log_store_bytes",
			Help: "Size of the provisioning-log store in bytes."}, []string{"tenant"}),
	}
	cs := []prometheus.Collector{m.cycles, m.operations, m.requests, m.rate, m.duration,
		m.quarantined, m.paused, m.held, m.lastSuccess, m.logBytes}
	if o.process {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ObserveCycle records a finished cycle of tenant: its outcome (from err
// and the report), its entries by action and status, and its duration.
// rep may be nil when the cycle failed before producing one.
func (m *Metrics) ObserveCycle(tenant string, rep *druvascim.Report, err error) {
	m.cycles.WithLabelValues(tenant, Outcome(rep, err)).Inc()
	if rep == nil {
		return
	}
	for _, e := range rep.Entries {
		m.operations.WithLabelValues(tenant, string(e.Action), string(e.Status)).Inc()
	}
	s := rep.Summary
	if !s.Started.IsZero() && s.Finished.After(s.Started) {
		m.duration.WithLabelValues(tenant).Observe(s.Finished.Sub(s.Started).Seconds())
	}
	if err == nil && Outcome(rep, err) == OutcomeSucceeded && !s.Finished.IsZero() {
		m.lastSuccess.WithLabelValues(tenant).Set(float64(s.Finished.UnixNano()) / 1e9)
	}
}

// Outcome classifies a cycle as ObserveCycle counts it: one of the
// Outcome constants.
func Outcome(rep *druvascim.Report, err error) string {
	switch {
	case rep != nil && rep.Summary.Canceled:
		return OutcomeCanceled
	case rep != nil && rep.Summary.Quarantined:
		return OutcomeQuarantined
	case err != nil || rep == nil:
		return OutcomeFailed
	case rep.Summary.Held != nil:
		return OutcomeHeld
	case rep.Summary.Statuses[druvascim.StatusFailure] > 0:
		return OutcomePartial
	}
	return OutcomeSucceeded
}

// ObserveRequest counts one HTTP response of target (TargetDruva or
// TargetGraph) by its status code; status 0 counts a request that got no
// response.
func (m *Metrics) ObserveRequest(tenant, target string, status int) {
	label := "error"
	if status > 0 {
		label = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(tenant, target, label).Inc()
}

// SetRate records the client-side rate limit toward target, in requests
// per second (0: no limit).
func (m *Metrics) SetRate(tenant, target string, rps float64) {
	m.rate.WithLabelValues(tenant, target).Set(rps)
}

// ObserveStatus sets the state gauges of a tenant from its status:
// quarantined, paused, held deprovisions and the time of the last
// successful cycle (when the status knows it).
func (m *Metrics) ObserveStatus(st control.TenantStatus) {
	m.quarantined.WithLabelValues(st.Tenant).Set(b2f(st.Quarantine != nil))
	m.paused.WithLabelValues(st.Tenant).Set(b2f(st.Paused))
	m.held.WithLabelValues(st.Tenant).Set(float64(st.Held))
	if !st.LastSuccess.IsZero() {
		m.lastSuccess.WithLabelValues(st.Tenant).Set(float64(st.LastSuccess.UnixNano()) / 1e9)
	}
}

// SetLogStoreSize records the size of a tenant's provisioning-log store.
func (m *Metrics) SetLogStoreSize(tenant string, bytes int64) {
	m.logBytes.WithLabelValues(tenant).Set(float64(bytes))
}

// Gatherer returns the registry, for tests and custom exposition.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// RoundTripper wraps next so that every response from target is counted
// with ObserveRequest. next is http.DefaultTransport when nil.
func (m *Metrics) RoundTripper(tenant, target string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		status := 0
		if err == nil {
			status = resp.StatusCode
		}
		m.ObserveRequest(tenant, target, status)
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
