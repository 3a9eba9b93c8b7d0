package druva

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/druvascim/druvascim/scim"
)

// Discovery is what a SCIM service publishes about itself (RFC 7644 §4).
// Druva publishes little, so every part is optional: a nil or empty field
// means the endpoint was not offered.
type Discovery struct {
	// ServiceProviderConfig is GET /ServiceProviderConfig, or nil.
	ServiceProviderConfig scim.Resource
	// ResourceTypes is GET /ResourceTypes, or nil.
	ResourceTypes []scim.Resource
	// Schemas is GET /Schemas, or nil.
	Schemas []scim.Resource
	// Groups is true when ResourceTypes lists a Group type (endpoint /Groups).
	Groups bool
	// Patch, Filter and Bulk are the features ServiceProviderConfig says are
	// supported (false when it is absent).
	Patch, Filter, Bulk bool
	// MaxResults is ServiceProviderConfig's filter.maxResults (0: unknown).
	MaxResults int
	// Missing lists the endpoints that were not offered, with the status.
	Missing []string
}

// Discover reads /ServiceProviderConfig, /ResourceTypes and /Schemas when
// the service offers them. An endpoint answering 404, 405, 400, 403 or 501,
// or with something that is not SCIM JSON, counts as not offered (see
// Missing); only a rejected token ([ErrUnauthorized]), rate limiting, a
// server failure after retries or the context ending are errors.
func (c *Client) Discover(ctx context.Context) (*Discovery, error) {
	d := &Discovery{}
	get := func(path string) (scim.Resource, error) {
		resp, err := c.call(ctx, http.MethodGet, path, nil, nil, http.StatusOK)
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) {
				switch ae.StatusCode {
				case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusBadRequest,
					http.StatusForbidden, http.StatusNotImplemented:
					d.Missing = append(d.Missing, fmt.Sprintf("%s (%d)", path, ae.StatusCode))
					return nil, nil
				}
			}
			return nil, err
		}
		r, derr := decodeObject(resp.Body)
		if derr != nil {
			d.Missing = append(d.Missing, path+" (not SCIM JSON)")
			return nil, nil
		}
		return r, nil
	}
	spc, err := get("ServiceProviderConfig")
	if err != nil {
		return nil, err
	}
	if spc != nil {
		d.ServiceProviderConfig = spc
		d.Patch = supported(spc, "patch")
		d.Filter = supported(spc, "filter")
		d.Bulk = supported(spc, "bulk")
		if f, ok := spc.Get("filter.maxResults"); ok {
			d.MaxResults = toInt(f)
		}
	}
	for _, ep := range []struct {
		path string
		dst  *[]scim.Resource
	}{{"ResourceTypes", &d.ResourceTypes}, {"Schemas", &d.Schemas}} {
		r, err := get(ep.path)
		if err != nil {
			return nil, err
		}
		if r != nil {
			*ep.dst = listOrSingle(r)
		}
	}
	for _, rt := range d.ResourceTypes {
		name, _ := rt.Get("name")
		ep, _ := rt.Get("endpoint")
		if s, _ := name.(string); strings.EqualFold(s, "Group") {
			d.Groups = true
		}
		if s, _ := ep.(string); strings.EqualFold(strings.Trim(s, "/"), "Groups") {
			d.Groups = true
		}
	}
	return d, nil
}

// listOrSingle accepts a ListResponse or a bare list-less object.
func listOrSingle(r scim.Resource) []scim.Resource {
	for k, v := range r {
		if strings.EqualFold(k, "Resources") {
			items, _ := v.([]any)
			out := make([]scim.Resource, 0, len(items))
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					out = append(out, scim.Resource(m))
				}
			}
			return out
		}
	}
	return []scim.Resource{r}
}

func supported(spc scim.Resource, feature string) bool {
	v, ok := spc.Get(feature + ".supported")
	if !ok {
		return false
	}
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true")
	}
	return false
}

func toInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case interface{ Int64() (int64, error) }:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}
