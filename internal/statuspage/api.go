package statuspage

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
)

// maxParam is the longest query parameter accepted.
const maxParam = 256

// apiError is the JSON body of an error response.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// statusResponse is the body of GET /api/status.
type statusResponse struct {
	Tenants []control.TenantStatus `json:"tenants"`
}

// tenantParam returns the tenant named by ?tenant=, or the only tenant
// when there is one and none is named.
func (h *handler) tenantParam(q url.Values) (string, error) {
	t := q.Get("tenant")
	if t == "" {
		ts := h.ctl.Tenants()
		if len(ts) == 1 {
			return ts[0], nil
		}
		return "", badRequest{fmt.Errorf("name the tenant with ?tenant= (one of %d)", len(ts))}
	}
	if _, err := h.ctl.Status(t); err != nil {
		return "", fmt.Errorf("tenant %q: %w", t, control.ErrUnknownTenant)
	}
	return t, nil
}

func (h *handler) apiStatus(w http.ResponseWriter, r *http.Request) {
	names := h.ctl.Tenants()
	if t := r.URL.Query().Get("tenant"); t != "" {
		names = []string{t}
	}
	resp := statusResponse{Tenants: []control.TenantStatus{}}
	for _, t := range names {
		st, err := h.ctl.Status(t)
		if errors.Is(err, control.ErrUnknownTenant) {
			writeError(w, http.StatusNotFound, "unknown tenant; GET /api/status lists them")
			return
		}
		if err != nil {
			h.log(r, "statuspage: status", "tenant", t, "err", err)
			writeError(w, http.StatusInternalServerError, "the status could not be read")
			return
		}
		resp.Tenants = append(resp.Tenants, st)
	}
	writeJSON(w, http.StatusOK, resp)
}

// cyclesResponse is the body of GET /api/cycles.
type cyclesResponse struct {
	Tenant string           `json:"tenant"`
	Cycles []logstore.Cycle `json:"cycles"`
	// Next is the cursor of the next page (?before=), 0 on the last.
	Next int64 `json:"next,omitempty"`
}

func (h *handler) apiCycles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tenant, err := h.tenantParam(q)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	cq := logstore.CycleQuery{Tenant: tenant}
	if cq.Before, err = intParam(q, "before"); err == nil {
		var n int64
		n, err = intParam(q, "limit")
		cq.Limit = int(min(n, logstore.MaxLimit))
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	resp := cyclesResponse{Tenant: tenant, Cycles: []logstore.Cycle{}}
	if s := h.logs(tenant); s != nil {
		resp.Cycles, resp.Next, err = collectPage(s.Cycles(r.Context(), cq), cq.Limit, func(c logstore.Cycle) int64 { return c.ID })
		if err != nil {
			h.log(r, "statuspage: cycles", "tenant", tenant, "err", err)
			writeError(w, http.StatusInternalServerError, "the cycles could not be read")
			return
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// collectPage gathers one page of a log query, stopping at the first
// error, and returns it with the cursor of the next page: the id of its
// last item when the page is full, 0 on the last page.
func collectPage[T any](seq iter.Seq2[T, error], limit int, id func(T) int64) ([]T, int64, error) {
	out := []T{}
	for v, err := range seq {
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	var next int64
	if n := len(out); n > 0 && n == cmpLimit(limit) {
		next = id(out[n-1])
	}
	return out, next, nil
}

// logsResponse is the body of GET /api/logs.
type logsResponse struct {
	Tenant  string           `json:"tenant"`
	Entries []logstore.Entry `json:"entries"`
	// Next is the cursor of the next page (?before=), 0 on the last.
	Next int64 `json:"next,omitempty"`
}

func (h *handler) apiLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tenant, err := h.tenantParam(q)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	lq, err := ParseQuery(q, h.opts.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	lq.Tenant = tenant
	entries, next, err := h.entries(r, tenant, lq)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, logsResponse{Tenant: tenant, Entries: entries, Next: next})
}

// entries reads one page of a tenant's log and the cursor of the next.
func (h *handler) entries(r *http.Request, tenant string, lq logstore.Query) ([]logstore.Entry, int64, error) {
	s := h.logs(tenant)
	if s == nil {
		return []logstore.Entry{}, 0, nil
	}
	out, next, err := collectPage(s.Entries(r.Context(), lq), lq.Limit, func(e logstore.Entry) int64 { return e.ID })
	switch {
	case errors.Is(err, logstore.ErrInvalid):
		return nil, 0, badRequest{err}
	case err != nil:
		h.log(r, "statuspage: logs", "tenant", tenant, "err", err)
		return nil, 0, errors.New("the log could not be read")
	}
	return out, next, nil
}

// badRequest marks an error of the request itself (answered 400).
type badRequest struct{ error }

func (b badRequest) Unwrap() error { return b.error }

func statusOf(err error) int {
	var br badRequest
	switch {
	case errors.Is(err, control.ErrUnknownTenant):
		return http.StatusNotFound
	case errors.As(err, &br):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func cmpLimit(n int) int {
	if n <= 0 {
		return logstore.DefaultLimit
	}
	return min(n, logstore.MaxLimit)
}

// ParseQuery reads a log query from URL parameters, the same filters as
// `druvasync logs`: user, action, status, reason, since, until (see
// [ParseTime]), cycle, before (the paging cursor) and limit. Unknown
// parameters are ignored; a malformed one is an error naming it.
func ParseQuery(v url.Values, now time.Time) (logstore.Query, error) {
	var q logstore.Query
	for name, p := range map[string]*string{"user": &q.User, "action": &q.Action, "status": &q.Status, "reason": &q.Reason} {
		s := strings.TrimSpace(v.Get(name))
		if len(s) > maxParam {
			return q, fmt.Errorf("%s: longer than %d bytes", name, maxParam)
		}
		*p = s
	}
	var err error
	if q.Since, err = ParseTime(v.Get("since"), now); err != nil {
		return q, fmt.Errorf("since: %w", err)
	}
	if q.Until, err = ParseTime(v.Get("until"), now); err != nil {
		return q, fmt.Errorf("until: %w", err)
	}
	if q.CycleID, err = intParam(v, "cycle"); err != nil {
		return q, err
	}
	if q.Before, err = intParam(v, "before"); err != nil {
		return q, err
	}
	n, err := intParam(v, "limit")
	if err != nil {
		return q, err
	}
	q.Limit = int(min(n, logstore.MaxLimit))
	return q, nil
}

func intParam(v url.Values, name string) (int64, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a whole number of 0 or more", name, truncate(s))
	}
	return n, nil
}

// ParseTime reads a time bound: RFC 3339 ("2026-05-01T09:00:00Z"), a date
// ("2026-05-01", midnight UTC), or an age before now ("90m", "24h", "7d").
// The empty string is the zero time (no bound).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= 36500 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-05-01T09:00:00Z), a date (2026-05-01) or an age (24h, 7d)", truncate(s))
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
