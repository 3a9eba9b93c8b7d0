// Package statuspage serves the provisioning service's status page, its
// JSON API, its Prometheus metrics and its health checks, as one
// http.Handler over a [control.Controller] and each tenant's
// provisioning-log store:
//
//	h, err := statuspage.New(ctl, logs,
//		statuspage.WithAdminToken(os.Getenv("DRUVASYNC_ADMIN_TOKEN")),
//		statuspage.WithMetrics(m))
//	if err := statuspage.CheckListen(statuspage.ListenConfig{Addr: addr}); err != nil { ... }
//	http.ListenAndServe(addr, h)
//
// The routes:
//
//   - GET / — the page, in the spirit of Entra's "Synchronization details"
//     and "Provisioning logs": per tenant its state (running, idle, paused,
//     quarantined with the reason and the next attempt, held with the count
//     waiting for approval), the running cycle's progress (refreshed from
//     /api/status), the last cycle's counts and the next cycle's time, an
//     SVG chart of the last 50 cycles rendered on the server, and a
//     searchable, paged log whose entries open to their steps and modified
//     properties. Its script and style are embedded; it loads nothing from
//     the network.
//   - GET /api/status, /api/cycles, /api/logs — JSON.
//   - POST /api/sync, /api/pause, /api/resume, /api/restart, /api/approve
//     with ?tenant=T — the write operations. They need
//     "Authorization: Bearer <admin token>", refuse cross-site requests
//     (Origin and Sec-Fetch-Site), are rate limited and take no body.
//   - GET /metrics — Prometheus (see package internal/metrics).
//   - GET /healthz (the process answers) and /readyz (every tenant's state
//     was loaded and its credentials were accepted at least once).
//
// [CheckListen] refuses a listen address other than loopback unless TLS
// and an admin token are configured.
package statuspage
