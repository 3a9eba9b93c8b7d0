package druva

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
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
	b := bytes.TrimSpace(resp.Body)
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
// until totalResults resources have been seen.
func (c *Client) list(ctx context.Context, kind string, extra url.Values) iter.Seq2[scim.Resource, error] {
	return func(yield func(scim.Resource, error) bool) {
		seen := make(map[string]struct{})
		total, start := -1, 1
		for {
			q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(c.pageSize)}}
			for k, vs := range extra {
				q[k] = vs
			}
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
			fail := func(format string, args ...any) {
				yield(nil, badResponse(resp.Method, resp.URL, format, args...))
			}
			switch {
			case total < 0:
				total = p.total
			case p.total != total:
				fail("totalResults changed from %d to %d while listing; the listing would be inconsistent", total, p.total)
				return
			}
			if p.start != 0 && p.start != start {
				fail("asked for startIndex %d, got a page starting at %d", start, p.start)
				return
			}
			if len(p.resources) == 0 && len(seen) < total {
				fail("the server stopped after %d of %d %s", len(seen), total, strings.ToLower(kind))
				return
			}
			if len(seen)+len(p.resources) > total {
				fail("more %s than the announced totalResults %d", strings.ToLower(kind), total)
				return
			}
			for _, r := range p.resources {
				id := r.ID()
				if _, dup := seen[id]; dup {
					fail("resource %q returned twice (a page was repeated or the listing shifted)", id)
					return
				}
				seen[id] = struct{}{}
			}
			for _, r := range p.resources {
				if !yield(r, nil) {
					return
				}
			}
			if len(seen) == total {
				return
			}
			start += len(p.resources)
		}
	}
}
