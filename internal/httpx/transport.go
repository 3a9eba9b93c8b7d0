package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// onBase checks that an absolute request URL is on the base URL's scheme
// and host and below its path, without re-parsing it.
func (c *Client) onBase(u *url.URL) error {
	if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) || u.User != nil {
		return fmt.Errorf("%w: %s is not on %s://%s", ErrOffHost, redactURL(u), c.base.Scheme, c.base.Host)
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p+"/", c.base.EscapedPath()) || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
		return fmt.Errorf("%w: %s leaves the base path %s", ErrOffHost, redactURL(u), c.base.EscapedPath())
	}
	return nil
}

// checkRedirect allows redirects only within the base URL.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if _, err := c.Resolve(req.URL.String(), nil); err != nil {
		return fmt.Errorf("stopped after redirect: %w", err)
	}
	return nil
}

// transport is the RoundTripper layer under retries: base-URL check, bearer
// token, the per-request deadline, counting. (The rate limiter is waited on
// before each attempt, in Do and prepareRetry.)
type transport struct {
	c    *Client
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	closeBody := func() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
	// The token goes only to the base URL, whatever sent us here.
	if err := c.onBase(req.URL); err != nil {
		closeBody()
		return nil, err
	}
	ctx := req.Context()
	r := req
	if c.cfg.tokenFunc != nil {
		tok, err := c.cfg.tokenFunc(ctx)
		if err == nil {
			err = checkToken(tok)
		}
		if err != nil {
			closeBody()
			return nil, fmt.Errorf("%w: %w", ErrToken, err)
		}
		c.scrub.remember(tok)
		r = req.Clone(ctx) // a RoundTripper must not modify its request
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	if cl, ok := ctx.Value(callKey{}).(*call); ok {
		cl.attempts++
	}
	c.stats.requests.Add(1)
	start := c.cfg.now()
	resp, err := t.deadline(r)
	if c.cfg.logger != nil {
		if err != nil {
			c.log(ctx, slog.LevelDebug, "attempt failed", "method", r.Method, "url", redactURL(r.URL), "error", c.scrub.errString(err))
		} else {
			c.log(ctx, slog.LevelDebug, "attempt", "method", r.Method, "url", redactURL(r.URL), "status", resp.StatusCode, "duration", c.cfg.now().Sub(start))
		}
	}
	return resp, err
}

// deadline sends r under the per-request deadline, which covers the
// response headers and the whole body: a server that trickles its answer
// ends in [ErrTimeout], not in a hang.
func (t *transport) deadline(r *http.Request) (*http.Response, error) {
	// The body wrapper is allocated up front and carries the deadline's
	// cause, so the deadline costs no allocation beyond it; the error text
	// is built only if the deadline fires and someone reads it.
	b := &deadlineBody{timeout: timeoutError{d: t.c.cfg.requestTimeout}}
	ctx, cancel := context.WithTimeoutCause(r.Context(), b.timeout.d, &b.timeout)
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		if b.timedOut(ctx) {
			return nil, &b.timeout
		}
		return nil, err
	}
	b.ReadCloser, b.ctx, b.cancel = resp.Body, ctx, cancel
	resp.Body = b
	return resp, nil
}

// timeoutError is the cause of a per-request deadline: it is
// [ErrTimeout] with the deadline's length.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return ErrTimeout.Error() + " (" + e.d.String() + ")" }

func (e *timeoutError) Unwrap() error { return ErrTimeout }

// deadlineBody ends the per-request deadline when the body is closed and
// reports a read cut by it as [ErrTimeout].
type deadlineBody struct {
	io.ReadCloser
	ctx     context.Context
	cancel  context.CancelFunc
	timeout timeoutError
}

// timedOut reports whether ctx ended by this request's own deadline
// (not by its parent's cancellation or deadline).
func (b *deadlineBody) timedOut(ctx context.Context) bool {
	return context.Cause(ctx) == error(&b.timeout)
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.timedOut(b.ctx) {
		err = &b.timeout
	}
	return n, err
}

func (b *deadlineBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// redactURL drops user info and fragments.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	cp := *u
	cp.User = nil
	cp.Fragment, cp.RawFragment = "", ""
	return cp.String()
}

// redactText drops the user info of a URL given as text, even one that does
// not parse: everything between "//" and the last "@" before the path.
func redactText(s string) string {
	i := strings.Index(s, "//")
	if i < 0 {
		return s
	}
	rest := s[i+2:]
	end := len(rest)
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		end = j
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return s[:i+2] + "[REDACTED]@" + rest[at+1:]
	}
	return s
}

// minDeadline is the shortest request deadline accepted.
const minDeadline = time.Millisecond
