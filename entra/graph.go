package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/druvascim/druvascim/internal/httpx"
	"github.com/druvascim/druvascim/internal/jsonobj"
)

// Errors of the reader, matched with errors.Is.
var (
	// ErrMalformed: Graph answered something that is not the expected JSON
	// (an HTML error page, truncated JSON, a page without "value", wrong
	// types). The read fails; nothing is guessed.
	ErrMalformed = errors.New("entra: malformed Graph response")
	// ErrOffHost: a nextLink or deltaLink pointed away from the configured
	// Graph host. The link is not followed and no token is sent there.
	ErrOffHost = errors.New("entra: link leaves the configured Graph host")
	// ErrUnauthorized: Graph answered 401 or 403 (bad, expired or
	// insufficiently privileged credentials).
	ErrUnauthorized = errors.New("entra: unauthorized")
	// ErrNotFound: the service principal (or another object read by id)
	// does not exist.
	ErrNotFound = errors.New("entra: not found")
	// ErrThrottled: Graph still answered 429 after every retry.
	ErrThrottled = errors.New("entra: throttled by Graph")
	// ErrBadDeltaLink: the delta link given to Read is not one this package
	// made.
	ErrBadDeltaLink = errors.New("entra: not a delta link of this reader")
)

// errDeltaExpired matches a Graph delta link that has expired (410,
// SyncStateNotFound); Read answers it with a full read.
var errDeltaExpired = errors.New("entra: delta link expired")

// GraphError is a non-success answer from Graph, after retries.
type GraphError struct {
	Status    int    // HTTP status
	Code      string // Graph error code, such as "Request_ResourceNotFound"
	Message   string // Graph error message, or the start of a non-JSON body
	Method    string
	URL       string // request URL (carries no credentials)
	RequestID string
}

func (e *GraphError) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	return fmt.Sprintf("entra: %s %s: %d %s: %s", e.Method, e.URL, e.Status, code, e.Message)
}

// Is makes errors.Is match the sentinel for the status.
func (e *GraphError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrThrottled:
		return e.Status == http.StatusTooManyRequests
	case errDeltaExpired:
		return e.Status == http.StatusGone || isSyncStateCode(e.Code)
	}
	return false
}

func isSyncStateCode(code string) bool {
	switch strings.ToLower(code) {
	case "syncstatenotfound", "syncstateinvalid", "resyncrequired":
		return true
	}
	return false
}

// counters are one read's figures.
type counters struct {
	requests, attempts, pages atomic.Int64
	throttled, retries        atomic.Int64 // items of $batch answers
	items                     atomic.Int64 // objects on the pages read
	progress                  func(Progress)
}

// page counts one decoded page of n objects and reports progress.
func (c *counters) page(n int) {
	pages := c.pages.Add(1)
	items := c.items.Add(int64(n))
	if c.progress != nil {
		c.progress(Progress{Pages: pages, Items: items})
	}
}

// get sends one GET and returns the body of a 200 answer; other statuses
// become a *GraphError.
func (r *Reader) get(ctx context.Context, c *counters, path string, q url.Values, h http.Header) ([]byte, error) {
	if strings.Contains(path, "://") {
		if err := r.onHost(path); err != nil {
			return nil, err
		}
	}
	c.requests.Add(1)
	resp, err := r.client.Do(ctx, &httpx.Request{Path: path, Query: q, Header: h})
	if err != nil {
		if errors.Is(err, httpx.ErrOffHost) {
			return nil, fmt.Errorf("%w: %w", ErrOffHost, err)
		}
		return nil, fmt.Errorf("entra: %w", err)
	}
	c.attempts.Add(int64(resp.Attempts))
	if resp.StatusCode != http.StatusOK {
		return nil, graphError(resp)
	}
	return resp.Body, nil
}

// onHost checks that an absolute link stays on the configured Graph scheme,
// host and version path (/v1.0 or /beta).
func (r *Reader) onHost(link string) error {
	u, err := url.Parse(link)
	base, _ := url.Parse(r.cfg.graph)
	if err != nil || !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) || u.User != nil ||
		!strings.HasPrefix(u.EscapedPath(), strings.TrimRight(base.EscapedPath(), "/")+"/"+r.cfg.version+"/") {
		host := "(unparsable)"
		if err == nil {
			host = u.Scheme + "://" + u.Host
		}
		return fmt.Errorf("%w: %s is not %s/%s", ErrOffHost, host, r.cfg.graph, r.cfg.version)
	}
	return nil
}

