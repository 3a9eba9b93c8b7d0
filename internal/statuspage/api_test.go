package statuspage

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/metrics"
)

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func TestAPIStatusCyclesLogs(t *testing.T) {
	ctl := newFakeCtl("contoso", "fabrikam")
	ctl.set("contoso", func(s *control.TenantStatus) { s.State, s.Running = control.StateRunning, running(3, 10) })
	srv := newTestServer(t, ctl, seedStore(t, 3))

	resp, body := get(t, srv.URL+"/api/status")
	var st statusResponse
	if err := json.Unmarshal([]byte(body), &st); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status: %d %v %s", resp.StatusCode, err, body)
	}
	if len(st.Tenants) != 2 || st.Tenants[0].Running == nil || st.Tenants[0].Running.Done != 3 {
		t.Errorf("status: %+v", st.Tenants)
	}

	_, body = get(t, srv.URL+"/api/cycles?tenant=contoso")
	var cy cyclesResponse
	if err := json.Unmarshal([]byte(body), &cy); err != nil {
		t.Fatal(err)
	}
	if len(cy.Cycles) != 3 || cy.Cycles[0].Actions["Update"] != 1 || cy.Cycles[2].Kind != logstore.KindInitial {
		t.Errorf("cycles: %+v", cy.Cycles)
	}
	// Paging the cycles: 3 with limit 2 is one full page, then the last.
	_, body = get(t, srv.URL+"/api/cycles?tenant=contoso&limit=2")
	cy = cyclesResponse{}
	json.Unmarshal([]byte(body), &cy)
	if len(cy.Cycles) != 2 || cy.Next != cy.Cycles[1].ID {
		t.Fatalf("first page of cycles: %d, next %d: %s", len(cy.Cycles), cy.Next, body)
	}
	_, body = get(t, srv.URL+"/api/cycles?tenant=contoso&limit=2&before="+itoa(cy.Next))
	cy = cyclesResponse{}
	json.Unmarshal([]byte(body), &cy)
	if len(cy.Cycles) != 1 || cy.Next != 0 || cy.Cycles[0].Kind != logstore.KindInitial {
		t.Errorf("second page of cycles: %d, next %d: %s", len(cy.Cycles), cy.Next, body)
	}

	_, body = get(t, srv.URL+"/api/logs?tenant=contoso&user=ALICE@contoso.example")
	var lg logsResponse
	if err := json.Unmarshal([]byte(body), &lg); err != nil {
		t.Fatal(err)
	}
	if len(lg.Entries) != 1 || lg.Entries[0].DisplayName != "Alice Example" {
		t.Fatalf("logs by user: %s", body)
	}
	want := []logstore.PropertyChange{{Path: "department", Old: `"Sales"`, New: `"Marketing"`}}
	if d := cmp.Diff(want, lg.Entries[0].Modified); d != "" {
		t.Errorf("modified (-want +got):\n%s", d)
	}

	// Paging: 6 entries of 3 cycles with limit 4 is one full page, then the rest.
	_, body = get(t, srv.URL+"/api/logs?tenant=contoso&limit=4")
	lg = logsResponse{}
	json.Unmarshal([]byte(body), &lg)
	if len(lg.Entries) != 4 || lg.Next == 0 {
		t.Fatalf("first page: %d entries, next %d", len(lg.Entries), lg.Next)
	}
	_, body = get(t, srv.URL+"/api/logs?tenant=contoso&limit=4&before="+itoa(lg.Next))
	lg = logsResponse{}
	json.Unmarshal([]byte(body), &lg)
	if len(lg.Entries) != 3 || lg.Next != 0 {
		t.Errorf("second page: %d entries, next %d", len(lg.Entries), lg.Next)
	}

	_, body = get(t, srv.URL+"/api/logs?tenant=contoso&status=Failure&reason=HttpConflict&since=2026-05-01")
	lg = logsResponse{}
	json.Unmarshal([]byte(body), &lg)
	if len(lg.Entries) != 3 {
		t.Errorf("failures: %d entries, want 3", len(lg.Entries))
	}

	for q, code := range map[string]int{"tenant=nope": 404, "tenant=contoso&since=yesterday": 400,
		"tenant=contoso&cycle=-1": 400, "": 400, "tenant=contoso&since=2026-05-03&until=2026-05-01": 400} {
		resp, body := get(t, srv.URL+"/api/logs?"+q)
		if resp.StatusCode != code {
			t.Errorf("/api/logs?%s: %d %s, want %d", q, resp.StatusCode, body, code)
		}
	}
}

