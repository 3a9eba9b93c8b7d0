package metrics_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/metrics"
)

func Example() {
	m, err := metrics.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	rep := &druvascim.Report{Summary: druvascim.Summary{Started: start, Finished: start.Add(time.Minute)},
		Entries: []druvascim.Entry{{Action: druvascim.ActionCreate, Status: druvascim.StatusSuccess}}}
	m.ObserveCycle("contoso", rep, nil)
	m.ObserveRequest("contoso", metrics.TargetDruva, 429)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, "druvascim_cycles_total") || strings.HasPrefix(line, "druvascim_requests_total") {
			fmt.Print(line)
		}
	}
	// Output:
	// druvascim_cycles_total{outcome="succeeded",tenant="contoso"} 1
	// druvascim_requests_total{status="429",target="druva",tenant="contoso"} 1
}