func graphError(resp *httpx.Response) error {
	e := &GraphError{Status: resp.StatusCode, Method: resp.Method, URL: resp.URL,
		RequestID: resp.Header.Get("request-id")}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(resp.Body, &body) == nil && (body.Error.Code != "" || body.Error.Message != "") {
		e.Code, e.Message = body.Error.Code, body.Error.Message
	} else {
		e.Message = snippet(resp.Body)
	}
	return e
}

// snippet is the start of a body, printable, for error messages.
func snippet(b []byte) string {
	const n = 120
	if len(b) > n {
		b = b[:n]
	}
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	if s == "" {
		return "(empty body)"
	}
	return fmt.Sprintf("%q", s)
}

// page is one decoded collection page.
type page struct {
	Value     []map[string]any
	NextLink  string
	DeltaLink string
}

// decodePage parses a Graph collection page. Anything but a JSON object
// with a "value" array of objects is an error wrapping ErrMalformed. Member
// names are matched without regard to case, as encoding/json would; a page
// that spells one of them two ways is refused.
func decodePage(body []byte) (page, error) {
	t := jsonobj.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' {
		return page{}, fmt.Errorf("%w: not a JSON object: %s", ErrMalformed, snippet(body))
	}
	m, err := jsonobj.Decode(t)
	if err != nil {
		return page{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	f, err := jsonobj.Members(m, "value", "@odata.nextLink", "@odata.deltaLink")
	if err != nil {
		return page{}, fmt.Errorf("%w: page has %v", ErrMalformed, err)
	}
	value, next, delta := f[0], f[1], f[2]
	list, ok := value.([]any)
	if !ok {
		if value == nil {
			return page{}, fmt.Errorf("%w: page without \"value\"", ErrMalformed)
		}
		return page{}, fmt.Errorf("%w: \"value\" is not a list", ErrMalformed)
	}
	p := page{Value: make([]map[string]any, len(list))}
	for i, e := range list {
		obj, ok := e.(map[string]any)
		if !ok {
			return page{}, fmt.Errorf("%w: value[%d] is not an object", ErrMalformed, i)
		}
		p.Value[i] = obj
	}
	if p.NextLink, err = link(next, "@odata.nextLink"); err != nil {
		return page{}, err
	}
	if p.DeltaLink, err = link(delta, "@odata.deltaLink"); err != nil {
		return page{}, err
	}
	if p.NextLink != "" && p.DeltaLink != "" {
		return page{}, fmt.Errorf("%w: page has both @odata.nextLink and @odata.deltaLink", ErrMalformed)
	}
	return p, nil
}

// link returns the URL of the @odata link member name: absent or null is no
// link, anything but a non-empty string is malformed.
func link(v any, name string) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: %s is not a string", ErrMalformed, name)
	}
	if s == "" {
		return "", fmt.Errorf("%w: empty %s", ErrMalformed, name)
	}
	return s, nil
}

// decodeObject decodes one item of a page into a map, numbers as
// json.Number, and checks its id.
func decodeObject(raw json.RawMessage) (map[string]any, string, error) {
	t := jsonobj.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return nil, "", fmt.Errorf("%w: not an object: %s", ErrMalformed, snippet(raw))
	}
	m, err := jsonobj.Decode(t)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	id, err := objectID(m)
	return m, id, err
}

// objectID returns the id of a decoded object.
func objectID(m map[string]any) (string, error) {
	id, ok := m["id"].(string)
	if !ok || id == "" || len(id) > 256 {
		return "", fmt.Errorf("%w: object without a string id (id = %.60v)", ErrMalformed, m["id"])
	}
	return id, nil
}

