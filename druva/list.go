package druva

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/druvascim/druvascim/internal/httpx"
	"github.com/druvascim/druvascim/internal/jsonobj"
	"github.com/druvascim/druvascim/scim"
)

// page is one decoded ListResponse.
type page struct {
	total     int
	start     int // 0 when absent
	resources []scim.Resource
}

// decodePage decodes a SCIM ListResponse in one pass, numbers kept exact.
// Member names are matched without regard to case ("Resources" and
// "resources" both occur in the wild); a page that spells one member two
// ways is refused, since nothing says which one to believe.
func decodePage(resp *httpx.Response) (*page, error) {
	b := jsonobj.TrimSpace(resp.Body)
	if len(b) == 0 || b[0] != '{' {
		return nil, badResponse(resp.Method, resp.URL, "not a JSON ListResponse: %q", printable(b, 80))
	}
	m, err := jsonobj.Decode(b)
	if err != nil {
		return nil, badResponse(resp.Method, resp.URL, "decoding the ListResponse: %v", err)
	}
	f, err := jsonobj.Members(m, "totalResults", "startIndex", "Resources")
	if err != nil {
		return nil, badResponse(resp.Method, resp.URL, "the ListResponse has %v", err)
	}
	total, start, resources := f[0], f[1], f[2]
	if total == nil {
		return nil, badResponse(resp.Method, resp.URL, "the ListResponse has no totalResults")
	}
	p := &page{}
	n, err := count(total)
	if err != nil || n < 0 {
		return nil, badResponse(resp.Method, resp.URL, "totalResults %s is not a count", printable([]byte(fmt.Sprint(total)), 40))
	}
	p.total = n
	if start != nil {
		if p.start, err = count(start); err != nil {
			return nil, badResponse(resp.Method, resp.URL, "startIndex %s is not a number", printable([]byte(fmt.Sprint(start)), 40))
		}
	}
	var list []any
	switch v := resources.(type) {
	case nil:
	case []any:
		list = v
	default:
		return nil, badResponse(resp.Method, resp.URL, "Resources is %s, not an array", scim.JSONKind(v))
	}
	p.resources = make([]scim.Resource, len(list))
	for i, e := range list {
		r, ok := e.(map[string]any)
		if e != nil && !ok {
			return nil, badResponse(resp.Method, resp.URL, "Resources[%d] is %s, not an object", i, scim.JSONKind(e))
		}
		if scim.Resource(r).ID() == "" {
			return nil, badResponse(resp.Method, resp.URL, "Resources[%d] has no \"id\"", i)
		}
		p.resources[i] = r
	}
	return p, nil
}

// count decodes an integer sent as a JSON number or as a string holding one.
func count(v any) (int, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, errors.New("not an integer")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New("not an integer")
	}
	return n, nil
}

// list pages through kind with startIndex/count (plus extra query values)
// until totalResults resources have been seen. Every page is checked
// against the ones before (see [listing.check]), so a server that stops
// short, repeats itself, changes its total or announces more than
// [WithMaxListSize] ends the listing with an error.
func (c *Client) list(ctx context.Context, kind string, extra url.Values) iter.Seq2[scim.Resource, error] {
	return func(yield func(scim.Resource, error) bool) {
		l := listing{kind: strings.ToLower(kind), max: c.maxList, total: -1, seen: make(map[string]struct{})}
		start := 1
		for {
			q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(c.pageSize)}}
			maps.Copy(q, extra)
			resp, err := c.call(ctx, http.MethodGet, kind, q, nil, http.StatusOK)
			if err != nil {
				yield(nil, err)
				return
			}
			p, err := decodePage(resp)
			if err != nil {
				yield(nil, err)
				return
			}
			if err := l.check(p, start); err != nil {
				yield(nil, badResponse(resp.Method, resp.URL, "%v", err))
				return
			}
			for _, r := range p.resources {
				if !yield(r, nil) {
					return
				}
			}
			if len(l.seen) == l.total {
				return
			}
			start += len(p.resources)
		}
	}
}

// listing is what a listing has seen so far.
type listing struct {
	kind  string              // "users" or "groups", for messages
	max   int                 // the largest total accepted
	total int                 // totalResults of the first page; -1 before it
	seen  map[string]struct{} // ids of the resources yielded
}

// check checks page p, asked for at startIndex start, against the pages
// before it and records its ids. The listing ends within total pages:
// every page must bring a new resource, and the total is at most max.
func (l *listing) check(p *page, start int) error {
	switch {
	case l.total < 0 && p.total > l.max:
		return fmt.Errorf("the server announces %d %s, more than the %d a listing accepts (WithMaxListSize raises the limit)", p.total, l.kind, l.max)
	case l.total < 0:
		l.total = p.total
	case p.total != l.total:
		return fmt.Errorf("totalResults changed from %d to %d while listing; the listing would be inconsistent", l.total, p.total)
	}
	if p.start != 0 && p.start != start {
		return fmt.Errorf("asked for startIndex %d, got a page starting at %d", start, p.start)
	}
	if len(p.resources) == 0 && len(l.seen) < l.total {
		return fmt.Errorf("the server stopped after %d of %d %s", len(l.seen), l.total, l.kind)
	}
	if len(l.seen)+len(p.resources) > l.total {
		return fmt.Errorf("more %s than the announced totalResults %d", l.kind, l.total)
	}
	for _, r := range p.resources {
		id := r.ID()
		if _, dup := l.seen[id]; dup {
			return fmt.Errorf("resource %q returned twice (a page was repeated or the listing shifted)", id)
		}
		l.seen[id] = struct{}{}
	}
	return nil
}
