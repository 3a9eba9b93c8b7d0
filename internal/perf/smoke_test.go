package perf

import (
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
	r := newRig(t, rigConfig{users: users, recordPOSTs: true})

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
