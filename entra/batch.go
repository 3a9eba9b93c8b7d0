package entra

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/druvascim/druvascim/internal/httpx"
)

// batchSize is the most requests Graph accepts in one JSON $batch.
const batchSize = 20

// batchUsers reads up to batchSize users with one POST $batch, retrying the
// items Graph answered 429 or 5xx (after the longest Retry-After among
// them, capped) as the reader's retry policy allows. Users answered 404 are
// left out; any other failure fails the read.
func (rd *read) batchUsers(ctx context.Context, ids []string) (map[string]map[string]any, error) {
	out := make(map[string]map[string]any, len(ids))
	sel := rd.selectQuery().Encode()
	pending := ids
	for attempt := 0; ; attempt++ {
		type item struct {
			ID     string `json:"id"`
			Method string `json:"method"`
			URL    string `json:"url"`
		}
		req := struct {
			Requests []item `json:"requests"`
		}{}
		for i, id := range pending {
			req.Requests = append(req.Requests, item{ID: strconv.Itoa(i), Method: http.MethodGet, URL: "/users/" + url.PathEscape(id) + "?" + sel})
		}
		body, _ := json.Marshal(req)
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
			Responses *[]struct {
				ID      string            `json:"id"`
				Status  int               `json:"status"`
				Headers map[string]string `json:"headers"`
				Body    json.RawMessage   `json:"body"`
			} `json:"responses"`
		}
		if err := json.Unmarshal(resp.Body, &answer); err != nil || answer.Responses == nil {
			return nil, fmt.Errorf("%w: $batch answer without responses: %s", ErrMalformed, snippet(resp.Body))
		}
		answered := make(map[int]bool, len(pending))
		var retry []string
		var wait time.Duration
		for _, a := range *answer.Responses {
			i, err := strconv.Atoi(a.ID)
			if err != nil || i < 0 || i >= len(pending) || answered[i] {
				return nil, fmt.Errorf("%w: $batch answer with unknown or repeated id %q", ErrMalformed, a.ID)
			}
			answered[i] = true
			id := pending[i]
			switch {
			case a.Status == http.StatusOK:
				obj, got, err := decodeObject(bytes.TrimSpace(a.Body))
				if err != nil {
					return nil, fmt.Errorf("entra: $batch users/%s: %w", id, err)
				}
				if got != id {
					return nil, fmt.Errorf("%w: asked for user %s, got %s", ErrMalformed, id, got)
				}
				out[id] = obj
			case a.Status == http.StatusNotFound:
				// Deleted since the delta round: the caller reports it soft-deleted.
			case a.Status == http.StatusTooManyRequests || (a.Status >= 500 && a.Status != http.StatusNotImplemented):
				if a.Status == http.StatusTooManyRequests {
					rd.c.throttled.Add(1)
				}
				retry = append(retry, id)
				h := http.Header{}
				for k, v := range a.Headers {
					h.Set(k, v)
				}
				d, ok := httpx.RetryAfter(h, time.Now())
				if !ok {
					d = time.Second << min(attempt, 5)
				}
				wait = max(wait, d)
			default:
				e := graphError(&httpx.Response{StatusCode: a.Status, Header: http.Header{}, Body: a.Body,
					Method: http.MethodGet, URL: "$batch users/" + id})
				return nil, e
			}
		}
		if len(answered) != len(pending) {
			return nil, fmt.Errorf("%w: $batch answered %d of %d requests", ErrMalformed, len(answered), len(pending))
		}
		if len(retry) == 0 {
			return out, nil
		}
		if attempt >= rd.r.cfg.retries {
			return nil, fmt.Errorf("%w: %d users of a $batch still answered 429 or 5xx after %d retries", ErrThrottled, len(retry), attempt)
		}
		rd.c.retries.Add(1)
		if err := rd.r.cfg.wait(ctx, min(wait, rd.r.cfg.maxRetryAfter)); err != nil {
			return nil, err
		}
		pending = retry
	}
}
