package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra/entratest"
)

// hangingServer answers nothing: every request waits until the client
// gives up.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(s.Close)
	return s
}

// TestCycleTimeout: a Graph that never answers ends the cycle at
// --timeout, with an error that names --timeout; nothing is written.
func TestCycleTimeout(t *testing.T) {
	_, d, vars, _ := fakePair(t)
	g := hangingServer(t)
	status, _, errOut := runCLI(t, vars, "sync", "--druva-url", d.URL, "--graph-url", g.URL, "--service-principal-id", "sp", "--rate", "0", "--timeout", "1s")
	if status != exitFailures || !strings.Contains(errOut, "ran longer than --timeout 1s") {
		t.Fatalf("status %d, stderr %q; want 1 and an error naming --timeout 1s", status, errOut)
	}
	if d.Len() != 0 {
		t.Fatalf("%d users created", d.Len())
	}
}

// TestRequestTimeoutFlag: a Druva that sends its headers and then nothing
// ends the listing request at --request-timeout, with an error naming the
// request.
func TestRequestTimeoutFlag(t *testing.T) {
	g, _, vars, _ := fakePair(t)
	d := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"Resources": [`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(d.Close)
	vars["DRUVA_TOKEN"] = "t0ken-for-a-loopback-test"
	status, _, errOut := runCLI(t, vars, "sync", "--druva-url", d.URL, "--graph-url", g.URL, "--service-principal-id", g.ServicePrincipalID,
		"--rate", "0", "--request-timeout", "1s")
	if status != exitFailures || !strings.Contains(errOut, "GET "+d.URL) || !strings.Contains(errOut, "1s") {
		t.Fatalf("status %d, stderr %q; want 1 and an error naming the request and its deadline", status, errOut)
	}
}

// TestLongRetryAfterOnWritesEndsWithinTheCycle: a Druva that answers every
// create with 429 and Retry-After: 86400 does not hold the cycle: with
// the cycle's deadline ahead, the client waits for none of them (each
// create is sent once), and the cycle ends long before its deadline, the
// creates escrowed for the next cycle. (--rate 0 switches the client's
// limiter off, whose waits after the 429s are another matter.) (The writes run under a context
// that outlives a cancellation by a grace period; it must keep the
// cycle's deadline, or the client cannot see it.)
func TestLongRetryAfterOnWritesEndsWithinTheCycle(t *testing.T) {
	g, err := entratest.NewServer(entratest.WithUsers(30), entratest.WithGroups(1), entratest.WithSeed(5))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	back, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(back.Close)
	u, err := url.Parse(back.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	var posts atomic.Int64
	d := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
			w.Header().Set("Retry-After", "86400")
			http.Error(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429","detail":"slow down"}`, http.StatusTooManyRequests)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(d.Close)
	vars := map[string]string{"DRUVA_TOKEN": back.Token, "GRAPH_TOKEN": g.Token}
	status, out, errOut := runCLI(t, vars, "sync", "--json", "--druva-url", d.URL+u.Path, "--graph-url", g.URL,
		"--service-principal-id", g.ServicePrincipalID, "--timeout", "20s", "--rate", "0")
	if status != exitFailures {
		t.Fatalf("status %d\n%s\n%s", status, out, errOut)
	}
	if strings.Contains(errOut, "--timeout") {
		t.Fatalf("the cycle waited on Retry-After until its deadline: %s", errOut)
	}
	if strings.Contains(out, "OutcomeUnknown") {
		t.Fatalf("writes were still waiting when the cycle ended:\n%s", out)
	}
	creates := strings.Count(out, `"action": "Create"`)
	if posts.Load() == 0 || int(posts.Load()) > creates {
		t.Fatalf("%d POSTs for %d planned creates: a create was retried after Retry-After: 86400\n%s", posts.Load(), creates, errOut)
	}
	if back.Len() != 0 {
		t.Fatalf("%d users created", back.Len())
	}
}