func itoa(n int64) string { return jsonNum(n) }

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestPage(t *testing.T) {
	ctl := newFakeCtl("contoso")
	ctl.set("contoso", func(s *control.TenantStatus) {
		s.State, s.Held = control.StateHeld, 7
		s.Quarantine = &druvascim.Quarantine{Reason: "EncounteredEscrowProportionThreshold", NextAttempt: t0.Add(24 * time.Hour)}
	})
	srv := newTestServer(t, ctl, seedStore(t, 60))
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	for _, want := range []string{"EncounteredEscrowProportionThreshold", `<span id="held">7</span>`, "<svg id=\"chart\"",
		"Alice Example", "Marketing", "Older entries", "Last 50 cycles"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<details class="entry`); n != PageSize {
		t.Errorf("the page shows %d entries, want %d", n, PageSize)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	older := regexp.MustCompile(`id="older" href="([^"]+)"`).FindStringSubmatch(body)
	if older == nil {
		t.Fatal("no link to older entries")
	}
	_, body2 := get(t, srv.URL+html.UnescapeString(older[1]))
	if n := strings.Count(body2, `<details class="entry`); n != PageSize {
		t.Errorf("the second page shows %d entries, want %d", n, PageSize)
	}
	if strings.Contains(body2, "Alice Example") || !strings.Contains(body2, `id="newest"`) {
		t.Error("the second page repeats the first or has no way back")
	}
	_, body = get(t, srv.URL+"/?tenant=contoso&user=alice-src")
	if n := strings.Count(body, `<details class="entry`); n != 1 || !strings.Contains(body, "druva-alice") {
		t.Errorf("search by source id: %d entries", n)
	}
	for _, p := range []string{"/static/app.js", "/static/style.css"} {
		if resp, _ := get(t, srv.URL+p); resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	ctl := newFakeCtl("contoso", "fabrikam")
	m, err := metrics.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(t, ctl, seedStore(t, 1), WithMetrics(m))
	if resp, _ := get(t, srv.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv.URL+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz: %d", resp.StatusCode)
	}
	ctl.set("fabrikam", func(s *control.TenantStatus) { s.Ready = false })
	if resp, body := get(t, srv.URL+"/readyz"); resp.StatusCode != 503 || !strings.Contains(body, "fabrikam") {
		t.Errorf("readyz with fabrikam not ready: %d %s", resp.StatusCode, body)
	}
	ctl.set("contoso", func(s *control.TenantStatus) { s.Held = 3 })
	_, body := get(t, srv.URL+"/metrics")
	for _, want := range []string{`druvascim_held_deprovisions{tenant="contoso"} 3`, `druvascim_log_store_bytes{tenant="contoso"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := t0
	for in, want := range map[string]time.Time{"": {}, "2026-04-30": time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC),
		"24h": now.Add(-24 * time.Hour), "7d": now.AddDate(0, 0, -7), "2026-04-30T10:00:00Z": time.Date(2026, 4, 30, 10, 0, 0, 0, time.UTC)} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-3h", "7x"} {
		if _, err := ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
	if _, err := ParseQuery(url.Values{"user": {strings.Repeat("a", 300)}}, now); err == nil {
		t.Error("a 300-byte user filter was accepted")
	}
}

func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		cfg  ListenConfig
		want string // "" for no error
	}{
		{ListenConfig{Addr: "127.0.0.1:8080"}, ""},
		{ListenConfig{Addr: "localhost:8080"}, ""},
		{ListenConfig{Addr: "[::1]:8080"}, ""},
		{ListenConfig{Addr: ":8080"}, "needs TLS (a certificate and a key file) and an admin token"},
		{ListenConfig{Addr: "0.0.0.0:8080", AdminToken: testToken}, "needs TLS"},
		{ListenConfig{Addr: "10.0.0.5:443", CertFile: "c.pem", KeyFile: "k.pem"}, "needs an admin token"},
		{ListenConfig{Addr: "example.com:443", CertFile: "c.pem", KeyFile: "k.pem", AdminToken: testToken}, ""},
		{ListenConfig{Addr: "10.0.0.5:443", CertFile: "c.pem", AdminToken: testToken}, "both a certificate and a key"},
		{ListenConfig{Addr: "8080"}, "use host:port"},
	} {
		err := CheckListen(c.cfg)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckListen(%s): %v", c.cfg.Addr, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("CheckListen(%s) = %v, want an error with %q", c.cfg.Addr, err, c.want)
		}
	}
}

func TestChart(t *testing.T) {
	c := newChart([]logstore.Cycle{ // newest first, as the store lists them
		{ID: 2, Started: t0.Add(time.Hour), Ended: t0.Add(time.Hour + 2*time.Second), Actions: map[string]int{"Update": 1, "Disable": 3, "Skip": 40}, Statuses: map[string]int{"Failure": 2}},
		{ID: 1, Started: t0, Ended: t0.Add(8 * time.Second), Actions: map[string]int{"Create": 100}},
	})
	if c.MaxOps != 100 || len(c.Bars) != 3 || len(c.Failures) != 1 || c.MaxDuration != "8s" {
		t.Fatalf("chart: max %d, %d bars, %d failure marks, max duration %s", c.MaxOps, len(c.Bars), len(c.Failures), c.MaxDuration)
	}
	if c.Bars[0].Class != "c-create" || c.Bars[0].H != c.Bottom-c.Top || c.Bars[1].X <= c.Bars[0].X {
		t.Errorf("bars oldest first, the largest full height: %+v", c.Bars)
	}
	if d := cmp.Diff([]string{"100", "4"}, []string{c.Totals[0].Text, c.Totals[1].Text}); d != "" {
		t.Errorf("totals (-want +got):\n%s", d)
	}
	if e := newChart(nil); !e.Empty || len(e.Bars) != 0 {
		t.Errorf("empty chart: %+v", e)
	}
}
