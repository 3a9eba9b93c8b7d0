package httpx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Do sends req, retrying as configured, and returns the last response with
// its whole body, whatever its status. The error is non-nil only when no
// usable response exists: the request could not be built or authorised, a
// transport error outlived the retries, the body was too large, broken or
// too slow, or ctx ended. Error texts start with the method and URL.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, errors.New("nil request")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cl, rr, err := c.newCall(ctx, req)
	if err != nil {
		return nil, err
	}
	// The limiter is waited on outside http.Client, so no per-attempt
	// deadline runs while a request queues; retries wait in prepareRetry.
	if cl.sent, err = c.waitLimiter(rr.Context()); err != nil {
		return nil, cl.errorf(err)
	}
	rc := &retryablehttp.Client{
		HTTPClient:   c.hc,
		Logger:       nil, // never retryablehttp's stderr logger; we log through slog
		RetryMax:     c.cfg.retryMax,
		CheckRetry:   cl.checkRetry,
		Backoff:      cl.backoff,
		PrepareRetry: cl.prepareRetry,
		ErrorHandler: cl.errorHandler,
	}
	resp, err := rc.Do(rr)
	if err != nil {
		return nil, cl.failed(rr.Context(), err)
	}
	return cl.response(resp), nil
}

// call is one logical request: what the retry hooks share. The hooks of one
// call run one after another, never concurrently.
type call struct {
	c        *Client
	method   string
	url      string // the URL for errors and logs (never holds credentials)
	attempts int    // requests that left for the server
	sent     time.Time
	status   int
	header   http.Header
	body     []byte
	wait     time.Duration // the next retry's wait, set by checkRetry
	stopped  error         // why prepareRetry refused to retry
}

type callKey struct{}

// newCall checks req and builds the retryablehttp request.
func (c *Client) newCall(ctx context.Context, req *Request) (*call, *retryablehttp.Request, error) {
	method := cmp.Or(req.Method, http.MethodGet)
	var full string
	if p, ok := c.simplePath(req.Path); ok && len(req.Query) == 0 {
		full = c.baseStr + p
	} else {
		u, err := c.Resolve(req.Path, req.Query)
		if err != nil {
			return nil, nil, err
		}
		full = u.String() // Resolve leaves no user info or fragment
	}
	cl := &call{c: c, method: method, url: full}
	ctx = context.WithValue(ctx, callKey{}, cl)
	var body any
	if req.Body != nil {
		body = req.Body
	}
	rr, err := retryablehttp.NewRequestWithContext(ctx, method, full, body)
	if err != nil {
		return nil, nil, cl.errorf(err)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			rr.Header.Add(k, v)
		}
	}
	if req.Body != nil {
		rr.Header.Set("Content-Type", cmp.Or(req.ContentType, "application/json"))
	}
	if rr.Header.Get("Accept") == "" {
		rr.Header.Set("Accept", "application/json")
	}
	rr.Header.Set("User-Agent", c.cfg.userAgent)
	rr.Header.Del("Authorization")
	if c.cfg.hasAuth && c.cfg.tokenFunc == nil {
		// A static token is set once here (the URL was checked by Resolve);
		// a token func is asked per attempt in the transport.
		rr.Header.Set("Authorization", "Bearer "+string(c.cfg.token))
	}
	return cl, rr, nil
}

// errorf returns err prefixed with the request, scrubbed of secrets.
func (cl *call) errorf(err error) error {
	return cl.c.scrub.wrap(fmt.Errorf("%s %s: %w", cl.method, cl.url, err))
}

// failed turns the error retryablehttp returned into the caller's error.
func (cl *call) failed(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return cl.errorf(fmt.Errorf("%w (%v)", ctxErr, err))
	}
	err = unwrapURLError(err)
	if cl.attempts > 1 {
		return cl.errorf(fmt.Errorf("%w (after %d attempts)", err, cl.attempts))
	}
	return cl.errorf(err)
}

