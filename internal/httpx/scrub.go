package httpx

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// bearerShaped matches an authorization credential as a server might echo
// it: "Bearer" (or "Basic") and the token after it.
var bearerShaped = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+|%20|\+)[A-Za-z0-9\-._~+/%]+=*`)

// minSecret is the shortest secret scrubbed by value: shorter strings would
// also hit ordinary text.
const minSecret = 6

// scrubber removes secrets from text that comes from a server: the static
// token, the latest tokens a token function returned, extra secrets given
// with [WithSecrets], and anything shaped like an Authorization value.
type scrubber struct {
	fixed []string
	mu    sync.Mutex
	seen  []string // latest tokens from the token function, newest last
}

func newScrubber(token string, extra []string) *scrubber {
	s := &scrubber{}
	for _, v := range append([]string{token}, extra...) {
		if len(v) >= minSecret && !slices.Contains(s.fixed, v) {
			s.fixed = append(s.fixed, v)
		}
	}
	return s
}

// remember adds a token the token function returned.
func (s *scrubber) remember(tok string) {
	if len(tok) < minSecret {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) > 0 && s.seen[len(s.seen)-1] == tok {
		return
	}
	s.seen = append(s.seen, tok)
	if len(s.seen) > 4 {
		s.seen = slices.Delete(s.seen, 0, 1)
	}
}

func (s *scrubber) secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(slices.Clone(s.fixed), s.seen...)
}

// String returns text without secrets.
func (s *scrubber) String(text string) string {
	for _, v := range s.secrets() {
		text = strings.ReplaceAll(text, v, redacted)
	}
	if bearerShaped.MatchString(text) {
		text = bearerShaped.ReplaceAllString(text, "$1 "+redacted)
	}
	return text
}

// body returns a response body without secrets. Every body loses the
// configured secrets; an error body (not 2xx) also loses anything shaped
// like a credential, since it is what becomes an error text or a log line.
func (s *scrubber) body(status int, b []byte) []byte {
	for _, v := range s.secrets() {
		if bytes.Contains(b, []byte(v)) {
			b = bytes.ReplaceAll(b, []byte(v), []byte(redacted))
		}
	}
	if (status < 200 || status > 299) && bearerShaped.Match(b) {
		b = bearerShaped.ReplaceAll(b, []byte("$1 "+redacted))
	}
	return b
}

func (s *scrubber) errString(err error) string {
	if err == nil {
		return ""
	}
	return s.String(err.Error())
}

// wrap returns err with a scrubbed text; errors.Is and errors.As still see
// the chain underneath.
func (s *scrubber) wrap(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := s.String(msg); clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Scrub returns text from a server without the client's secrets or
// anything shaped like an Authorization value. Callers pass every server
// text that is not a response body (bodies are scrubbed already) through
// it before it reaches an error, a log line or storage.
func (c *Client) Scrub(text string) string { return c.scrub.String(text) }

// ScrubText removes anything shaped like an Authorization value ("Bearer
// …", "Basic …") from text; for text not tied to one [Client].
func ScrubText(text string) string {
	if !bearerShaped.MatchString(text) {
		return text
	}
	return bearerShaped.ReplaceAllString(text, "$1 "+redacted)
}
