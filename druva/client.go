package druva

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/druvascim/druvascim/internal/httpx"
	"github.com/druvascim/druvascim/internal/jsonobj"
	"github.com/druvascim/druvascim/scim"
)

// Client is a Druva inSync SCIM 2.0 client. It is safe for concurrent use
// and immutable after [NewClient] (apart from a cache of what discovery
// found).
type Client struct {
	h        *httpx.Client
	probe    *httpx.Client // like h, without retries: TestConnection's first try
	accept   http.Header   // the Accept header of every request; never modified
	pageSize int
	maxList  int
	groups   *bool
	now      func() time.Time

	discMu sync.Mutex
	disc   *Discovery // cached by groupsOffered

	// encoders holds *jsonobj.Encoder: a user's body is encoded without
	// reflection into buffers that serve one request after another.
	encoders sync.Pool
}

// Stats are the request counters of a [Client].
type Stats struct {
	Requests  int64 // HTTP attempts sent
	Retries   int64 // attempts that were retries
	Throttled int64 // 429 answers received
}

// NewClient returns a client for Druva's SCIM service authenticated with the
// bearer token generated in the Druva console.
func NewClient(token string, opts ...Option) (*Client, error) {
	if token == "" {
		return nil, errors.New("druva: empty token; generate one in the Druva console (Users > Settings > Generate Token)")
	}
	if err := checkToken(token); err != nil {
		return nil, err
	}
	o := options{baseURL: DefaultBaseURL, pageSize: DefaultPageSize, maxList: defaultMaxListSize, now: time.Now}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("druva: nil option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	hopts := append([]httpx.Option{httpx.WithToken(token)}, o.http...)
	h, err := httpx.New(o.baseURL, hopts...)
	if err != nil {
		return nil, wrapErr("", err)
	}
	probe, err := httpx.New(o.baseURL, append(hopts, httpx.WithRetryMax(0))...)
	if err != nil {
		return nil, wrapErr("", err)
	}
	return &Client{h: h, probe: probe, accept: http.Header{"Accept": {scimJSON + ", application/json"}},
		pageSize: o.pageSize, maxList: o.maxList, groups: o.groups, now: o.now}, nil
}

// BaseURL returns the SCIM base URL the client talks to.
func (c *Client) BaseURL() string { return c.h.BaseURL() }

// Stats returns the request counters; safe to call while requests run.
func (c *Client) Stats() Stats {
	s := c.h.Stats()
	return Stats{Requests: s.Requests, Retries: s.Retries, Throttled: s.Throttled}
}

// Requests returns the number of HTTP attempts sent so far (Stats().Requests).
// A druvascim Syncer reads it to report each cycle's request count.
func (c *Client) Requests() int64 { return c.h.Stats().Requests }

// RateLimit returns the client-side rate now in force in requests per
// second (0: off). It changes as the client learns Druva's limit.
func (c *Client) RateLimit() float64 { return c.h.RateLimit() }

// LearnedRate returns the rate, in requests per second, a later client
// against the same tenant should start from: keep it (in the sync state,
// for instance) and pass it to [WithStartRate], so the next run does not
// learn Druva's limit from scratch. 0 when the limiter is off.
func (c *Client) LearnedRate() float64 { return c.h.LearnedRate() }

// String describes the client without its token.
func (c *Client) String() string { return "druva.Client{" + c.h.BaseURL() + "}" }

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// Format prints String for every verb, so no fmt verb shows the token.
func (c *Client) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

const scimJSON = "application/scim+json"

// call sends one request and returns the response when its status is one of
// ok; any other status becomes an *APIError.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body any, ok ...int) (*httpx.Response, error) {
	return c.send(ctx, c.h, method, path, query, body, ok...)
}

