package entra_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
)

// pathRecorder is a loopback Graph that answers 404 to everything and
// records the paths asked for.
func pathRecorder(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"Request_ResourceNotFound","message":"not here"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), paths...) }
}

// A Graph root is used with its version as given: /beta stays /beta, /v1.0
// stays /v1.0, and a root without a version gets /v1.0.
func TestGraphURLVersion(t *testing.T) {
	srv, paths := pathRecorder(t)
	const sp = "11111111-2222-3333-4444-555555555555"
	for _, tc := range []struct{ root, want string }{
		{srv.URL, "/v1.0/servicePrincipals/" + sp},
		{srv.URL + "/", "/v1.0/servicePrincipals/" + sp},
		{srv.URL + "/v1.0", "/v1.0/servicePrincipals/" + sp},
		{srv.URL + "/beta", "/beta/servicePrincipals/" + sp},
		{srv.URL + "/beta/", "/beta/servicePrincipals/" + sp},
	} {
		r, err := entra.NewReader(entra.StaticToken("t"), entra.WithGraphURL(tc.root), entra.WithServicePrincipalID(sp),
			entra.WithRateLimit(0, 0), entra.WithRetries(0, time.Second))
		check(t, err)
		before := len(paths())
		if err := r.TestConnection(t.Context()); !errors.Is(err, entra.ErrNotFound) {
			t.Fatalf("%s: TestConnection: %v", tc.root, err)
		}
		if got := paths()[before]; got != tc.want {
			t.Errorf("WithGraphURL(%q): asked %s, want %s", tc.root, got, tc.want)
		}
	}
}

// A delta link stored while reading one Graph URL, given to a reader of
// another (a national cloud, a moved fake), falls back to a full read and
// says why, instead of failing every cycle.
func TestDeltaLinkForAnotherGraphURL(t *testing.T) {
	a := newFake(t, entratest.WithUsers(30), entratest.WithSeed(7))
	b := newFake(t, entratest.WithUsers(30), entratest.WithSeed(7)) // the same tenant elsewhere
	first := read(t, newReader(t, a), "")
	snap, err := newReader(t, b).Read(t.Context(), first.DeltaLink)
	if err != nil {
		t.Fatalf("Read with a delta link of another Graph URL: %v", err)
	}
	if !snap.Full || !strings.Contains(snap.FullReason, "another Graph URL") || len(snap.Objects) != 30 {
		t.Fatalf("Full %v, FullReason %q, %d objects", snap.Full, snap.FullReason, len(snap.Objects))
	}
	if _, err := newReader(t, b).Read(t.Context(), snap.DeltaLink); err != nil {
		t.Fatalf("the new delta link: %v", err)
	}
}

// endlessGraph answers groups/delta with a new nextLink on every page,
// forever, as a misbehaving Graph did (3,347 requests in 150 s).
func endlessGraph(t *testing.T, repeat bool) (*httptest.Server, *int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		if repeat {
			i = i % 3
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"value":[{"id":"g%d"}],"@odata.nextLink":"%s/v1.0/groups/delta?$skiptoken=page%d"}`, i, srv.URL, i)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// A nextLink chain that never ends is cut at the page limit with an error
// that says so; one that comes back to a page already read is cut at once.
func TestEndlessNextLinks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		repeat   bool
		max      int
		want     string
		requests int
	}{
		{"new link every page", false, 50, "more than 50 pages", 50},
		{"links repeat", true, 50, "repeats a page", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := endlessGraph(t, tc.repeat)
			r, err := entra.NewReader(entra.StaticToken("t"), entra.WithGraphURL(srv.URL),
				entra.WithServicePrincipalID("11111111-2222-3333-4444-555555555555"), entra.WithRateLimit(0, 0),
				entra.WithMaxPages(tc.max))
			check(t, err)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // bounds the old, endless behaviour
			defer cancel()
			_, err = r.Read(ctx, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, entra.ErrMalformed) {
				t.Fatalf("Read: %v, want an error saying %q", err, tc.want)
			}
			if *n != tc.requests {
				t.Fatalf("%d requests, want %d", *n, tc.requests)
			}
		})
	}
	if _, err := entra.NewReader(entra.StaticToken("t"), entra.WithAppID("a"), entra.WithMaxPages(0)); err == nil {
		t.Fatal("WithMaxPages(0) accepted")
	}
}
