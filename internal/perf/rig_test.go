package perf

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/cputime"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// listPageSize is the size of one Druva list page: the client asks for
// druva.DefaultPageSize and the fake caps at druvatest.DefaultMaxPageSize.
const listPageSize = min(druva.DefaultPageSize, druvatest.DefaultMaxPageSize)

// listPages is the number of list requests one full listing of n users
// takes: at least one, even for an empty service.
func listPages(n int) int { return max(1, (n+listPageSize-1)/listPageSize) }

// rig is an Entra tenant and a Druva service, both fakes on loopback, and a
// Syncer between them, composed only through public APIs.
type rig struct {
	graph  *entratest.Server
	druva  *druvatest.Server
	reader *entra.Reader
	client *druva.Client
	store  druvascim.StateStore
	set    *mapping.Set
	sync   *druvascim.Syncer
	posts  *recorder
	// graphWire counts and records the reader's HTTP requests on the
	// wire (a $batch is one; entratest's own count includes every item of
	// a batch): the whole-job baseline replays them.
	graphWire *graphLog
	// planned is the process CPU time when the last cycle finished
	// planning: the apply phase starts there.
	planned atomic.Int64
}

type rigConfig struct {
	users       int
	druvaOpts   []druvatest.Option
	clientOpts  []druva.Option
	syncOpts    []druvascim.Option
	recordPOSTs bool
	// keepGraphAnswers keeps the body of every Graph answer the reader
	// got, for comparison with the replay's.
	keepGraphAnswers bool
	// defaultClient makes the Druva client as a user would, with no
	// option but the URL: its limiter learns the fake's limit.
	defaultClient bool
}