// send is call through h.
func (c *Client) send(ctx context.Context, h *httpx.Client, method, path string, query url.Values, body any, ok ...int) (*httpx.Response, error) {
	raw, err := c.encode(body)
	if err != nil {
		return nil, fmt.Errorf("druva: %s %s: encoding the request: %w", method, path, err)
	}
	resp, err := h.Do(ctx, &httpx.Request{
		Method:      method,
		Path:        path,
		Query:       query,
		Body:        raw,
		ContentType: scimJSON,
		Header:      c.accept,
	})
	if err != nil {
		if errors.Is(err, httpx.ErrRateLimitWait) {
			return nil, wrapErr("", fmt.Errorf("%w: %w", ErrRateLimited, err))
		}
		return nil, wrapErr("", err)
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	return nil, newAPIError(resp, c.now())
}

// encode returns the JSON of a request body (nil for none). A resource is
// encoded by a pooled jsonobj.Encoder and copied out of its buffer: the
// transport may still read a request's body after the response is in (see
// http.RoundTripper), so the body cannot share the encoder's buffer with
// the next request. Anything else goes through encoding/json.
func (c *Client) encode(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case scim.Resource:
		e, _ := c.encoders.Get().(*jsonobj.Encoder)
		if e == nil {
			e = new(jsonobj.Encoder)
		}
		defer c.encoders.Put(e)
		raw, err := e.Encode(b)
		return bytes.Clone(raw), err
	}
	return json.Marshal(body)
}

// decodeResource decodes a response body holding one resource with an id.
func decodeResource(resp *httpx.Response) (scim.Resource, error) {
	r, err := decodeObject(resp.Body)
	if err != nil {
		return nil, badResponse(resp.Method, resp.URL, "%v", err)
	}
	if r.ID() == "" {
		return nil, badResponse(resp.Method, resp.URL, "the resource has no \"id\"")
	}
	return r, nil
}

// decodeObject decodes a JSON object, numbers kept as json.Number; data
// after the object is refused.
func decodeObject(b []byte) (scim.Resource, error) {
	b = jsonobj.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("empty body where a JSON object was expected")
	}
	if b[0] != '{' {
		return nil, fmt.Errorf("body is not a JSON object: %q", printable(b, 80))
	}
	m, err := jsonobj.Decode(b)
	if err != nil {
		return nil, err
	}
	return scim.Resource(m), nil
}

// resourcePath returns "<kind>/<escaped id>", refusing ids that cannot name
// a resource.
func resourcePath(op, kind, id string) (string, error) {
	switch {
	case strings.TrimSpace(id) == "":
		return "", &ValidationError{Op: op, Attribute: "id", Reason: "empty"}
	case id == "." || id == "..":
		return "", &ValidationError{Op: op, Attribute: "id", Reason: fmt.Sprintf("%q is not a resource id", id)}
	}
	return kind + "/" + url.PathEscape(id), nil
}

// TestConnection checks the base URL and the token the way Entra's "Test
// Connection" does: it looks up a random userName that cannot exist and
// expects 200 with an empty list. A 401 matches [ErrUnauthorized]. A
// refused connection or a host name that does not resolve fails at once,
// without retries, with an error that says what to check; a server that
// answers 429 or 5xx, or a connection that breaks, is retried as any
// request is.
func (c *Client) TestConnection(ctx context.Context) error {
	var b [16]byte
	_, _ = rand.Read(b[:])
	f, err := scim.EqualityFilter("userName", "druvascim-test-connection-"+hex.EncodeToString(b[:]))
	if err != nil {
		return wrapErr("test connection", err)
	}
	q := url.Values{"filter": {f}, "startIndex": {"1"}, "count": {strconv.Itoa(c.pageSize)}}
	resp, err := c.send(ctx, c.probe, http.MethodGet, "Users", q, nil, http.StatusOK)
	switch {
	case err == nil:
	case unreachable(err):
		return unreachableError(c.h.BaseURL(), err)
	case worthRetrying(err):
		resp, err = c.call(ctx, http.MethodGet, "Users", q, nil, http.StatusOK)
	}
	if err != nil {
		return wrapErr("test connection", err)
	}
	p, err := decodePage(resp)
	if err != nil {
		return wrapErr("test connection", err)
	}
	if len(p.resources) != 0 {
		return wrapErr("test connection", badResponse(resp.Method, resp.URL, "a filter for a random userName returned %d users; the server does not filter", len(p.resources)))
	}
	return nil
}

// worthRetrying reports whether a failed first attempt may succeed later:
// a broken connection, a throttled request or a server error.
func worthRetrying(err error) bool {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode >= 500
	}
	return !errors.Is(err, ErrBadResponse) && !ctxDone(err)
}

// ctxDone reports whether err is the end of the caller's context.
func ctxDone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
