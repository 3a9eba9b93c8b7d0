package statuspage

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/druvascim/druvascim/internal/control"
)

// opResponse is the body of a successful write operation.
type opResponse struct {
	Tenant    string            `json:"tenant"`
	Operation control.Operation `json:"operation"`
	Status    string            `json:"status"`
}

func hashToken(t string) [32]byte { return sha256.Sum256([]byte(t)) }

// apiWrite serves POST /api/{op}: the checks run in order, cheapest and
// least revealing first, and the operation runs only when all pass.
func (h *handler) apiWrite(w http.ResponseWriter, r *http.Request) {
	op, err := control.ParseOperation(r.PathValue("op"))
	if err != nil {
		writeError(w, http.StatusNotFound, "no such endpoint; the write operations are POST /api/sync, pause, resume, restart and approve")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if status, msg := h.refuse(w, r); status != 0 {
		h.log(r, "statuspage: write operation refused", "operation", op, "status", status)
		writeError(w, status, msg)
		return
	}
	tenant, err := h.tenantParam(r.URL.Query())
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	if err := h.ctl.Do(r.Context(), tenant, op); err != nil {
		h.log(r, "statuspage: operation failed", "operation", op, "tenant", tenant, "err", err)
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, control.ErrUnknownTenant):
			status = http.StatusNotFound
		case errors.Is(err, control.ErrConflict):
			status = http.StatusConflict
		case errors.Is(err, control.ErrUnavailable):
			status = http.StatusServiceUnavailable
		}
		writeError(w, status, "the operation failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, opResponse{Tenant: tenant, Operation: op, Status: "accepted"})
}

// refuse checks a write request: same origin, within the rate, no body,
// the admin token. It returns the status and message of a refusal, or 0.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request) (int, string) {
	if err := h.cop.Check(r); err != nil {
		return http.StatusForbidden, "cross-site request refused: use the status page of this service or a client without a browser"
	}
	if !h.limiter.Allow() {
		w.Header().Set("Retry-After", "1")
		return http.StatusTooManyRequests, "too many write operations; try again in a second"
	}
	if r.ContentLength > h.opts.maxBody {
		return http.StatusRequestEntityTooLarge, "the request body is too large; the write operations take no body"
	}
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, h.opts.maxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, "the request body is too large; the write operations take no body"
		}
		return http.StatusBadRequest, "the request body could not be read"
	}
	if h.opts.token == "" {
		return http.StatusForbidden, "write operations are disabled: the service has no admin token configured"
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="druvasync"`)
		return http.StatusUnauthorized, "a valid admin token is needed: send Authorization: Bearer <token>"
	}
	return 0, ""
}

// authorized compares the bearer token in constant time (of hashes, so
// the length does not show either).
func (h *handler) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := hashToken(strings.TrimSpace(token))
	return subtle.ConstantTimeCompare(got[:], h.tokenH[:]) == 1
}
