package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/druvascim/druvascim/internal/httpx"
	"github.com/druvascim/druvascim/internal/jsonobj"
)

// batchSize is the most requests Graph accepts in one JSON $batch.
const batchSize = 20

// batchAnswer is one item's final answer in a $batch.
type batchAnswer struct {
	Status int
	Body   []byte
}

// batchItem is one answer inside a $batch answer.
type batchItem struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// batchGet sends up to batchSize GETs (URLs relative to the version root,
// starting with "/") in one POST $batch, and sends again only the items
// answered 429 or 5xx, after the longest Retry-After among them (capped),
// until a round answers none of them more times in a row than the reader's
// retries allow. Other batches in flight go on meanwhile:
// only this one waits. It returns the answers in the order of urls.
func (rd *read) batchGet(ctx context.Context, urls []string) ([]batchAnswer, error) {
	out := make([]batchAnswer, len(urls))
	pending := make([]int, len(urls))
	for i := range pending {
		pending[i] = i
	}
	// stuck counts the rounds in a row in which no item was answered: a
	// round that answers some starts the count again, so that items
	// throttled while other batches take the app's budget are not given up
	// while the batch makes progress.
	for stuck := 0; ; {
		items, err := rd.postBatch(ctx, urls, pending)
		if err != nil {
			return nil, err
		}
		retry, wait, err := rd.takeAnswers(items, pending, out, stuck)
		if err != nil {
			return nil, err
		}
		if len(retry) == 0 {
			return out, nil
		}
		if len(retry) < len(pending) {
			stuck = 0
		} else {
			stuck++
		}
		if stuck > rd.r.cfg.retries {
			i := retry[0]
			return nil, itemError(out[i], urls[i])
		}
		rd.c.retries.Add(1)
		if err := rd.r.cfg.wait(ctx, min(wait, rd.r.cfg.maxRetryAfter)); err != nil {
			return nil, err
		}
		pending = retry
	}
}

// postBatch sends the pending urls (their indexes are the item ids) in one
// POST $batch and returns the items of the answer.
func (rd *read) postBatch(ctx context.Context, urls []string, pending []int) ([]batchItem, error) {
	type item struct {
		ID     string `json:"id"`
		Method string `json:"method"`
		URL    string `json:"url"`
	}
	var req struct {
		Requests []item `json:"requests"`
	}
	for _, i := range pending {
		req.Requests = append(req.Requests, item{ID: strconv.Itoa(i), Method: http.MethodGet, URL: urls[i]})
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("entra: $batch: %w", err)
	}
	rd.c.requests.Add(1)
	resp, err := rd.r.client.Do(ctx, &httpx.Request{Method: http.MethodPost, Path: "$batch", Body: body})
	if err != nil {
		return nil, fmt.Errorf("entra: %w", err)
	}
	rd.c.attempts.Add(int64(resp.Attempts))
	if resp.StatusCode != http.StatusOK {
		return nil, graphError(resp)
	}
	var answer struct {
		Responses *[]batchItem `json:"responses"`
	}
	if err := json.Unmarshal(resp.Body, &answer); err != nil || answer.Responses == nil {
		return nil, fmt.Errorf("%w: $batch answer without responses: %s", ErrMalformed, snippet(resp.Body))
	}
	return *answer.Responses, nil
}

// takeAnswers stores the items answering the pending requests in out and
// returns the ones to send again (429 and 5xx but 501) with how long to
// wait first: the longest Retry-After among them, or an exponential backoff
// for the items without one.
func (rd *read) takeAnswers(items []batchItem, pending []int, out []batchAnswer, attempt int) (retry []int, wait time.Duration, err error) {
	answered := make(map[int]bool, len(pending))
	for _, a := range items {
		i, err := strconv.Atoi(a.ID)
		if err != nil || !slices.Contains(pending, i) || answered[i] {
			return nil, 0, fmt.Errorf("%w: $batch answer with unknown or repeated id %.40q", ErrMalformed, a.ID)
		}
		answered[i] = true
		out[i] = batchAnswer{Status: a.Status, Body: jsonobj.TrimSpace(a.Body)}
		if a.Status != http.StatusTooManyRequests && (a.Status < 500 || a.Status == http.StatusNotImplemented) {
			continue
		}
		if a.Status == http.StatusTooManyRequests {
			rd.c.throttled.Add(1)
		}
		retry = append(retry, i)
		h := http.Header{}
		for k, v := range a.Headers {
			h.Set(k, v)
		}
		d, ok := httpx.RetryAfter(h, time.Now())
		if !ok {
			d = time.Second << min(attempt, 5)
		}
		wait = max(wait, d)
	}
	if len(answered) != len(pending) {
		return nil, 0, fmt.Errorf("%w: $batch answered %d of %d requests", ErrMalformed, len(answered), len(pending))
	}
	return retry, wait, nil
}

