package scim

import (
	"fmt"
	"net/http"
)

// Error is a SCIM error response (RFC 7644 §3.12). It implements error.
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

// Error returns a one-line description of the SCIM error.
func (e *Error) Error() string {
	msg := fmt.Sprintf("scim: %d %s", e.Status, http.StatusText(e.Status))
	if e.ScimType != "" {
		msg += " (" + e.ScimType + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}
