package statuspage

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
)

//go:embed assets
var assets embed.FS

// staticHandler serves the embedded script and style under /static/.
// http.FileServer cleans the path, and only the embedded files exist, so
// nothing outside them can be named.
func staticHandler() http.Handler {
	sub, err := fs.Sub(assets, "assets/static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Files only: no directory listings.
		if fi, err := fs.Stat(sub, path.Clean("/" + r.URL.Path)[1:]); err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
}

func newPage() (*template.Template, error) {
	t, err := template.New("page.html").Funcs(template.FuncMap{
		"when":    when,
		"dur":     func(d time.Duration) string { return d.Round(time.Millisecond).String() },
		"sorted":  func(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) },
		"percent": percent,
		"phases":  phases,
		"list":    func(s ...string) []string { return s },
	}).ParseFS(assets, "assets/page.html")
	if err != nil {
		return nil, errors.New("statuspage: the page template: " + err.Error())
	}
	return t, nil
}

// when formats a time for people, in UTC; "—" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func percent(p *druvascim.Progress) int {
	if p == nil || p.Total <= 0 {
		return 0
	}
	return min(100, p.Done*100/p.Total)
}

// phase is one step of the progress bar.
type phase struct {
	Name  string
	State string // "done", "current" or "todo"
}

// phases are the steps shown over the progress bar, with the running one
// marked.
func phases(p *druvascim.Progress) []phase {
	names := []druvascim.Phase{druvascim.PhaseReadSource, druvascim.PhaseReadTarget, druvascim.PhasePlan, druvascim.PhaseApply}
	cur := -1
	if p != nil {
		cur = slices.Index(names, p.Phase)
	}
	out := make([]phase, len(names))
	for i, n := range names {
		out[i] = phase{Name: string(n), State: "todo"}
		switch {
		case i < cur:
			out[i].State = "done"
		case i == cur:
			out[i].State = "current"
		}
	}
	return out
}

// pageData is what the template renders.
type pageData struct {
	Tenants  []control.TenantStatus
	Selected control.TenantStatus
	Filter   url.Values
	Query    logstore.Query
	Entries  []logstore.Entry
	Next     string // the URL of the next page of the log; "" on the last
	First    string // the URL of the first page of the log
	Error    string
	Cycles   []logstore.Cycle
	Last     *logstore.Cycle
	Chart    chart
	Poll     int64
	Writable bool
}

func (h *handler) pageHandler(t *template.Template) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, status := h.pageData(r)
		var buf bytes.Buffer
		if err := t.Execute(&buf, d); err != nil {
			h.log(r, "statuspage: render", "err", err)
			http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = buf.WriteTo(w)
	})
}

// pageData reads the status of every tenant, the selected tenant's cycles
// and one page of its log.
func (h *handler) pageData(r *http.Request) (pageData, int) {
	q := r.URL.Query()
	d := pageData{Filter: q, Poll: h.opts.poll.Milliseconds(), Writable: h.opts.token != ""}
	sel := q.Get("tenant")
	for _, t := range h.ctl.Tenants() {
		st, err := h.ctl.Status(t)
		if err != nil {
			continue
		}
		d.Tenants = append(d.Tenants, st)
		if sel == "" || sel == t {
			if d.Selected.Tenant == "" {
				d.Selected = st
			}
		}
	}
	if d.Selected.Tenant == "" {
		if sel != "" {
			d.Error = "unknown tenant"
			return d, http.StatusNotFound
		}
		return d, http.StatusOK
	}
	status := http.StatusOK
	tenant := d.Selected.Tenant
	if s := h.logs(tenant); s != nil {
		for c, err := range s.Cycles(r.Context(), logstore.CycleQuery{Tenant: tenant, Limit: ChartCycles}) {
			if err != nil {
				h.log(r, "statuspage: cycles", "tenant", tenant, "err", err)
				d.Error = "the cycles could not be read"
				break
			}
			d.Cycles = append(d.Cycles, c)
		}
	}
	for i := range d.Cycles {
		if d.Cycles[i].Outcome != logstore.OutcomeRunning {
			d.Last = &d.Cycles[i]
			break
		}
	}
	d.Chart = newChart(d.Cycles)
	lq, err := ParseQuery(q, h.opts.now())
	if err != nil {
		d.Error = err.Error()
		return d, http.StatusBadRequest
	}
	lq.Tenant, lq.Limit = tenant, PageSize
	d.Query = lq
	entries, next, err := h.entries(r, tenant, lq)
	if err != nil {
		d.Error = err.Error()
		return d, statusOf(err)
	}
	d.Entries = entries
	d.First = pageURL(q, tenant, 0)
	if next > 0 {
		d.Next = pageURL(q, tenant, next)
	}
	return d, status
}

// pageURL is the URL of the page of the log before the cursor (0: the
// first page), with the same filters.
func pageURL(q url.Values, tenant string, before int64) string {
	nq := url.Values{}
	for k, v := range q {
		nq[k] = v
	}
	nq.Set("tenant", tenant)
	nq.Del("before")
	if before > 0 {
		nq.Set("before", strconv.FormatInt(before, 10))
	}
	return "/?" + nq.Encode() + "#log"
}