// itemError turns a failed $batch item into a *GraphError.
func itemError(a batchAnswer, u string) error {
	return graphError(&httpx.Response{StatusCode: a.Status, Header: http.Header{}, Body: a.Body,
		Method: http.MethodGet, URL: "$batch " + redactPath(u)})
}

// batchUsers reads up to batchSize users in one $batch. Users answered 404
// are left out; any other failure fails the read.
func (rd *read) batchUsers(ctx context.Context, ids []string) (map[string]map[string]any, error) {
	sel := rd.selectQuery().Encode()
	urls := make([]string, len(ids))
	for i, id := range ids {
		urls[i] = "/users/" + url.PathEscape(id) + "?" + sel
	}
	answers, err := rd.batchGet(ctx, urls)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[string]any, len(ids))
	for i, a := range answers {
		switch a.Status {
		case http.StatusOK:
			obj, got, err := decodeObject(a.Body)
			if err != nil {
				return nil, fmt.Errorf("entra: $batch users/%s: %w", ids[i], err)
			}
			if got != ids[i] {
				return nil, fmt.Errorf("%w: asked for user %s, got %s", ErrMalformed, ids[i], got)
			}
			out[got] = obj
		case http.StatusNotFound:
			// Deleted since the delta round: the caller reports it soft-deleted.
		default:
			return nil, itemError(a, urls[i])
		}
	}
	return out, nil
}

// direct is the direct members of one group.
type direct struct {
	users, groups []string
}

// directMembers reads the direct members of groups: users only (the
// microsoft.graph.user cast), or users and groups when nested. First pages
// go in $batch requests of 20 groups; further pages follow each group's
// @odata.nextLink.
func (rd *read) directMembers(ctx context.Context, groups []string, nested bool) (map[string]direct, error) {
	rel := "/members/microsoft.graph.user"
	if nested {
		rel = "/members"
	}
	q := "?" + url.Values{"$select": {"id"}, "$top": {strconv.Itoa(rd.r.cfg.pageSize)}}.Encode()
	out := make(map[string]direct, len(groups))
	var mu sync.Mutex
	err := rd.chunks(ctx, len(groups), func(ctx context.Context, lo, hi int) error {
		part := groups[lo:hi]
		urls := make([]string, len(part))
		for j, g := range part {
			urls[j] = "/groups/" + url.PathEscape(g) + rel + q
		}
		answers, err := rd.batchGet(ctx, urls)
		if err != nil {
			return err
		}
		for j, a := range answers {
			if a.Status != http.StatusOK {
				return itemError(a, urls[j])
			}
			g := part[j]
			p, err := decodePage(a.Body)
			if err != nil {
				return fmt.Errorf("entra: $batch members of group %s: %w", g, err)
			}
			rd.c.page(len(p.Value))
			var d direct
			add := func(items []map[string]any) error {
				for _, it := range items {
					id, err := objectID(it)
					if err != nil {
						return fmt.Errorf("entra: members of group %s: %w", g, err)
					}
					typ, _ := it["@odata.type"].(string)
					switch {
					case !nested || typ == "#microsoft.graph.user":
						d.users = append(d.users, id)
					case typ == "#microsoft.graph.group":
						d.groups = append(d.groups, id)
					}
				}
				return nil
			}
			if err := add(p.Value); err != nil {
				return err
			}
			if p.NextLink != "" {
				if err := rd.r.onHost(p.NextLink); err != nil {
					return err
				}
				if _, err := rd.r.pages(ctx, rd.c, p.NextLink, nil, nil, add); err != nil {
					return err
				}
			}
			mu.Lock()
			out[g] = d
			mu.Unlock()
		}
		return nil
	})
	return out, err
}

// readMembers reads the membership of the given assigned groups into into:
// their direct user members, or with nested expansion every user reachable
// through member groups (each group read once, cycles allowed).
func (rd *read) readMembers(ctx context.Context, groups []string, into map[string]membership) error {
	if len(groups) == 0 {
		return nil
	}
	nested := rd.r.cfg.nested
	known := map[string]direct{}
	frontier := groups
	for len(frontier) > 0 {
		got, err := rd.directMembers(ctx, frontier, nested)
		if err != nil {
			return err
		}
		maps.Copy(known, got)
		next := map[string]bool{}
		for _, d := range got {
			for _, sub := range d.groups {
				if _, ok := known[sub]; !ok {
					next[sub] = true
				}
			}
		}
		frontier = slices.Sorted(maps.Keys(next))
	}
	for _, g := range groups {
		var m membership
		seenU, seenG := map[string]bool{}, map[string]bool{g: true}
		queue := []string{g}
		for len(queue) > 0 {
			d := known[queue[0]]
			queue = queue[1:]
			for _, u := range d.users {
				if !seenU[u] {
					seenU[u] = true
					m.Users = append(m.Users, u)
				}
			}
			for _, sub := range d.groups {
				if !seenG[sub] {
					seenG[sub] = true
					m.Nested = append(m.Nested, sub)
					queue = append(queue, sub)
				}
			}
		}
		into[g] = m
	}
	return nil
}