// pages reads a collection from path (relative or a link on the Graph
// host), calling fn for every page, and returns the final deltaLink (empty
// for non-delta collections). Every page must decode; a link off the Graph
// host is an error; a nextLink that repeats one already followed, or a
// chain longer than the reader's page limit ([WithMaxPages]), is an error:
// Graph's paging would not end. The links followed are remembered as 64-bit
// hashes, so the memory is bounded by the page limit.
//
// Decoding a page and fn's work on it overlap the request for the next
// page: its @odata.nextLink is read ahead of the rest of the page and
// fetched at once. Still one request is in flight at a time, and the page
// fetched ahead is used only when the decoded page links to exactly it.
func (r *Reader) pages(ctx context.Context, c *counters, path string, q url.Values, h http.Header, fn func([]map[string]any) error) (string, error) {
	var ahead prefetch
	defer ahead.drop()
	links := followed{seed: maphash.MakeSeed(), seen: map[uint64]bool{}}
	body, err := r.get(ctx, c, path, q, h)
	for n := 1; ; n++ {
		if err != nil {
			return "", err
		}
		if next, ok := jsonobj.MemberString(body, "@odata.nextLink"); ok && n < r.cfg.maxPages && !links.has(next) {
			ahead.start(ctx, next, func(ctx context.Context) ([]byte, error) { return r.get(ctx, c, next, nil, h) })
		}
		var p page
		if p, err = decodePage(body); err != nil {
			return "", fmt.Errorf("entra: GET %s: %w", redactPath(path), err)
		}
		c.page(len(p.Value))
		if err := fn(p.Value); err != nil {
			return "", err
		}
		if p.NextLink == "" {
			if p.DeltaLink != "" {
				if err := r.onHost(p.DeltaLink); err != nil {
					return "", err
				}
			}
			return p.DeltaLink, nil
		}
		if err := r.mayFollow(p.NextLink, n, links); err != nil {
			return "", err
		}
		path = p.NextLink // verbatim: the link carries every parameter
		if f, ok := ahead.take(path); ok {
			body, err = f.body, f.err
		} else {
			body, err = r.get(ctx, c, path, nil, h)
		}
	}
}

// mayFollow checks the nextLink of the nth page before it is followed: on
// the Graph host, within the page limit, not followed before. It
// remembers the link.
func (r *Reader) mayFollow(link string, n int, links followed) error {
	if err := r.onHost(link); err != nil {
		return err
	}
	if n >= r.cfg.maxPages {
		return fmt.Errorf("%w: GET %s: more than %d pages and Graph's @odata.nextLink still does not end; WithMaxPages raises the limit for a larger tenant",
			ErrMalformed, redactPath(link), r.cfg.maxPages)
	}
	if links.has(link) {
		return fmt.Errorf("%w: GET %s: @odata.nextLink repeats a page already read", ErrMalformed, redactPath(link))
	}
	links.seen[maphash.String(links.seed, link)] = true
	return nil
}

// followed is the set of links a listing has followed, as hashes.
type followed struct {
	seed maphash.Seed
	seen map[uint64]bool
}

// has reports whether link was followed.
func (f followed) has(link string) bool { return f.seen[maphash.String(f.seed, link)] }

// prefetch is at most one page fetched ahead of its turn.
type prefetch struct {
	link   string
	cancel context.CancelFunc
	done   chan fetchedPage // nil when nothing was fetched ahead
}

// fetchedPage is the outcome of a fetch ahead.
type fetchedPage struct {
	body []byte
	err  error
}

// start fetches link with get on a goroutine of its own.
func (p *prefetch) start(ctx context.Context, link string, get func(context.Context) ([]byte, error)) {
	p.drop()
	ctx, p.cancel = context.WithCancel(ctx)
	p.link, p.done = link, make(chan fetchedPage, 1)
	go func() {
		body, err := get(ctx)
		p.done <- fetchedPage{body, err}
	}()
}

// take waits for the page fetched ahead and returns it if it is the page
// at link (ok); a fetch of another link is dropped, its outcome ignored.
func (p *prefetch) take(link string) (f fetchedPage, ok bool) {
	if p.done == nil || p.link != link {
		p.drop()
		return fetchedPage{}, false
	}
	f = <-p.done
	p.cancel()
	p.done = nil
	return f, true
}

// drop cancels a fetch ahead and waits for its goroutine to end.
func (p *prefetch) drop() {
	if p.done == nil {
		return
	}
	p.cancel()
	<-p.done
	p.done = nil
}

// redactPath drops the query (skip and delta tokens) from a path for errors.
func redactPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
