package statuspage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
)

var writeOps = []string{"sync", "pause", "resume", "restart", "approve"}

func post(t *testing.T, u string, edit func(*http.Request)) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	return do(t, req)
}

// TestWriteRefused: every write operation without a token, with a wrong
// token, with the token in the wrong scheme, cross-site (by Origin and by
// Sec-Fetch-Site), with an oversized body, and by GET is refused; the
// controller is never asked, and no response repeats the token.
func TestWriteRefused(t *testing.T) {
	ctl := newFakeCtl("contoso")
	srv := newTestServer(t, ctl, nil, WithWriteRate(1000, 1000))
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	cases := []struct {
		name string
		edit func(*http.Request)
		code int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"wrong token", bearer("wrong-token-wrong-token"), http.StatusUnauthorized},
		{"token prefix", bearer(testToken[:len(testToken)-1]), http.StatusUnauthorized},
		{"token longer", bearer(testToken + "x"), http.StatusUnauthorized},
		{"basic scheme", func(r *http.Request) { r.Header.Set("Authorization", "Basic "+testToken) }, http.StatusUnauthorized},
		{"cross-site origin", func(r *http.Request) {
			bearer(testToken)(r)
			r.Header.Set("Origin", "https://evil.example")
		}, http.StatusForbidden},
		{"cross-site fetch", func(r *http.Request) {
			bearer(testToken)(r)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}, http.StatusForbidden},
		{"same-site other origin", func(r *http.Request) {
			bearer(testToken)(r)
			r.Header.Set("Sec-Fetch-Site", "same-site")
		}, http.StatusForbidden},
		{"oversized body", func(r *http.Request) {
			bearer(testToken)(r)
			big := strings.Repeat("x", DefaultMaxBody+1)
			r.Body, r.ContentLength = ioNopCloser(big), int64(len(big))
		}, http.StatusRequestEntityTooLarge},
		{"oversized body, length unknown", func(r *http.Request) {
			bearer(testToken)(r)
			r.Body, r.ContentLength = ioNopCloser(strings.Repeat("x", 1<<20)), -1
		}, http.StatusRequestEntityTooLarge},
	}
	for _, op := range writeOps {
		for _, c := range cases {
			resp, body := post(t, srv.URL+"/api/"+op+"?tenant=contoso", c.edit)
			if resp.StatusCode != c.code {
				t.Errorf("%s %s: %d %s, want %d", op, c.name, resp.StatusCode, body, c.code)
			}
			if strings.Contains(body, testToken) || strings.Contains(body, "wrong-token") {
				t.Errorf("%s %s: the response repeats a token: %s", op, c.name, body)
			}
		}
		if resp, _ := get(t, srv.URL+"/api/"+op+"?tenant=contoso"); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET /api/%s: %d, want 405", op, resp.StatusCode)
		}
	}
	if ops := ctl.operations(); len(ops) != 0 {
		t.Errorf("refused requests reached the controller: %v", ops)
	}
	st, _ := ctl.Status("contoso")
	if st.Paused {
		t.Error("a refused pause paused the tenant")
	}

	// The same origin with the token is accepted, each operation once.
	for _, op := range writeOps {
		resp, body := post(t, srv.URL+"/api/"+op+"?tenant=contoso", func(r *http.Request) {
			bearer(testToken)(r)
			r.Header.Set("Origin", srv.URL)
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		})
		if resp.StatusCode != 200 {
			t.Errorf("%s with the token: %d %s", op, resp.StatusCode, body)
		}
	}
	want := []string{"contoso:sync", "contoso:pause", "contoso:resume", "contoso:restart", "contoso:approve"}
	if d := cmp.Diff(want, ctl.operations()); d != "" {
		t.Errorf("operations (-want +got):\n%s", d)
	}
	if resp, _ := post(t, srv.URL+"/api/pause?tenant=nope", bearer(testToken)); resp.StatusCode != 404 {
		t.Errorf("pause of an unknown tenant: %d", resp.StatusCode)
	}
	if resp, _ := post(t, srv.URL+"/api/drop?tenant=contoso", bearer(testToken)); resp.StatusCode != 404 {
		t.Errorf("an unknown operation: %d", resp.StatusCode)
	}
}

