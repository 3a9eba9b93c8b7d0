package druva_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/druvascim/druvascim/druva"
)

// endlessServer announces totalResults and answers every page with count
// users never seen before, whatever it was asked: a listing that would
// never end if the client believed it.
func endlessServer(t *testing.T, total int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits, next atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		count, _ := strconv.Atoi(r.URL.Query().Get("count"))
		var parts []string
		for range count {
			n := next.Add(1)
			parts = append(parts, fmt.Sprintf(`{"id":"u%d","userName":"u%d@example.com"}`, n, n))
		}
		w.Header().Set("Content-Type", "application/scim+json")
		fmt.Fprintf(w, `{"totalResults":%d,"itemsPerPage":%d,"Resources":[%s]}`, total, count, strings.Join(parts, ","))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestListUsersEndsOnEndlessPaging: a server announcing a billion users
// and inventing new ones on every page ends with a clear error, after a
// bounded number of requests, instead of paging for ever.
func TestListUsersEndsOnEndlessPaging(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		total    int
		opts     []druva.Option
		want     string
		maxPages int64
	}{
		"a billion announced": {1_000_000_000, nil, "1000000000", 1},
		"over the option":     {11, []druva.Option{druva.WithMaxListSize(10)}, "WithMaxListSize", 1},
	} {
		srv, hits := endlessServer(t, tc.total)
		c, err := druva.NewClient("tok", append([]druva.Option{druva.WithBaseURL(srv.URL + "/scim"), druva.WithRateLimit(0, 0), druva.WithPageSize(5)}, tc.opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var last error
		for _, err := range c.ListUsers(t.Context()) {
			if err != nil {
				last = err
				break
			}
			n++
			if n > 1000 {
				t.Fatalf("%s: still listing after %d users and %d requests", name, n, hits.Load())
			}
		}
		if last == nil || !strings.Contains(last.Error(), tc.want) {
			t.Errorf("%s: listing ended with %v after %d users, want an error mentioning %q", name, last, n, tc.want)
		}
		if hits.Load() > tc.maxPages {
			t.Errorf("%s: %d requests, want at most %d", name, hits.Load(), tc.maxPages)
		}
	}
	// At the limit the listing completes.
	srv, _ := endlessServer(t, 10)
	c, err := druva.NewClient("tok", druva.WithBaseURL(srv.URL+"/scim"), druva.WithRateLimit(0, 0), druva.WithPageSize(5), druva.WithMaxListSize(10))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range c.ListUsers(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 10 {
		t.Errorf("listed %d users, want 10", n)
	}
	if _, err := druva.NewClient("tok", druva.WithMaxListSize(0)); err == nil {
		t.Error("WithMaxListSize(0) accepted")
	}
}