// newRig generates a tenant of cfg.users users (entratest's realistic,
// untidy generator, seed 1) and an empty fake Druva. Both client limiters
// are off unless cfg.clientOpts sets the Druva one.
func newRig(tb testing.TB, cfg rigConfig) *rig {
	tb.Helper()
	g, err := entratest.NewServer(entratest.WithUsers(cfg.users), entratest.WithSeed(1))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(g.Close)
	d, err := druvatest.NewServer(cfg.druvaOpts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(d.Close)
	r := &rig{graph: g, druva: d, store: druvascim.NewMemoryStore(), set: mapping.DruvaDefault()}

	r.graphWire = &graphLog{next: newTransport(), keepAnswers: cfg.keepGraphAnswers}
	r.reader = newReader(tb, g.URL, g.Token, g.ServicePrincipalID, r.set, r.graphWire)
	copts := append([]druva.Option{druva.WithRateLimit(0, 0)}, cfg.clientOpts...)
	if cfg.recordPOSTs {
		r.posts = newRecorder()
		copts = append(copts, druva.WithHTTPClient(&http.Client{Transport: r.posts}))
	}
	if cfg.defaultClient {
		r.client, err = druva.NewClient(d.Token, druva.WithBaseURL(d.URL))
	} else {
		r.client, err = d.NewClient(copts...)
	}
	if err != nil {
		tb.Fatal(err)
	}
	r.sync = r.newSyncer(tb, cfg.syncOpts...)
	return r
}

// newReader returns a reader of the Graph fake at url as every benchmark
// makes it: the attributes set needs (see readerAttributes), no client
// limit, readerConcurrency member listings at once, every request through
// rt.
func newReader(tb testing.TB, url, token, sp string, set *mapping.Set, rt http.RoundTripper) *entra.Reader {
	tb.Helper()
	rd, err := entra.NewReader(entra.StaticToken(token), entra.WithGraphURL(url),
		entra.WithServicePrincipalID(sp), entra.WithAttributes(readerAttributes(set)...),
		entra.WithRateLimit(0, 0), entra.WithConcurrency(readerConcurrency), entra.WithHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		tb.Fatal(err)
	}
	return rd
}

// noDeletionHold: benchmarks change more users than the default threshold
// allows to disable; nothing here disables, but a safety hold must not turn
// a measurement into a skipped cycle.
func noDeletionHold() druvascim.Option {
	return druvascim.WithPolicy(druvascim.Policy{DeletionThreshold: -1})
}

// readerAttributes are the Graph attributes the reader asks for: those set
// reads, and the two a Syncer needs whatever the set.
func readerAttributes(set *mapping.Set) []string {
	attrs := set.SourceAttributes()
	for _, a := range []string{"userPrincipalName", "displayName"} {
		if !slices.Contains(attrs, a) {
			attrs = append(attrs, a)
		}
	}
	return attrs
}

// newSyncer returns a Syncer over the rig's reader, client and store.
func (r *rig) newSyncer(tb testing.TB, opts ...druvascim.Option) *druvascim.Syncer {
	tb.Helper()
	base := []druvascim.Option{
		noDeletionHold(),
		druvascim.WithProgress(func(p druvascim.Progress) {
			if p.Phase == "plan" {
				r.planned.Store(int64(cputime.Used()))
			}
		}),
	}
	s, err := druvascim.NewSyncer(r.reader, r.client, r.set, r.store, append(base, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// counts are the request counters of both fakes at one instant.
type counts struct {
	graph     int // requests the Graph fake served, $batch items included
	graphWire int // HTTP requests the reader sent
	druva     druvatest.Stats
}

func (r *rig) counts() counts {
	return counts{graph: r.graph.Stats().Requests, graphWire: int(r.graphWire.n.Load()), druva: r.druva.Stats()}
}

// cycle is what one measured cycle did.
type cycle struct {
	res       *druvascim.Result
	wall      time.Duration
	graph     int            // Graph requests served, $batch items counted one by one
	graphHTTP int            // Graph HTTP requests sent
	byMethod  map[string]int // Druva requests by method
	druva     int            // Druva requests
	throttle  int            // Druva answers 429 (server-side limit)
	cpu       time.Duration  // process CPU time of the cycle (fakes included)
	gcCPU     time.Duration  // the runtime's estimate of the collector's CPU time in it
	applyCPU  time.Duration  // process CPU time from the end of planning to the end of the cycle
	baseHeap  uint64         // HeapInuse after a GC before the cycle: both fakes\' data and the previous state
	peakHeap  uint64         // largest sampled HeapInuse during the cycle
	alloc     uint64         // bytes allocated during the cycle (whole process: fakes included)
	calls     []*graphCall   // the reader's Graph requests, in the order sent
}

func (c cycle) writes() int {
	return c.byMethod[http.MethodPost] + c.byMethod[http.MethodPatch] + c.byMethod[http.MethodPut] + c.byMethod[http.MethodDelete]
}

// run runs one cycle of s and measures it.
func (r *rig) run(tb testing.TB, s *druvascim.Syncer) cycle {
	tb.Helper()
	runtime.GC()
	before := r.counts()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	stop := func() uint64 { return 0 }
	if _, bench := tb.(*testing.B); bench {
		// Benchmarks sample the heap; tests have no use for it.
		stop = sampleHeap()
	}
	r.planned.Store(0)
	r.graphWire.take()
	cpu0, gc0 := cputime.Used(), readGCCounts().cpu
	start := time.Now()
	// The label lets a CPU profile tell the cycle's own work (and that of
	// the goroutines it starts) from the fakes' and the bare programs'.
	var res *druvascim.Result
	var err error
	pprof.Do(tb.Context(), pprof.Labels("perf", "cycle"), func(ctx context.Context) { res, err = s.Run(ctx) })
	wall := time.Since(start)
	cpu1, gc1 := cputime.Used(), readGCCounts().cpu
	peak := stop()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	if err != nil {
		tb.Fatalf("cycle: %v", err)
	}
	if f := res.Report.Failed(); len(f) != 0 {
		tb.Fatalf("cycle: %d failed operations, first %+v", len(f), f[0])
	}
	after := r.counts()
	c := cycle{res: res, wall: wall, graph: after.graph - before.graph, graphHTTP: after.graphWire - before.graphWire, byMethod: map[string]int{},
		druva: after.druva.Requests - before.druva.Requests, throttle: after.druva.Throttled - before.druva.Throttled,
		peakHeap: max(peak, ms1.HeapInuse), alloc: ms1.TotalAlloc - ms0.TotalAlloc, cpu: cpu1 - cpu0, gcCPU: gc1 - gc0, baseHeap: ms0.HeapInuse,
		calls: r.graphWire.take()}
	if p := r.planned.Load(); p != 0 {
		c.applyCPU = cpu1 - time.Duration(p)
	}
	for m, n := range after.druva.ByMethod {
		if d := n - before.druva.ByMethod[m]; d != 0 {
			c.byMethod[m] = d
		}
	}
	return c
}

// sampleHeap samples the in-use heap every 20 ms until the returned
// function is called; that function returns the largest sample. It reads
// runtime/metrics, which does not stop the world as runtime.ReadMemStats
// does: on a loaded machine a stop every 20 ms slowed the measured cycle,
// and only the cycle, down.
func sampleHeap() func() uint64 {
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, heapInUse())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// gcCounts are the runtime's running totals of what the collector did.
type gcCounts struct {
	cycles     uint64 // collections completed
	allocBytes uint64 // bytes allocated on the heap
	// cpu is the runtime's estimate of the collector's CPU time
	// (/cpu/classes/gc/total:cpu-seconds: by its documentation an
	// overestimate, to compare with other runtime estimates rather than
	// with the system's CPU time).
	cpu time.Duration
}

// readGCCounts reads the running totals from runtime/metrics.
func readGCCounts() gcCounts {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/allocs:bytes"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	return gcCounts{cycles: s[0].Value.Uint64(), allocBytes: s[1].Value.Uint64(), cpu: time.Duration(s[2].Value.Float64() * float64(time.Second))}
}

// since returns what the collector did between o and g.
func (g gcCounts) since(o gcCounts) gcCounts {
	return gcCounts{cycles: g.cycles - o.cycles, allocBytes: g.allocBytes - o.allocBytes, cpu: g.cpu - o.cpu}
}

// add sums two counts.
func (g gcCounts) add(o gcCounts) gcCounts {
	return gcCounts{cycles: g.cycles + o.cycles, allocBytes: g.allocBytes + o.allocBytes, cpu: g.cpu + o.cpu}
}

// heapInUse returns runtime.MemStats.HeapInuse, read from runtime/metrics:
// the bytes of heap spans in use, objects and their unused slots.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// recorder is an http.RoundTripper that keeps a copy of the body of every
// POST, so that the bare loop can send exactly the bytes the Syncer sent.
// It uses a transport configured as the druva client's default one.
type recorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies [][]byte
}

func newRecorder() *recorder {
	return &recorder{next: newTransport()}
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	return t
}

func (rc *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.GetBody != nil && req.ContentLength > 0 {
		// A copy through GetBody, read into a buffer of the exact size:
		// the request itself goes out untouched.
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		b := make([]byte, req.ContentLength)
		_, err = io.ReadFull(body, b)
		body.Close()
		if err != nil {
			return nil, err
		}
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, b)
		rc.mu.Unlock()
	}
	return rc.next.RoundTrip(req)
}

// postBodies returns the JSON body the druva client sends for each create
// of a plan, in plan order: the create form with the core User schema
// listed in "schemas" (as druva.Client.CreateUser adds it), encoded by
// encoding/json. TestPerfSmoke checks that these are byte for byte the
// bodies the client sent, so the benchmarks need no recorder on the timed
// path.
func postBodies(tb testing.TB, p *druvascim.Plan) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, op := range p.Operations {
		if op.Action != druvascim.ActionCreate {
			continue
		}
		u := maps.Clone(op.Resource)
		var schemas []any
		switch v := u["schemas"].(type) {
		case nil:
		case []any:
			schemas = v
		case []string:
			for _, s := range v {
				schemas = append(schemas, s)
			}
		default:
			tb.Fatalf("create form with schemas of type %T", v)
		}
		if !slices.ContainsFunc(schemas, func(s any) bool { str, _ := s.(string); return strings.EqualFold(str, scim.UserSchema) }) {
			schemas = append(slices.Clip(schemas), scim.UserSchema)
		}
		u["schemas"] = schemas
		b, err := json.Marshal(u)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func (rc *recorder) take() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := rc.bodies
	rc.bodies = nil
	return out
}

// envInt reads a positive integer from the environment, or def.
func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// changeUsers renames count users the report shows as created, starting at
// offset among them (in report order), through the fake tenant's helper.
// It returns how many it changed.
func changeUsers(tb testing.TB, g *entratest.Server, created []string, offset, count int, tag string) int {
	tb.Helper()
	if offset+count > len(created) {
		tb.Fatalf("want to change %d users from %d, only %d created", count, offset, len(created))
	}
	for _, id := range created[offset : offset+count] {
		if err := g.UpdateUser(id, map[string]any{"displayName": fmt.Sprintf("Renamed %s %s", tag, id)}); err != nil {
			tb.Fatal(err)
		}
	}
	return count
}

// createdIDs returns the source ids of the users a cycle created.
func createdIDs(res *druvascim.Result) []string {
	var out []string
	for _, e := range res.Report.Entries {
		if e.Action == druvascim.ActionCreate && e.Status == druvascim.StatusSuccess {
			out = append(out, e.SourceID)
		}
	}
	return out
}

// checkBudget fails when the initial cycle made more Druva requests than
// creates + list pages + 1, or POSTed other than once per create.
func checkBudget(tb testing.TB, c cycle, listed int) {
	tb.Helper()
	creates := c.res.Plan.Counts[druvascim.ActionCreate]
	budget := creates + listPages(listed) + 1
	if c.druva > budget {
		tb.Errorf("request budget broken: %d Druva requests > %d creates + %d list pages + 1 (by method %v)",
			c.druva, creates, listPages(listed), c.byMethod)
	}
	if c.byMethod[http.MethodPost] != creates {
		tb.Errorf("%d POSTs for %d creates", c.byMethod[http.MethodPost], creates)
	}
}

// bare POSTs bodies to a fresh fake Druva with workers goroutines through a
// plain net/http client (same transport settings, same headers as the druva
// client), reading each answer and checking its status; with decode it also
// decodes the answer with encoding/json, as a client that uses the created
// user must. It returns the wall time and the process CPU time.
func bare(tb testing.TB, bodies [][]byte, workers int, decode bool) (wall, cpu time.Duration) {
	tb.Helper()
	srv, err := druvatest.NewServer()
	if err != nil {
		tb.Fatal(err)
	}
	defer srv.Close()
	tr := newTransport()
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	runtime.GC()
	cpu0 := cputime.Used()
	start := time.Now()
	err = postAll(tb.Context(), hc, at(srv), bodies, workers, decode)
	wall, cpu = time.Since(start), cputime.Used()-cpu0
	if err != nil {
		tb.Fatal(err)
	}
	if srv.Len() != len(bodies) {
		tb.Fatalf("bare loop stored %d users of %d", srv.Len(), len(bodies))
	}
	return wall, cpu
}

// druvaAt is where a bare program finds a fake Druva: in this process or
// in the fakes' own (see fakesProcess).
type druvaAt struct{ URL, Token string }

// at is where srv listens.
func at(srv *druvatest.Server) druvaAt { return druvaAt{srv.URL, srv.Token} }

// postAll POSTs bodies to srv with workers goroutines; the first error
// stops them and is returned.
func postAll(ctx context.Context, hc *http.Client, srv druvaAt, bodies [][]byte, workers int, decode bool) error {
	var next int
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= len(bodies) || stop {
					return
				}
				if err := post(ctx, hc, srv, bodies[i], decode); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

func post(ctx context.Context, hc *http.Client, srv druvaAt, body []byte, decode bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/Users", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Accept", "application/scim+json, application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("bare POST: status %d: %s", resp.StatusCode, out)
	}
	if !decode {
		return nil
	}
	var m map[string]any
	return json.Unmarshal(out, &m)
}
