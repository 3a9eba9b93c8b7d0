package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// pagedGraph is a loopback Graph whose users/delta collection is pages:
// a request for ?$skiptoken=k answers pages[k], with "LINK(j)" replaced by
// the link to page j, and "DELTA" by a delta link. An entry of refuse answers its page 401 instead. It
// records the skiptokens asked for, in order, and signals asked[k] when
// page k is first asked for.
type pagedGraph struct {
	srv    *httptest.Server
	mu     sync.Mutex
	tokens []string
	asked  map[string]chan struct{}
}

func newPagedGraph(t *testing.T, pages []string, refuse ...string) *pagedGraph {
	t.Helper()
	g := &pagedGraph{asked: map[string]chan struct{}{}}
	for k := range pages {
		g.asked[fmt.Sprint(k)] = make(chan struct{})
	}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("$skiptoken")
		if tok == "" {
			tok = "0"
		}
		g.mu.Lock()
		if !slices.Contains(g.tokens, tok) {
			close(g.asked[tok])
		}
		g.tokens = append(g.tokens, tok)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if slices.Contains(refuse, tok) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}`)
			return
		}
		var k int
		fmt.Sscan(tok, &k)
		body := pages[k]
		for j := range pages {
			body = strings.ReplaceAll(body, fmt.Sprintf("LINK(%d)", j), fmt.Sprintf("%s/v1.0/users/delta?$skiptoken=%d", g.srv.URL, j))
		}
		fmt.Fprint(w, strings.ReplaceAll(body, "DELTA", g.srv.URL+"/v1.0/users/delta?$deltatoken=x"))
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// read lists the collection with a reader of the fake and returns the ids
// of the objects in the order fn saw them. Before fn returns for the page
// that mentions an id in waitFor, it waits for that page's successor to be
// asked for.
func (g *pagedGraph) read(t *testing.T, waitFor map[string]string) ([]string, error) {
	t.Helper()
	r, err := NewReader(StaticToken("t"), WithGraphURL(g.srv.URL), WithServicePrincipalID("sp"), WithRateLimit(0, 0), WithRetries(0, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	// The deadline only bounds a wait that the reader fails to end.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var ids []string
	_, err = r.pages(ctx, &counters{}, "users/delta", nil, nil, func(items []map[string]any) error {
		for _, it := range items {
			id := it["id"].(string)
			ids = append(ids, id)
			if tok, ok := waitFor[id]; ok {
				select {
				case <-g.asked[tok]:
				case <-ctx.Done():
					return fmt.Errorf("page %s was not asked for while the page before it was at work", tok)
				}
			}
		}
		return nil
	})
	return ids, err
}

func (g *pagedGraph) asks() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.tokens)
}

// The next page is asked for while the one before it is still at work, and
// every page exactly once.
func TestPagesFetchAhead(t *testing.T) {
	g := newPagedGraph(t, []string{
		`{"@odata.nextLink":"LINK(1)","value":[{"id":"a"}]}`,
		`{"value":[{"id":"b"}],"@odata.nextLink":"LINK(2)"}`,
		`{"value":[{"id":"c"}],"@odata.deltaLink":"DELTA"}`,
	})
	ids, err := g.read(t, map[string]string{"a": "1", "b": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c"}; !slices.Equal(ids, want) {
		t.Errorf("objects %v, want %v", ids, want)
	}
	if want := []string{"0", "1", "2"}; !slices.Equal(g.asks(), want) {
		t.Errorf("pages asked for: %v, want %v", g.asks(), want)
	}
}

// A page fetched ahead that fails fails the read with its own error.
func TestPagesFetchedAheadFails(t *testing.T) {
	g := newPagedGraph(t, []string{
		`{"@odata.nextLink":"LINK(1)","value":[{"id":"a"}]}`,
		`{"@odata.nextLink":"LINK(2)","value":[{"id":"b"}]}`,
		`{"value":[],"@odata.deltaLink":"DELTA"}`,
	}, "2")
	_, err := g.read(t, nil)
	var ge *GraphError
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &ge) || ge.Status != http.StatusUnauthorized {
		t.Fatalf("err = %v, want the 401 of the third page", err)
	}
}

// The link read ahead is only a hint: when the page, decoded, links
// elsewhere (a member spelled twice, the last one counting), the page
// fetched ahead is dropped and the decoded link followed.
func TestPagesFetchAheadHintDropped(t *testing.T) {
	g := newPagedGraph(t, []string{
		`{"@odata.nextLink":"LINK(1)","value":[{"id":"a"}],"@odata.nextLink":"LINK(2)"}`,
		`{"value":[{"id":"wrong"}],"@odata.deltaLink":"DELTA"}`,
		`{"value":[{"id":"c"}],"@odata.deltaLink":"DELTA"}`,
	})
	ids, err := g.read(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "c"}; !slices.Equal(ids, want) {
		t.Errorf("objects %v, want %v", ids, want)
	}
}
