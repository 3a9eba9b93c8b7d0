package faulttest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/scim"
)

// soakFaults are the Druva faults of the soak run: 10 % 5xx, 5 % 429 with
// Retry-After, 2 % of write responses lost after the write, and latency
// spikes (waited for through the injected sleep, so nothing sleeps).
func soakFaults(seed uint64) druvatest.Faults {
	return druvatest.Faults{Seed: seed, ServerErrors: 0.10, TooManyRequests: 0.05, RetryAfter: 2 * time.Second,
		ResponseLost: 0.02, Latency: 3 * time.Second, LatencyRate: 0.02}
}

// TestDruvaFaultsConverge: with Druva failing as above, a sync converges
// within two cycles to exactly the desired state: no user missing, none
// duplicated (a create whose response was lost is adopted after the 409),
// no unmanaged user touched, every desired user linked.
func TestDruvaFaultsConverge(t *testing.T) {
	n := soakSize(t)
	// Graph throttles too, now and then (retries absorb it).
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(n), entratest.WithGroups(max(8, n/100)), entratest.WithSeed(9),
		entratest.WithFaults(entratest.Faults{Seed: 9, Throttle: 0.03, Unavailable: 0.02})))
	defer g.Close()
	latency := newWaits()
	d := must[*druvatest.Server](t)(druvatest.NewServer(druvatest.WithSleep(latency.Wait), druvatest.WithFaults(soakFaults(42))))
	defer d.Close()
	unmanaged := unmanagedUsers(t, d, 25)
	desired := desiredState(t, g)
	// Druva users that share the userName of an Entra user that is not in
	// scope (unassigned, disabled, Default Access only): the source says
	// "not active", but they were never created or matched by this sync, so
	// they must stay exactly as they are.
	unmanaged = append(unmanaged, outOfScopeTwins(t, g, d, desired, 20)...)
	clientWaits := newWaits()
	c := must[*druva.Client](t)(d.NewClient(druva.WithWait(clientWaits.Wait)))
	store := newFileStore(t)
	s := newSyncer(t, graphReader(t, g), c, store)

	if len(desired) < n/4 {
		t.Fatalf("only %d of %d users desired: the tenant is not what the test expects", len(desired), n)
	}
	var results []*druvascim.Result
	for cycle := 1; cycle <= 2; cycle++ {
		res, err := s.Run(t.Context())
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		results = append(results, res)
		t.Logf("cycle %d: plan %+v, failures %d, statuses %v", cycle, res.Plan.Counts, len(res.Report.Failed()), res.Report.Summary.Statuses)
		if cycle == 1 {
			// Real life between the cycles: renames, unassignments and
			// disabled accounts, about 1 % each.
			desired = changeTenant(t, g, desired)
		}
	}
	check(t, d.SetFaults(druvatest.Faults{}))
	missing, duplicated, wrong, extra := checkConverged(t, d, desired, unmanaged)
	st := must[*druvascim.State](t)(store.Load(context.Background()))
	checkLinks(t, d, st, desired)
	if len(st.Escrows) != 0 {
		t.Errorf("%d escrows left after two cycles: %v", len(st.Escrows), st.Escrows)
	}

	// A third, fault-free plan has nothing left to do.
	clean := newSyncer(t, graphReader(t, g), d.Client(), store, druvascim.WithFullRead())
	res, err := clean.DryRun(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if w := writesOf(res.Plan); w != 0 {
		t.Errorf("after two faulty cycles a clean plan still has %d writes:\n%s", w, res.Plan.Format())
	}

	stats := d.Stats()
	cs := c.Stats()
	t.Logf("soak: %d Entra users, %d desired, %d unmanaged; Druva requests %d %v; client attempts %d retries %d throttled %d",
		n, len(desired), len(unmanaged), stats.Requests, stats.ByMethod, cs.Requests, cs.Retries, cs.Throttled)
	t.Logf("soak: faults injected: 5xx %d, 429 %d, lost responses %d, latency spikes %d (server waited %d times, longest client wait %v); Graph 429 %d, 503 %d of %d requests",
		stats.Injected5xx, stats.Injected429, stats.Lost, stats.Delayed, len(latency.Waits()), clientWaits.MaxWait(),
		g.Stats().Throttled, g.Stats().Unavailable, g.Stats().Requests)
	t.Logf("soak: objects lost %d, duplicated %d, wrong %d, unwanted %d", missing, duplicated, wrong, extra)
	adopted := 0
	for _, r := range results {
		for _, e := range r.Report.Entries {
			for _, s := range e.Steps {
				if containsFold(s.Detail, "adopt") {
					adopted++
					break
				}
			}
		}
	}
	t.Logf("soak: %d creates lost their response (%d writes in all), %d report entries say the user was adopted after the 409",
		lostCreates(d), stats.Lost, adopted)
	// The faults must really have happened, or the test proves nothing.
	if stats.Injected5xx == 0 || stats.Injected429 == 0 || stats.Lost == 0 || stats.Delayed == 0 {
		t.Fatalf("not every fault kind was injected: %+v", stats)
	}
	if lostCreates(d) > 0 && adopted == 0 {
		t.Errorf("%d creates lost their response but no entry says the user was adopted", lostCreates(d))
	}
}

// lostCreates counts POSTs whose response the fake dropped.
func lostCreates(d *druvatest.Server) int {
	n := 0
	for _, r := range d.Requests() {
		if r.Method == "POST" && r.Status == 0 {
			n++
		}
	}
	return n
}

// changeTenant renames, unassigns and disables about 1 % of the directly
// assigned users each, and returns the new desired state: the users the
// source now wants active, plus the earlier ones now wanted inactive.
func changeTenant(t *testing.T, g *entratest.Server, before map[string]want) map[string]want {
	t.Helper()
	step := 0
	for _, a := range g.Assignments() {
		if a.PrincipalType != "User" {
			continue
		}
		step++
		switch step % 100 {
		case 7:
			check(t, g.UpdateUser(a.PrincipalID, map[string]any{"displayName": "Renamed " + a.PrincipalID}))
		case 31:
			check(t, g.RemoveAssignment(a.ID))
		case 63:
			check(t, g.UpdateUser(a.PrincipalID, map[string]any{"accountEnabled": false}))
		}
	}
	after := desiredState(t, g)
	for name, w := range before {
		if _, ok := after[name]; !ok {
			w.active = false
			after[name] = w
		}
	}
	return after
}

// outOfScopeTwins seeds up to k Druva users named like Entra users that are
// out of scope, and returns them as stored.
func outOfScopeTwins(t *testing.T, g *entratest.Server, d *druvatest.Server, desired map[string]want, k int) []scim.Resource {
	t.Helper()
	snap := must[*entra.Snapshot](t)(graphReader(t, g).Read(t.Context(), ""))
	var twins []scim.Resource
	for _, u := range snap.Objects {
		upn, _ := u.Attributes["userPrincipalName"].(string)
		if !u.SoftDeleted && !u.HardDeleted || upn == "" || len(twins) == k {
			continue
		}
		if _, ok := desired[strings.ToLower(upn)]; ok {
			continue
		}
		twins = append(twins, scim.Resource{"userName": upn, "displayName": "Twin by hand", "active": true,
			"emails": []any{map[string]any{"type": "work", "value": "twin-" + strconv.Itoa(len(twins)) + "@elsewhere.example", "primary": true}}})
	}
	if len(twins) == 0 {
		t.Fatal("the tenant has no out-of-scope user")
	}
	return must[[]scim.Resource](t)(d.SeedUsers(twins...))
}
