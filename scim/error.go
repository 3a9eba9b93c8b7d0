package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Values of [Error.ScimType] defined by RFC 7644 §3.12.
const (
	ScimTypeInvalidFilter = "invalidFilter"
	ScimTypeTooMany       = "tooMany"
	ScimTypeUniqueness    = "uniqueness"
	ScimTypeMutability    = "mutability"
	ScimTypeInvalidSyntax = "invalidSyntax"
	ScimTypeInvalidPath   = "invalidPath"
	ScimTypeNoTarget      = "noTarget"
	ScimTypeInvalidValue  = "invalidValue"
	ScimTypeInvalidVers   = "invalidVers"
	ScimTypeSensitive     = "sensitive"
)

// Error is a SCIM error response (RFC 7644 §3.12). It implements error.
//
// Its JSON form carries the [ErrorSchema] URN and "status" as a string, as
// the RFC says; decoding also accepts a number, since servers send both.
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

// NewError returns an [*Error] with the given HTTP status, SCIM error type
// (one of the ScimType constants, or "") and human-readable detail.
func NewError(status int, scimType, detail string) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: detail}
}

// Error returns a one-line description of the SCIM error.
func (e *Error) Error() string {
	msg := "scim: error"
	if e.Status != 0 {
		msg = fmt.Sprintf("scim: %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.ScimType != "" {
		msg += " (" + e.ScimType + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

type errorJSON struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// MarshalJSON encodes the error as a SCIM error response body.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorJSON{
		Schemas:  []string{ErrorSchema},
		Status:   strconv.Itoa(e.Status),
		ScimType: e.ScimType,
		Detail:   e.Detail,
	})
}

// UnmarshalJSON decodes a SCIM error response body. "status" may be a string
// ("404") or a number (404) and may be absent (Status is then 0); any other
// form is an error naming the value.
func (e *Error) UnmarshalJSON(data []byte) error {
	var raw struct {
		Status   json.RawMessage `json:"status"`
		ScimType *string         `json:"scimType"`
		Detail   *string         `json:"detail"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("scim: decoding error response: %w", err)
	}
	status := 0
	if s := bytes.TrimSpace(raw.Status); len(s) > 0 && !bytes.Equal(s, []byte("null")) {
		text := string(s)
		if s[0] == '"' {
			if err := json.Unmarshal(s, &text); err != nil {
				return fmt.Errorf("scim: decoding error response: status: %w", err)
			}
			text = strings.TrimSpace(text)
		}
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 || n > 999 {
			return fmt.Errorf("scim: decoding error response: status %s is not an HTTP status code", s)
		}
		status = n
	}
	*e = Error{Status: status}
	if raw.ScimType != nil {
		e.ScimType = *raw.ScimType
	}
	if raw.Detail != nil {
		e.Detail = *raw.Detail
	}
	return nil
}

// SyntaxError reports a malformed attribute path, filter or PATCH body: what
// was being parsed, the input, the byte offset of the fault and what is
// wrong. errors.As also finds an [*Error] (status 400, scimType
// "invalidPath", "invalidFilter" or "invalidSyntax") in it, ready to be sent
// back by a SCIM server.
type SyntaxError struct {
	What   string // "path", "filter" or "PATCH request"
	Input  string // the input, possibly shortened
	Offset int    // byte offset of the fault in Input
	Msg    string // what is wrong
	Err    error  // the underlying parser error, if any
}

// Error returns a one-line description naming the input and the offset.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("scim: invalid %s %q: %s (at offset %d)", e.What, e.Input, e.Msg, e.Offset)
}

// Unwrap returns the underlying parser error (if any) and the equivalent
// SCIM [*Error].
func (e *SyntaxError) Unwrap() []error {
	scimType := ScimTypeInvalidSyntax
	switch e.What {
	case "path":
		scimType = ScimTypeInvalidPath
	case "filter":
		scimType = ScimTypeInvalidFilter
	}
	se := NewError(http.StatusBadRequest, scimType, fmt.Sprintf("invalid %s %q: %s (at offset %d)", e.What, e.Input, e.Msg, e.Offset))
	if e.Err != nil {
		return []error{se, e.Err}
	}
	return []error{se}
}

// maxQuotedInput bounds how much of a bad input an error message repeats.
const maxQuotedInput = 200

func shorten(s string) string {
	if len(s) <= maxQuotedInput {
		return s
	}
	return s[:maxQuotedInput] + "…"
}

func pathError(s string, off int, msg string, err error) error {
	return &SyntaxError{What: "path", Input: shorten(s), Offset: off, Msg: msg, Err: err}
}

func filterError(s string, off int, msg string, err error) error {
	return &SyntaxError{What: "filter", Input: shorten(s), Offset: off, Msg: msg, Err: err}
}

// patchError builds the 400 error ApplyPatch returns for operation i.
func patchError(i int, op PatchOperation, scimType, format string, args ...any) *Error {
	where := fmt.Sprintf("operation %d (%s", i, op.Op)
	if op.Path != "" {
		where += " " + strconv.Quote(shorten(op.Path))
	}
	where += "): "
	return NewError(http.StatusBadRequest, scimType, where+fmt.Sprintf(format, args...))
}