// response is the caller's view of the last response, whose body
// checkRetry has read.
func (cl *call) response(resp *http.Response) *Response {
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: cl.body,
		Method: cl.method, URL: cl.url, Attempts: cl.attempts}
}

// checkRetry is the retryablehttp CheckRetry: it reads the body of each
// response (so a broken body counts as a transport error and the final
// response keeps its body), tells the limiter what the server said, and
// decides whether to retry and after how long (for backoff).
func (cl *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	c := cl.c
	if cerr := ctx.Err(); cerr != nil {
		return false, cerr
	}
	cl.status, cl.header, cl.body = 0, nil, nil
	if err == nil && resp != nil {
		b, rerr := c.readBody(resp)
		resp.Body = http.NoBody // read and closed; retryablehttp only drains what it sees
		if rerr != nil {
			if !retryable(0, rerr) {
				return false, rerr
			}
			err = rerr // a body cut short is a transport failure
		} else {
			cl.status, cl.header, cl.body = resp.StatusCode, resp.Header, c.scrub.body(resp.StatusCode, b)
		}
	}
	retryAfter, hasRetryAfter := time.Duration(0), false
	if resp != nil {
		retryAfter, hasRetryAfter = RetryAfter(resp.Header, c.cfg.now())
		c.observe(ctx, cl, resp, retryAfter)
	}
	if !retryable(cl.status, err) {
		return false, err
	}
	if dl, ok := ctx.Deadline(); ok && hasRetryAfter && retryAfter > time.Until(dl) {
		// The server will not take the request before the caller's
		// deadline: its answer goes back at once, Retry-After included,
		// rather than retried after the capped wait into another refusal.
		c.log(ctx, slog.LevelWarn, "not retrying: Retry-After passes the context deadline", "method", cl.method, "url", cl.url, "status", cl.status, "retry_after", retryAfter)
		return false, err
	}
	cl.wait = c.backoffFor(cl.attempts-1, hasRetryAfter, min(retryAfter, c.cfg.maxRetryAfter))
	if dl, ok := ctx.Deadline(); ok && cl.wait > time.Until(dl) {
		c.log(ctx, slog.LevelWarn, "not retrying: backoff would pass the context deadline", "method", cl.method, "url", cl.url, "status", cl.status, "wait", cl.wait)
		return false, err
	}
	c.log(ctx, slog.LevelDebug, "retrying", "method", cl.method, "url", cl.url, "status", cl.status, "attempt", cl.attempts, "wait", cl.wait, "error", c.scrub.errString(err))
	return true, err
}

// observe feeds the limiter with what one response says about the server's
// limit.
func (c *Client) observe(ctx context.Context, cl *call, resp *http.Response, retryAfter time.Duration) {
	now := c.cfg.now()
	if resp.StatusCode == http.StatusTooManyRequests {
		c.stats.throttled.Add(1)
	}
	if c.lim == nil {
		return
	}
	if announced, exhausted, ok := parseRateHeaders(resp.Header, now); ok {
		c.lim.signal(now, announced, exhausted)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		r := c.lim.throttled(now, cl.sent, min(retryAfter, c.cfg.maxRetryAfter))
		c.log(ctx, slog.LevelWarn, "throttled by server; client rate lowered", "method", cl.method, "url", cl.url, "retry_after", retryAfter, "rate", r)
		return
	}
	c.lim.accepted(now)
}

// backoff is the retryablehttp Backoff: the wait checkRetry chose. By
// default retryablehttp's own timer waits it; an injected [WaitFunc] waits
// it instead, in prepareRetry, so tests run retries without sleeping.
func (cl *call) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration {
	if cl.c.cfg.wait != nil {
		return 0
	}
	return cl.wait
}

