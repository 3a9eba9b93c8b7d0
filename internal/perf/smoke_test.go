package perf

import (
	"bytes"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim"
)

// TestPerfSmoke runs the benchmarks' code paths at 300 users: the initial
// cycle keeps the request budget, an idle incremental cycle writes nothing
// and reads Druva in one list pass, a 1 % change writes exactly the changed
// users, incrementally and on a full re-read.
func TestPerfSmoke(t *testing.T) {
	const users = 300
	r := newRig(t, rigConfig{users: users, recordPOSTs: true, keepGraphAnswers: true})

	first := r.run(t, r.sync)
	checkBudget(t, first, 0)
	creates := first.res.Plan.Counts[druvascim.ActionCreate]
	if creates < users/2 || r.druva.Len() != creates || !first.res.Report.Summary.Full {
		t.Fatalf("initial cycle: %d creates, Druva holds %d, summary %+v", creates, r.druva.Len(), first.res.Report.Summary)
	}
	if first.graph == 0 || first.byMethod[http.MethodGet] != 1 {
		t.Fatalf("initial cycle: %d Graph requests, Druva by method %v", first.graph, first.byMethod)
	}
	// The bare loop of BenchmarkInitialSync sends bodies derived from the
	// plan: they must be the bytes the client sent.
	sent, derived := r.posts.take(), postBodies(t, first.res.Plan)
	if len(sent) != creates {
		t.Fatalf("recorded %d POST bodies for %d creates", len(sent), creates)
	}
	if d := cmp.Diff(sortedStrings(derived), sortedStrings(sent)); d != "" {
		t.Fatalf("bodies derived from the plan differ from the bodies sent (-derived +sent):\n%s", d)
	}
	checkReplay(t, r, first, derived)
	created := createdIDs(first.res)
	listed := r.druva.Len()

	idle := r.run(t, r.sync)
	checkCycle(t, "idle incremental", idle, false, 0, listed)
	if idle.graph >= first.graph {
		t.Errorf("idle incremental cycle made %d Graph requests, the full read %d", idle.graph, first.graph)
	}

	changed := changeUsers(t, r.graph, created, 0, users/100, "incr")
	incr := r.run(t, r.sync)
	checkCycle(t, "incremental", incr, false, changed, listed)
	if incr.res.Report.Summary.SourceObjects > 10*changed {
		t.Errorf("incremental cycle read %d objects for %d changes", incr.res.Report.Summary.SourceObjects, changed)
	}

	changed = changeUsers(t, r.graph, created, changed, users/100, "full")
	full := r.run(t, r.newSyncer(t, druvascim.WithFullRead()))
	checkCycle(t, "full re-read", full, true, changed, listed)

	again := r.run(t, r.newSyncer(t, druvascim.WithFullRead()))
	checkCycle(t, "idle full re-read", again, true, 0, listed)
}

func sortedStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	slices.Sort(out)
	return out
}

// checkReplay checks the whole-job baseline of BenchmarkInitialSync: its
// Graph replay sends every request the reader sent and gets the very
// answers the reader got, and the bare program stores every user.
func checkReplay(t *testing.T, r *rig, c cycle, bodies [][]byte) {
	t.Helper()
	rp := newReplay(t, c.calls)
	if rp.calls() != c.graphHTTP || len(c.calls) != c.graphHTTP {
		t.Fatalf("the replay sends %d Graph requests, the log holds %d, the reader sent %d", rp.calls(), len(c.calls), c.graphHTTP)
	}
	if len(rp.units) == 0 {
		t.Fatalf("no $batch of group members in the read: the replay's member units go untested")
	}
	answers := map[*graphCall][]byte{}
	if err := rp.run(t.Context(), &http.Client{Transport: newTransport()}, answers); err != nil {
		t.Fatal(err)
	}
	for _, call := range c.calls {
		got, ok := answers[call]
		if !ok {
			t.Fatalf("the replay did not send %s %s", call.method, call.url)
		}
		if !bytes.Equal(got, call.answer) {
			t.Fatalf("the replay of %s %s got another answer than the reader:\n%s", call.method, call.url, cmp.Diff(string(call.answer), string(got)))
		}
	}
	if run := bareJob(t, rp, bodies, defaultConcurrency, true); run.read <= 0 || run.wall < run.read {
		t.Fatalf("bare job timings: %+v", run)
	}
}