// TestWriteWithoutConfiguredToken: a service without an admin token takes
// no write operation, whatever the request carries (an empty bearer
// included).
func TestWriteWithoutConfiguredToken(t *testing.T) {
	ctl := newFakeCtl("contoso")
	h, err := New(ctl, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptestServer(t, h)
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		resp, _ := post(t, srv+"/api/pause?tenant=contoso", func(r *http.Request) { r.Header.Set("Authorization", auth) })
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("Authorization %q: %d, want 403", auth, resp.StatusCode)
		}
	}
	if ops := ctl.operations(); len(ops) != 0 {
		t.Errorf("operations ran: %v", ops)
	}
	if _, err := New(ctl, nil, WithAdminToken("short")); err == nil {
		t.Error("a 5-character admin token was accepted")
	}
}

// TestWriteOperationErrors: an operation the tenant's state refuses now
// (paused, nothing held) is a conflict, one asked of a stopping service
// is unavailable; anything else is the server's failure.
func TestWriteOperationErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("%w: tenant is paused", control.ErrConflict), http.StatusConflict},
		{fmt.Errorf("%w: stopping", control.ErrUnavailable), http.StatusServiceUnavailable},
		{errors.New("disk full"), http.StatusInternalServerError},
	} {
		ctl := newFakeCtl("contoso")
		ctl.doErr = c.err
		srv := newTestServer(t, ctl, nil)
		resp, body := post(t, srv.URL+"/api/sync?tenant=contoso", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken) })
		if resp.StatusCode != c.want || !strings.Contains(body, c.err.Error()) {
			t.Errorf("Do returned %q: %d %s, want %d with the error", c.err, resp.StatusCode, body, c.want)
		}
	}
}

// TestWriteRateLimited: past the burst, write operations are refused with
// 429 before the token is even checked.
func TestWriteRateLimited(t *testing.T) {
	ctl := newFakeCtl("contoso")
	srv := newTestServer(t, ctl, nil, WithWriteRate(0.001, 2))
	auth := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken) }
	codes := []int{}
	for range 4 {
		resp, _ := post(t, srv.URL+"/api/sync?tenant=contoso", auth)
		codes = append(codes, resp.StatusCode)
	}
	if d := cmp.Diff([]int{200, 200, 429, 429}, codes); d != "" {
		t.Errorf("status codes (-want +got):\n%s", d)
	}
	if n := len(ctl.operations()); n != 2 {
		t.Errorf("%d operations ran, want 2", n)
	}
}