// prepareRetry is the retryablehttp PrepareRetry, run before each retry:
// the injected wait (if any), then the rate limiter.
func (cl *call) prepareRetry(req *http.Request) error {
	c, ctx := cl.c, req.Context()
	if c.cfg.wait != nil {
		if err := c.cfg.wait(ctx, cl.wait); err != nil {
			return err
		}
	}
	sent, err := c.waitLimiter(ctx)
	if err != nil {
		if ctx.Err() == nil { // the limiter wait would pass the deadline
			cl.stopped = err
		}
		return err
	}
	cl.sent = sent
	c.stats.retries.Add(1)
	return nil
}

// errorHandler is the retryablehttp ErrorHandler, called when no retry
// follows a failed attempt. It keeps the last response when there is one:
// when retries run out on a retryable status the caller gets that response,
// never a bare "giving up".
func (cl *call) errorHandler(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil && (err == nil || err == cl.stopped) && cl.status != 0 {
		if cl.attempts > cl.c.cfg.retryMax {
			cl.c.log(context.Background(), slog.LevelWarn, "retries exhausted", "method", cl.method, "url", cl.url, "status", cl.status, "attempts", cl.attempts)
		}
		return resp, nil
	}
	if resp != nil {
		drain(resp.Body)
	}
	return nil, err
}

// readBody reads resp's body under the cap and closes it.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	if resp.ContentLength > c.cfg.maxBody {
		return nil, fmt.Errorf("%w: Content-Length %d > %d bytes", ErrBodyTooLarge, resp.ContentLength, c.cfg.maxBody)
	}
	var b []byte
	var err error
	if n := resp.ContentLength; n >= 0 {
		// Known length: one allocation, then make sure nothing follows.
		b = make([]byte, n)
		if _, err = io.ReadFull(resp.Body, b); err == nil {
			var extra [1]byte
			if k, _ := resp.Body.Read(extra[:]); k > 0 {
				err = errors.New("body longer than its Content-Length")
			}
		}
	} else {
		b, err = io.ReadAll(io.LimitReader(resp.Body, c.cfg.maxBody+1))
	}
	if err != nil {
		return nil, fmt.Errorf("reading response body (status %d): %w", resp.StatusCode, err)
	}
	if int64(len(b)) > c.cfg.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, c.cfg.maxBody)
	}
	return b, nil
}

// retryable: transport errors (not context ends, not our own refusals),
// 429 and 5xx except 501.
func retryable(status int, err error) bool {
	if err != nil {
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
			errors.Is(err, ErrOffHost), errors.Is(err, ErrToken), errors.Is(err, ErrBodyTooLarge),
			errors.Is(err, ErrTimeout):
			return false
		}
		var ue *url.Error
		if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "stopped after") {
			return false // redirect refused
		}
		return true
	}
	return status == http.StatusTooManyRequests || (status >= 500 && status != http.StatusNotImplemented)
}

// backoffFor returns the wait before retry number attempt+1 (attempt counts
// from 0): the server's Retry-After when given (within the cap), else
// exponential from waitMin, capped at waitMax, jittered between half and all
// of the step.
func (c *Client) backoffFor(attempt int, hasRetryAfter bool, retryAfter time.Duration) time.Duration {
	if hasRetryAfter {
		return retryAfter
	}
	step := float64(c.cfg.waitMin) * math.Pow(2, float64(max(0, attempt)))
	if step > float64(c.cfg.waitMax) || math.IsInf(step, 0) {
		step = float64(c.cfg.waitMax)
	}
	j := c.cfg.random()
	if j < 0 || j >= 1 {
		j = 0
	}
	return time.Duration(step/2 + step/2*j)
}

func (c *Client) log(ctx context.Context, level slog.Level, msg string, args ...any) {
	if c.cfg.logger == nil {
		return
	}
	c.cfg.logger.Log(ctx, level, msg, args...)
}

// unwrapURLError removes net/http's *url.Error wrapper (which repeats the
// method and URL we already print) but keeps its cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

func drain(b io.ReadCloser) {
	if b == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(b, 64<<10))
	_ = b.Close()
}
