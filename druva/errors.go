package druva

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/druvascim/druvascim/internal/httpx"
	"github.com/druvascim/druvascim/scim"
)

// Sentinel errors, matched with errors.Is against any error of a [Client].
var (
	// ErrNotFound: the resource does not exist (HTTP 404).
	ErrNotFound = errors.New("druva: not found")
	// ErrConflict: the resource clashes with an existing one (HTTP 409,
	// SCIM "uniqueness"), e.g. a userName or email Druva already holds.
	ErrConflict = errors.New("druva: conflict with an existing resource")
	// ErrUnauthorized: Druva rejected the token (HTTP 401).
	ErrUnauthorized = errors.New("druva: unauthorized: the Druva token may have expired (tokens live 365 days) or been regenerated; generate a new one in the Druva console")
	// ErrRateLimited: Druva kept answering 429 until the retries ran out,
	// or the client-side rate limiter could not let the request go before
	// the context's deadline.
	ErrRateLimited = errors.New("druva: rate limited")
	// ErrInvalid: the client refused to send a request that breaks Druva's
	// documented rules (a required attribute missing, an empty id, ...).
	ErrInvalid = errors.New("druva: invalid request")
	// ErrGroupsUnsupported: the tenant does not offer /Groups (Druva
	// documents users only) and WithGroupsEndpoint(true) was not given.
	ErrGroupsUnsupported = errors.New("druva: the SCIM service does not offer /Groups")
	// ErrBadResponse: Druva answered 2xx with a body that is not what SCIM
	// promises (not JSON, missing id, inconsistent paging, ...).
	ErrBadResponse = errors.New("druva: malformed response")
)

// maxErrorBody is how much of an error body an [APIError] keeps.
const maxErrorBody = 2048

// APIError is a non-2xx answer from the SCIM service. errors.Is matches it
// against [ErrNotFound], [ErrConflict], [ErrUnauthorized] and
// [ErrRateLimited] by status; errors.As reaches its [*scim.Error], whose
// Status is the HTTP status even when the body held no SCIM error.
type APIError struct {
	StatusCode int           // HTTP status of the last attempt
	Method     string        // request method
	URL        string        // request URL (no credentials)
	Attempts   int           // attempts made
	RetryAfter time.Duration // the server's Retry-After, if it sent one
	SCIM       *scim.Error   // the SCIM error; never nil
	Body       string        // the start of the response body, for diagnosis
}

// Error says what failed, with the status and the server's detail.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "druva: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.SCIM != nil && e.SCIM.ScimType != "" {
		fmt.Fprintf(&b, " (%s)", e.SCIM.ScimType)
	}
	if e.SCIM != nil && e.SCIM.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.SCIM.Detail)
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		b.WriteString(" — the Druva token may have expired (tokens live 365 days) or been regenerated")
	case http.StatusTooManyRequests:
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Is matches the sentinel errors by status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// Unwrap returns the [*scim.Error].
func (e *APIError) Unwrap() error { return e.SCIM }

// newAPIError builds an APIError from a non-2xx response.
func newAPIError(resp *httpx.Response, now time.Time) *APIError {
	e := &APIError{
		StatusCode: resp.StatusCode,
		Method:     resp.Method,
		URL:        resp.URL,
		Attempts:   resp.Attempts,
		Body:       printable(resp.Body, maxErrorBody),
	}
	e.RetryAfter, _ = httpx.RetryAfter(resp.Header, now)
	se := &scim.Error{}
	if b := bytes.TrimSpace(resp.Body); len(b) > 0 && b[0] == '{' && json.Unmarshal(b, se) == nil {
		// The HTTP status is the truth; a body that disagrees or omits it
		// does not change it.
		se.Status = resp.StatusCode
	} else {
		se = &scim.Error{Status: resp.StatusCode}
	}
	if se.Detail == "" {
		if t := printable(resp.Body, 200); t != "" && !looksLikeHTML(resp.Body) {
			se.Detail = t
		} else {
			se.Detail = http.StatusText(resp.StatusCode)
		}
	}
	e.SCIM = se
	return e
}

// ValidationError is a request the client refused to send because it breaks
// Druva's documented rules. It matches [ErrInvalid] with errors.Is, and
// errors.As finds a [*scim.Error] with status 400 and scimType
// "invalidValue" in it, the answer Druva would have given; no request was
// sent.
type ValidationError struct {
	Op        string // the client method, e.g. "CreateUser"
	Attribute string // the attribute at fault, e.g. "emails"
	Reason    string // what is wrong with it
}

// Error names the method, the attribute and the fault.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("druva: %s: %s: %s", e.Op, e.Attribute, e.Reason)
}

// Is matches [ErrInvalid].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the equivalent SCIM error.
func (e *ValidationError) Unwrap() error {
	return &scim.Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: e.Attribute + ": " + e.Reason}
}

// badResponse wraps ErrBadResponse with what was wrong.
func badResponse(method, url, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s: %s", ErrBadResponse, method, url, fmt.Sprintf(format, args...))
}

// printable returns up to n bytes of b as one line of text, control
// characters replaced.
func printable(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	cut := false
	if len(b) > n {
		b, cut = b[:n], true
	}
	s := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, string(b))
	if cut {
		s += "…"
	}
	return s
}

func looksLikeHTML(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '<'
}