// TestLogQueryInjection: SQL injection through every filter of the API
// and the page matches nothing, fails cleanly, and leaves the store whole.
func TestLogQueryInjection(t *testing.T) {
	ctl := newFakeCtl("contoso")
	store := seedStore(t, 3)
	srv := newTestServer(t, ctl, store)
	count := func() int {
		n := 0
		for _, err := range store.Entries(context.Background(), logstore.Query{Limit: logstore.MaxLimit}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	before := count()
	payloads := []string{`' OR '1'='1`, `x'; DROP TABLE entries; --`, `" OR 1=1 --`, `%' OR 1=1 --`,
		`1 OR 1=1`, `1; DELETE FROM cycles`, `') UNION SELECT * FROM cycles --`, "\x00", `\' OR 1=1`}
	for _, filter := range []string{"user", "action", "status", "reason", "since", "until", "cycle", "before", "limit", "tenant"} {
		for _, p := range payloads {
			q := url.Values{"tenant": {"contoso"}}
			q.Set(filter, p)
			for _, path := range []string{"/api/logs?", "/api/cycles?", "/?"} {
				resp, body := get(t, srv.URL+path+q.Encode())
				if resp.StatusCode == 500 || strings.Contains(strings.ToLower(body), "sql") {
					t.Errorf("%s%s=%q: %d %s", path, filter, p, resp.StatusCode, body)
				}
				if path == "/api/logs?" && resp.StatusCode == 200 && strings.Contains(body, `"id"`) {
					t.Errorf("%s=%q matched entries: %s", filter, p, body)
				}
			}
		}
	}
	if after := count(); after != before {
		t.Errorf("entries: %d before, %d after", before, after)
	}
	cycles := 0
	for _, err := range store.Cycles(context.Background(), logstore.CycleQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		cycles++
	}
	if cycles != 3 {
		t.Errorf("cycles after the injections: %d, want 3", cycles)
	}
}

// TestStaticTraversal: paths that climb out of /static/ serve nothing but
// the embedded files.
func TestStaticTraversal(t *testing.T) {
	srv := newTestServer(t, newFakeCtl("contoso"), nil)
	for _, p := range []string{"/static/../statuspage.go", "/static/..%2fstatuspage.go", "/static/%2e%2e/%2e%2e/go.mod",
		"/static/..%5c..%5cgo.mod", "/static/../../../../etc/passwd", "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/static//etc/passwd", "/static/page.html", "/static/../page.html", "/assets/page.html", "/static/.", "/static/"} {
		req, err := http.NewRequest("GET", srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawPath, req.URL.Path = p, mustUnescape(t, p)
		resp, body := do(t, req)
		if resp.StatusCode == 200 && !strings.Contains(body, "<!DOCTYPE html>") || strings.Contains(body, "root:") ||
			strings.Contains(body, "package statuspage") || strings.Contains(body, "module github.com") || strings.Contains(body, "{{") {
			t.Errorf("GET %s: %d leaks %.80q", p, resp.StatusCode, body)
		}
	}
}

func mustUnescape(t *testing.T, p string) string {
	t.Helper()
	u, err := url.PathUnescape(p)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestStatusUnknownTenant: an unknown tenant is a 404 that lists nothing.
func TestStatusUnknownTenant(t *testing.T) {
	ctl := newFakeCtl("contoso")
	ctl.set("contoso", func(s *control.TenantStatus) { s.LastError = "boom" })
	srv := newTestServer(t, ctl, nil)
	resp, body := get(t, srv.URL+"/api/status?tenant=%3Cscript%3E")
	if resp.StatusCode != 404 || strings.Contains(body, "<script>") {
		t.Errorf("unknown tenant: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, srv.URL+"/?tenant=%3Cscript%3Ealert(1)%3C/script%3E")
	if resp.StatusCode != 404 || strings.Contains(body, "<script>alert") {
		t.Errorf("the page echoes an unknown tenant: %d", resp.StatusCode)
	}
}

// TestPageEscapesLogValues: values from the directory (names, reasons,
// property values) are shown as text, never run as markup or script.
func TestPageEscapesLogValues(t *testing.T) {
	ctx := context.Background()
	store := seedStore(t, 1)
	id, err := store.BeginCycle(ctx, logstore.CycleStart{Tenant: "contoso", Kind: logstore.KindIncremental, Started: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	err = store.AddEntries(ctx, id, []logstore.Entry{{Time: t0.Add(time.Hour), SourceID: "evil", DisplayName: evil, UserName: evil,
		Action: "Update", Status: "Failure", ErrorCode: evil, Message: evil, Detail: evil,
		Steps: []logstore.Step{{Name: evil, Status: "Failure", Detail: evil}}, Modified: []logstore.PropertyChange{{Path: evil, Old: evil, New: evil}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctl := newFakeCtl("contoso")
	ctl.set("contoso", func(s *control.TenantStatus) {
		s.LastError = evil
		s.Quarantine = &druvascim.Quarantine{Reason: evil, Detail: evil}
	})
	srv := newTestServer(t, ctl, store)
	_, body := get(t, srv.URL+"/?tenant=contoso&user="+url.QueryEscape(evil))
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Errorf("the page holds the markup unescaped")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the page does not show the value as text")
	}
}
