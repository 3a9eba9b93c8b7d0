// Package metrics holds the Prometheus collectors of the provisioning
// service, built on github.com/prometheus/client_golang, in a registry of
// their own (never the global one).
//
// The runtime reports what happens; the status page serves the result on
// GET /metrics:
//
//	m, err := metrics.New()
//	// after each cycle of a tenant:
//	m.ObserveCycle("contoso", report, err)
//	// for each HTTP response from Druva or Microsoft Graph (or wrap the
//	// client's transport with m.RoundTripper):
//	m.ObserveRequest("contoso", metrics.TargetDruva, resp.StatusCode)
//	// when the client-side rate limit changes:
//	m.SetRate("contoso", metrics.TargetDruva, 10)
//	// the status page refreshes the state gauges before each scrape:
//	m.ObserveStatus(status)
//	m.SetLogStoreSize("contoso", bytes)
//	http.Handle("/metrics", m.Handler())
//
// Every series carries a tenant label. The metric names start with
// druvascim_; see [New] for the list.
package metrics
