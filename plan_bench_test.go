package druvascim

import (
	"fmt"
	"github.com/druvascim/druvascim/mapping"
	"runtime"
	"testing"

	"github.com/druvascim/druvascim/internal/cputime"
	"github.com/druvascim/druvascim/scim"
)

// benchInput builds a steady-state cycle of n users: every source object is
// linked to a Druva user, 1 % have a changed display name (Update), 0.5 %
// are new hires (Create), 0.5 % are unassigned (Disable), 0.5 % exist in
// Druva unlinked and are adopted by userName, and 0.1 % of the links belong
// to objects the full read no longer returns (Disable). Desired objects
// carry what the Druva default mapping set produces: four Always
// assignments and userName as the matching key (the create form only where
// a create can happen, as the planner reads it nowhere else).
func benchInput(n int) PlanInput {
	st := newState()
	ds := make([]Desired, 0, n)
	cs := make([]scim.Resource, 0, n)
	for i := range n {
		src := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		id := fmt.Sprintf("druva-%09d", i)
		name := fmt.Sprintf("user%07d@contoso.com", i)
		display := fmt.Sprintf("User %07d", i)
		d := Desired{SourceID: src, DisplayName: display,
			Update: []mapping.Assignment{{Path: "userName", Value: name}, {Path: "displayName", Value: display},
				{Path: workEmail, Value: name}, {Path: "active", Value: true}},
			Keys: []mapping.MatchKey{{Path: "userName", Value: name}}}
		switch i % 200 {
		case 1: // new hire
			d.Resource = scim.Resource{"userName": name, "displayName": display, "active": true,
				"emails": []any{map[string]any{"type": "work", "value": name, "primary": true}}}
			ds = append(ds, d)
			continue
		case 2, 3: // renamed
			d.Update[1].Value = display + " (renamed)"
		case 4: // unassigned
			d.SoftDeleted, d.ScopeReason = true, ReasonNotAssigned
			d.Update[3].Value = false
		}
		u := scim.Resource{"id": id, "userName": name, "displayName": display, "active": true,
			"emails": []any{map[string]any{"type": "work", "value": name, "primary": true}}}
		cs = append(cs, u)
		if i%200 != 5 { // 5: exists unlinked, adopted by userName
			st.Links[src] = id
		}
		if i%1000 == 6 { // linked, but gone from the full read
			continue
		}
		ds = append(ds, d)
	}
	return PlanInput{Desired: ds, Current: cs, State: st, Full: true, Now: t0}
}

func benchmarkPlan(b *testing.B, n int) {
	in := benchInput(n)
	pl, err := NewPlanner(WithPolicy(Policy{DeletionThreshold: -1, MaxSourceShrink: -1}))
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportAllocs()
	b.ResetTimer()
	var p *Plan
	cpu0 := cputime.Used()
	for b.Loop() {
		p, err = pl.Plan(in)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// CPU time of the whole process (all threads, GC included) per plan: a
	// figure that other load on a shared machine inflates less than wall
	// time.
	b.ReportMetric(float64(cputime.Used()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	c := p.Counts
	if c[ActionCreate] != n/200 || c[ActionUpdate] != n/100 || c[ActionDisable] != n/200+n/1000 {
		b.Fatalf("unexpected counts %+v", c)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/user")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "input-MiB")
}

// BenchmarkPlan100k plans 100,000 users against 100,000 Druva users.
func BenchmarkPlan100k(b *testing.B) { benchmarkPlan(b, 100_000) }

// BenchmarkPlan1M plans 1,000,000 users against 1,000,000 Druva users
// (target: under 3 s and 2 GiB on 2 cores; 10x users at most 11x time).
func BenchmarkPlan1M(b *testing.B) { benchmarkPlan(b, 1_000_000) }

// BenchmarkCreateChanges measures the provisioning-log change list built
// for every create (leaf paths, rendered values, secrets masked).
func BenchmarkCreateChanges(b *testing.B) {
	op := &Operation{Action: ActionCreate, Resource: map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"userName": "ada@contoso.example", "displayName": "Ada Lovelace", "active": true, "externalId": "ada",
		"name":   map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"emails": []any{map[string]any{"type": "work", "value": "ada@contoso.example"}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "R&D", "organization": "Contoso"},
	}, Update: []mapping.Assignment{{Path: "userName", Value: "x"}, {Path: "active", Value: true}, {Path: "displayName", Value: "x"}}}
	b.ReportAllocs()
	for b.Loop() {
		createChanges(op)
	}
}
