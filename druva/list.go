package druva

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/druvascim/druvascim/internal/httpx"
	"github.com/druvascim/druvascim/scim"
)

// page is one decoded ListResponse.
type page struct {
	total      int
	start      int // 0 when absent
	resources  []scim.Resource
	hasTotal   bool
	hasPerPage bool
}

// decodePage decodes a SCIM ListResponse. Member names are matched without
// regard to case ("Resources" and "resources" both occur in the wild).
func decodePage(resp *httpx.Response) (*page, error) {
	b := bytes.TrimSpace(resp.Body)
	if len(b) == 0 || b[0] != '{' {
		return nil, badResponse(resp.Method, resp.URL, "not a JSON ListResponse: %q", printable(b, 80))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, badResponse(resp.Method, resp.URL, "decoding the ListResponse: %v", err)
	}
	p := &page{}
	for k, v := range raw {
		switch strings.ToLower(k) {
		case "totalresults":
			n, err := jsonInt(v)
			if err != nil || n < 0 {
				return nil, badResponse(resp.Method, resp.URL, "totalResults %s is not a count", printable(v, 40))
			}
			p.total, p.hasTotal = n, true
		case "startindex":
			n, err := jsonInt(v)
			if err != nil {
				return nil, badResponse(resp.Method, resp.URL, "startIndex %s is not a number", printable(v, 40))
			}
			p.start = n
		case "itemsperpage":
			p.hasPerPage = true
		case "resources":
			if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				continue
			}
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				return nil, badResponse(resp.Method, resp.URL, "Resources is not a list: %v", err)
			}
			p.resources = make([]scim.Resource, 0, len(items))
			for i, it := range items {
				r, err := decodeObject(it)
				if err != nil {
					return nil, badResponse(resp.Method, resp.URL, "Resources[%d]: %v", i, err)
				}
				if r.ID() == "" {
					return nil, badResponse(resp.Method, resp.URL, "Resources[%d] has no \"id\"", i)
				}
				p.resources = append(p.resources, r)
			}
		}
	}
	if !p.hasTotal {
		return nil, badResponse(resp.Method, resp.URL, "the ListResponse has no totalResults")
	}
	return p, nil
}

// jsonInt decodes an integer that may be sent as a number or a string.
func jsonInt(v json.RawMessage) (int, error) {
	s := strings.TrimSpace(string(v))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, err
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
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
