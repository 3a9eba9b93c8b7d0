package httpx_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/druvascim/druvascim/internal/httpx"
)

// A server that fails once is retried; the wait goes through the seam, so
// the example does not sleep.
func Example() {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprintf(w, `{"path":%q,"auth":%t}`, r.URL.Path, r.Header.Get("Authorization") == "Bearer t0ken")
	}))
	defer srv.Close()

	c, err := httpx.New(srv.URL+"/scim",
		httpx.WithToken("t0ken"),
		httpx.WithRateLimit(0, 0),
		httpx.WithWait(func(ctx context.Context, d time.Duration) error {
			fmt.Println("waiting", d)
			return nil
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := c.Do(context.Background(), &httpx.Request{Path: "Users"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, string(resp.Body))
	fmt.Printf("%+v\n", c.Stats())
	// Output:
	// waiting 2s
	// 200 {"path":"/scim/Users","auth":true}
	// {Requests:2 Retries:1 Throttled:1}
}
