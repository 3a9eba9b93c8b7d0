package statuspage

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/druvascim/druvascim/internal/control"
)

// BenchmarkPage renders GET / with a full chart (60 cycles recorded, 50
// shown) and a full page of the log, and GET /api/logs by user.
func BenchmarkPage(b *testing.B) {
	ctl := newFakeCtl("contoso")
	ctl.set("contoso", func(s *control.TenantStatus) { s.State, s.Running = control.StateRunning, running(5, 10) })
	srv := newTestServer(b, ctl, seedStore(b, 60))
	h := srv.Config.Handler
	for _, bc := range []struct{ name, path string }{
		{"page", "/?tenant=contoso"}, {"api-logs-by-user", "/api/logs?tenant=contoso&user=alice@contoso.example"}, {"api-status", "/api/status"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bc.path, nil))
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
