package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/service"
	"github.com/druvascim/druvascim/scim"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"
)

// recorder is a control.Controller that records the operations asked.
type recorder struct {
	mu  sync.Mutex
	ops []string
	err error
}

func (r *recorder) Tenants() []string { return []string{"contoso"} }

func (r *recorder) Status(name string) (control.TenantStatus, error) {
	if name != "contoso" {
		return control.TenantStatus{}, control.ErrUnknownTenant
	}
	return control.TenantStatus{Tenant: name, State: control.StateIdle, Ready: true}, nil
}

func (r *recorder) Do(_ context.Context, tenant string, op control.Operation) error {
	if tenant != "contoso" {
		return control.ErrUnknownTenant
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.ops = append(r.ops, string(op))
	return nil
}

// TestAPIWrites: the write endpoints need the admin token, refuse
// cross-site requests and large bodies, and change nothing when refused.
func TestAPIWrites(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(newAPIHandler(rec, "admin-secret", rate.NewLimiter(0, 14)))
	t.Cleanup(srv.Close)
	post := func(path string, hdr map[string]string, body string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	auth := map[string]string{"Authorization": "Bearer admin-secret"}
	refused := []struct {
		name string
		path string
		hdr  map[string]string
		body string
		want int
	}{
		{"no token", "/api/pause", nil, "", http.StatusUnauthorized},
		{"wrong token", "/api/pause", map[string]string{"Authorization": "Bearer admin-secreT"}, "", http.StatusUnauthorized},
		{"basic auth", "/api/pause", map[string]string{"Authorization": "Basic YWRtaW4tc2VjcmV0"}, "", http.StatusUnauthorized},
		{"cross-site", "/api/pause", map[string]string{"Authorization": "Bearer admin-secret", "Sec-Fetch-Site": "cross-site"}, "", http.StatusForbidden},
		{"foreign origin", "/api/pause", map[string]string{"Authorization": "Bearer admin-secret", "Origin": "https://evil.example"}, "", http.StatusForbidden},
		{"large body", "/api/pause", auth, strings.Repeat("x", 4096), http.StatusRequestEntityTooLarge},
		{"unknown operation", "/api/drop", auth, "", http.StatusNotFound},
		{"unknown tenant", "/api/pause?tenant=fabrikam", auth, "", http.StatusNotFound},
	}
	for _, c := range refused {
		if got := post(c.path, c.hdr, c.body); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	if len(rec.ops) != 0 {
		t.Fatalf("refused requests did %v", rec.ops)
	}
	for _, op := range []string{"pause", "resume", "sync", "restart", "approve"} {
		if got := post("/api/"+op+"?tenant=contoso", auth, ""); got != http.StatusOK {
			t.Errorf("%s: status %d", op, got)
		}
	}
	if diff := cmp.Diff([]string{"pause", "resume", "sync", "restart", "approve"}, rec.ops); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	rec.err = service.ErrNothingHeld
	if got := post("/api/approve", map[string]string{"Authorization": "Bearer admin-secret", "Sec-Fetch-Site": "same-origin"}, ""); got != http.StatusConflict {
		t.Errorf("approve with nothing held: %d", got)
	}
	// 14 writes so far: the limiter (rate 0, burst 14) refuses the next.
	if got := post("/api/pause", auth, ""); got != http.StatusTooManyRequests {
		t.Errorf("a write over the limit: %d, want 429", got)
	}
	noToken := httptest.NewServer(newAPIHandler(rec, "", rate.NewLimiter(1, 1)))
	t.Cleanup(noToken.Close)
	resp, err := noToken.Client().Post(noToken.URL+"/api/pause", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a service without an admin token took a write: %d", resp.StatusCode)
	}
	for _, path := range []string{"/healthz", "/readyz", "/api/status"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
}

// TestServeConfigErrors: serve refuses bad configuration with exit 2 and
// a sentence naming what is wrong.
func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, text, want string }{
		{"both forms", "state: a.state\ntenants:\n  - name: x\n    state: b.state\n", "not both"},
		{"unknown key", "tenants:\n  - name: x\n    stat: b.state\n", "stat"},
		{"no state", "tenants:\n  - name: x\n    servicePrincipalId: sp\n", "state:"},
		{"bad name", "tenants:\n  - name: 'a b'\n    state: b.state\n", "name \"a b\""},
		{"public listen", "listen: 0.0.0.0:8470\nstate: a.state\nservicePrincipalId: sp\n", "not a loopback address"},
		{"bad interval", "interval: often\nstate: a.state\nservicePrincipalId: sp\n", "interval"},
		{"shared token", "tenants:\n  - name: x\n    state: x.state\n    servicePrincipalId: sp\n  - name: y\n    state: y.state\n    servicePrincipalId: sp\n", "each of several tenants needs its own Druva token"},
		{"log", "state: a.state\nservicePrincipalId: sp\nlog: x.jsonl\n", "remove log:"},
	}
	for _, c := range cases {
		path := dir + "/" + strings.ReplaceAll(c.name, " ", "-") + ".yaml"
		if err := writeFile(path, c.text); err != nil {
			t.Fatal(err)
		}
		status, out, errOut := runCLI(t, map[string]string{"DRUVA_TOKEN": "t", "GRAPH_TOKEN": "g"}, "serve", "--config", path)
		if status != exitBadInput || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: status %d, stderr %q (want exit 2 naming %q); stdout %q", c.name, status, errOut, c.want, out)
		}
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }

// TestRefusedCredential: a refused Graph or Druva credential is told apart
// through the wrapping of a cycle's error.
func TestRefusedCredential(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w", druvascim.ErrIncompleteSource, &entra.GraphError{Status: 401}), "graph"},
		{fmt.Errorf("druvascim: read target users: %w", scim.NewError(403, "", "forbidden")), "druva"},
		{fmt.Errorf("druvascim: read target users: %w", scim.NewError(500, "", "down")), ""},
		{&entra.GraphError{Status: 429}, ""},
	}
	for _, c := range cases {
		if got := refusedCredential(c.err); got != c.want {
			t.Errorf("refusedCredential(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
