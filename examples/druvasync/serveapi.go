package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/time/rate"

	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/service"
)

// apiHandler serves the service's health endpoints, its status as JSON
// and the write operations (POST /api/sync, pause, resume, restart,
// approve ?tenant=T), which need the admin bearer token, refuse
// cross-site requests and are rate limited.
type apiHandler struct {
	ctl     control.Controller
	token   string // empty: writes are refused
	limiter *rate.Limiter
}

// maxAPIBody bounds a write request's body, which carries nothing.
const maxAPIBody = 1 << 10

// writeLimit is how many write requests a second the API takes (burst
// writeBurst); more are answered 429, tokens right or wrong.
const (
	writeLimit = 5
	writeBurst = 10
)

// newAPIHandler serves ctl's API; limiter bounds the write requests.
func newAPIHandler(ctl control.Controller, token string, limiter *rate.Limiter) http.Handler {
	h := &apiHandler{ctl: ctl, token: token, limiter: limiter}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", h.ready)
	mux.HandleFunc("GET /api/status", h.status)
	mux.HandleFunc("POST /api/{op}", h.write)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// ready answers 200 once every tenant's state is loaded and its
// credentials were accepted at least once.
func (h *apiHandler) ready(w http.ResponseWriter, _ *http.Request) {
	var waiting []string
	for _, name := range h.ctl.Tenants() {
		if st, err := h.ctl.Status(name); err != nil || !st.Ready {
			waiting = append(waiting, name)
		}
	}
	if len(waiting) > 0 {
		apiError(w, http.StatusServiceUnavailable, "not ready: "+strings.Join(waiting, ", "))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (h *apiHandler) status(w http.ResponseWriter, _ *http.Request) {
	out := []control.TenantStatus{}
	for _, name := range h.ctl.Tenants() {
		if st, err := h.ctl.Status(name); err == nil {
			out = append(out, st)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenants": out})
}

func (h *apiHandler) write(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	if code, msg := h.refuse(r); code != 0 {
		apiError(w, code, msg)
		return
	}
	op, err := control.ParseOperation(r.PathValue("op"))
	if err != nil {
		apiError(w, http.StatusNotFound, err.Error())
		return
	}
	tenant := r.URL.Query().Get("tenant")
	if tenant == "" {
		names := h.ctl.Tenants()
		if len(names) != 1 {
			apiError(w, http.StatusBadRequest, "say which tenant: ?tenant= one of "+strings.Join(names, ", "))
			return
		}
		tenant = names[0]
	}
	if err := h.ctl.Do(r.Context(), tenant, op); err != nil {
		apiError(w, opStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"tenant": tenant, "operation": string(op), "status": "accepted"})
}

// refuse checks a write request: rate, token, origin, body.
func (h *apiHandler) refuse(r *http.Request) (int, string) {
	if !h.limiter.Allow() {
		return http.StatusTooManyRequests, "too many write requests; try again in a second"
	}
	if h.token == "" {
		return http.StatusForbidden, "write operations are off: configure an admin token (adminTokenEnv) for this service"
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(h.token)) != 1 {
		return http.StatusUnauthorized, "the admin token is missing or wrong (Authorization: Bearer …; the CLI reads DRUVASYNC_ADMIN_TOKEN)"
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return http.StatusForbidden, "cross-site request refused"
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return http.StatusForbidden, "cross-site request refused"
		}
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return http.StatusRequestEntityTooLarge, "the request body is too large; write operations take none"
	}
	return 0, ""
}

// opStatus maps an operation's error to an HTTP status.
func opStatus(err error) int {
	switch {
	case errors.Is(err, control.ErrUnknownTenant), errors.Is(err, control.ErrUnknownOperation):
		return http.StatusNotFound
	case errors.Is(err, service.ErrPaused), errors.Is(err, service.ErrNothingHeld):
		return http.StatusConflict
	case errors.Is(err, service.ErrNotRunning):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
