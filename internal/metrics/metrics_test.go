package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
)

func report(statuses ...druvascim.Status) *druvascim.Report {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	rep := &druvascim.Report{Summary: druvascim.Summary{Started: t0, Finished: t0.Add(90 * time.Second),
		Statuses: map[druvascim.Status]int{}}}
	for _, s := range statuses {
		rep.Entries = append(rep.Entries, druvascim.Entry{Action: druvascim.ActionCreate, Status: s})
		rep.Summary.Statuses[s]++
	}
	return rep
}

func TestObserveCycle(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ok := report(druvascim.StatusSuccess, druvascim.StatusSuccess)
	m.ObserveCycle("contoso", ok, nil)
	m.ObserveCycle("contoso", report(druvascim.StatusFailure), nil)
	m.ObserveCycle("contoso", nil, errors.New("graph: 401"))

	for outcome, want := range map[string]float64{OutcomeSucceeded: 1, OutcomePartial: 1, OutcomeFailed: 1, OutcomeHeld: 0} {
		if got := testutil.ToFloat64(m.cycles.WithLabelValues("contoso", outcome)); got != want {
			t.Errorf("cycles{outcome=%s} = %v, want %v", outcome, got, want)
		}
	}
	if got := testutil.ToFloat64(m.operations.WithLabelValues("contoso", "Create", "Success")); got != 2 {
		t.Errorf("operations Create/Success = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.operations.WithLabelValues("contoso", "Create", "Failure")); got != 1 {
		t.Errorf("operations Create/Failure = %v, want 1", got)
	}
	if got, want := testutil.ToFloat64(m.lastSuccess.WithLabelValues("contoso")), float64(ok.Summary.Finished.Unix()); got != want {
		t.Errorf("last success = %v, want %v (the successful cycle's end)", got, want)
	}
	if n := testutil.CollectAndCount(m.duration); n != 1 {
		t.Errorf("duration series = %d, want 1", n)
	}
}

func TestRequestsStatusAndRate(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	c := &http.Client{Transport: m.RoundTripper("contoso", TargetDruva, srv.Client().Transport)}
	for _, p := range []string{"/", "/slow", "/slow"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	m.ObserveRequest("contoso", TargetGraph, 0)
	m.SetRate("contoso", TargetDruva, 7.5)
	m.ObserveStatus(control.TenantStatus{Tenant: "contoso", Held: 4, Paused: true,
		Quarantine: &druvascim.Quarantine{Reason: "EncounteredQuarantineException"}})
	m.SetLogStoreSize("contoso", 4096)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`druvascim_requests_total{status="429",target="druva",tenant="contoso"} 2`,
		`druvascim_requests_total{status="200",target="druva",tenant="contoso"} 1`,
		`druvascim_requests_total{status="error",target="graph",tenant="contoso"} 1`,
		`druvascim_client_rate_rps{target="druva",tenant="contoso"} 7.5`,
		`druvascim_held_deprovisions{tenant="contoso"} 4`,
		`druvascim_quarantined{tenant="contoso"} 1`,
		`druvascim_paused{tenant="contoso"} 1`,
		`druvascim_log_store_bytes{tenant="contoso"} 4096`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestNilOption(t *testing.T) {
	if _, err := New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	if _, err := New(WithProcessCollectors()); err != nil {
		t.Error(err)
	}
}
