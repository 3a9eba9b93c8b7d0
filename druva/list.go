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
	total     int
	start     int // 0 when absent
	resources []scim.Resource
}

// listResponse is the wire form; encoding/json matches member names without
// regard to case, so "Resources" and "resources" (both occur in the wild)
// decode alike.
type listResponse struct {
	TotalResults json.RawMessage
	StartIndex   json.RawMessage
	Resources    []map[string]any
}

// decodePage decodes a SCIM ListResponse in one pass, numbers kept exact.
func decodePage(resp *httpx.Response) (*page, error) {
	b := bytes.TrimSpace(resp.Body)
	if len(b) == 0 || b[0] != '{' {
		return nil, badResponse(resp.Method, resp.URL, "not a JSON ListResponse: %q", printable(b, 80))
	}
	var raw listResponse
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		return nil, badResponse(resp.Method, resp.URL, "decoding the ListResponse: %v", err)
	}
	if d.InputOffset() != int64(len(b)) { // b is trimmed: anything left is trailing data
		return nil, badResponse(resp.Method, resp.URL, "decoding the ListResponse: trailing data")
	}
	if len(raw.TotalResults) == 0 || string(raw.TotalResults) == "null" {
		return nil, badResponse(resp.Method, resp.URL, "the ListResponse has no totalResults")
	}
	p := &page{}
	n, err := jsonInt(raw.TotalResults)
	if err != nil || n < 0 {
		return nil, badResponse(resp.Method, resp.URL, "totalResults %s is not a count", printable(raw.TotalResults, 40))
	}
	p.total = n
	if len(raw.StartIndex) > 0 && string(raw.StartIndex) != "null" {
		if p.start, err = jsonInt(raw.StartIndex); err != nil {
			return nil, badResponse(resp.Method, resp.URL, "startIndex %s is not a number", printable(raw.StartIndex, 40))
		}
	}
	p.resources = make([]scim.Resource, len(raw.Resources))
	for i, m := range raw.Resources {
		r := scim.Resource(m)
		if r.ID() == "" {
			return nil, badResponse(resp.Method, resp.URL, "Resources[%d] has no \"id\"", i)
		}
		p.resources[i] = r
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
