package druvascim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/mapping"
)

// A changed mapping or scoping filter reaches every object: the first cycle
// after the change reads everything, says why, and the next one is
// incremental again.
func TestChangedMappingReachesEveryone(t *testing.T) {
	f := newFixture(t, druvascim.WithPolicy(druvascim.Policy{Deletes: true, DeletionThreshold: -1}))
	for range 2 {
		if _, err := f.sync.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	expr, err := f.set.Replace(mapping.Mapping{Target: "displayName", Type: mapping.TypeExpression,
		Source: `Join(" ", "Staff:", [displayName])`, Apply: mapping.ApplyAlways})
	check(t, err)
	s := must[*druvascim.Syncer](t)(druvascim.NewSyncer(f.reader, f.druva.Client(), expr, f.store,
		druvascim.WithPolicy(druvascim.Policy{Deletes: true, DeletionThreshold: -1})))
	res := must[*druvascim.Result](t)(s.Run(t.Context()))
	if got := res.Report.Summary.Actions[druvascim.ActionUpdate]; got != 7 || !res.Report.Summary.Full || res.Report.Summary.FullReason != "mapping changed" {
		t.Fatalf("after the mapping change: %d updates, full %v (%q); want 7, a full read for \"mapping changed\"",
			got, res.Report.Summary.Full, res.Report.Summary.FullReason)
	}
	if u := druvaState(t, f.druva)["alice@contoso.example"]; u.DisplayName != "Staff: User alice" {
		t.Fatalf("alice = %+v", u)
	}
	res = must[*druvascim.Result](t)(s.Run(t.Context()))
	if res.Report.Summary.Full {
		t.Fatal("the cycle after the re-evaluation is not incremental")
	}

	// A scoping filter that excludes half of the users disables them.
	scoped, err := expr.WithOptions(mapping.WithScope(mapping.ScopingFilter{{mapping.Clause{Attribute: "mailNickname", Operator: "REGEX MATCH", Value: ptr("^[a-c]")}}}))
	check(t, err)
	s = must[*druvascim.Syncer](t)(druvascim.NewSyncer(f.reader, f.druva.Client(), scoped, f.store,
		druvascim.WithPolicy(druvascim.Policy{Deletes: true, DeletionThreshold: -1})))
	res = must[*druvascim.Result](t)(s.Run(t.Context()))
	if got := res.Report.Summary.Actions[druvascim.ActionDisable]; got != 4 || !strings.Contains(res.Report.Summary.FullReason, "scoping filter changed") {
		t.Fatalf("after the filter change: %d disables (%q), want dave, erin, frank and gina", got, res.Report.Summary.FullReason)
	}
	for _, n := range []string{"dave", "erin", "frank", "gina"} {
		if druvaState(t, f.druva)[n+"@contoso.example"].Active {
			t.Errorf("%s is out of scope and still active", n)
		}
	}
}

func ptr(s string) *string { return &s }

// Due escrows are retried by reading their objects, not the whole tenant;
// Restart clears the watermark, the escrows and the quarantine and keeps
// the links, and the next cycle is a full one for "restart".
func TestEscrowRetryReadsOnlyItsObjects(t *testing.T) {
	rt := newRefusedTenant(t, 420, 210) // 2 refused, 418 created
	if _, err := rt.sync.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	posts, graph := rt.druva.RequestCount("POST"), rt.graph.Stats().Requests
	rt.clock.Advance(6 * time.Hour)
	res := must[*druvascim.Result](t)(rt.sync.Run(t.Context()))
	if res.Report.Summary.Full || res.Report.Summary.SourceObjects != 2 || rt.druva.RequestCount("POST")-posts != 2 {
		t.Fatalf("due escrows: full %v (%q), %d source objects, %d creates; want an incremental cycle retrying the 2",
			res.Report.Summary.Full, res.Report.Summary.FullReason, res.Report.Summary.SourceObjects, rt.druva.RequestCount("POST")-posts)
	}
	t.Logf("retry of 2 escrowed objects among 420: %d Graph requests, %d Druva requests", rt.graph.Stats().Requests-graph, res.Report.Summary.Requests)
	st := must[*druvascim.State](t)(rt.store.Load(t.Context()))
	if len(st.Escrows) != 2 || st.DeltaLink == "" {
		t.Fatalf("%d escrows, delta link %q", len(st.Escrows), st.DeltaLink)
	}

	check(t, rt.sync.Restart(t.Context()))
	st = must[*druvascim.State](t)(rt.store.Load(t.Context()))
	if len(st.Escrows) != 0 || st.Quarantine != nil || st.DeltaLink != "" || len(st.Links) != 418 {
		t.Fatalf("after restart: %d escrows, quarantine %+v, delta %q, %d links", len(st.Escrows), st.Quarantine, st.DeltaLink, len(st.Links))
	}
	res, err := rt.sync.Run(t.Context())
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if !res.Report.Summary.Full || res.Report.Summary.FullReason != "restart" || res.Report.Summary.Actions[druvascim.ActionCreate] != 2 {
		t.Fatalf("after restart: full %v (%q), actions %v", res.Report.Summary.Full, res.Report.Summary.FullReason, res.Report.Summary.Actions)
	}
}

// Provisioning one user on demand is not a cycle: its success does not end
// the job's quarantine.
func TestProvisionOnDemandKeepsQuarantine(t *testing.T) {
	rt := newRefusedTenant(t, 2, 2)
	st := must[*druvascim.State](t)(rt.store.Load(t.Context()))
	q := &druvascim.Quarantine{Reason: "EncounteredEscrowProportionThreshold", Since: rt.clock.Now(), NextAttempt: rt.clock.Now().Add(time.Hour), Cycles: 1}
	st.Quarantine = q
	check(t, rt.store.Save(t.Context(), st))
	if _, err := rt.sync.ProvisionOnDemand(t.Context(), rt.ids[0], false); err != nil {
		t.Fatal(err)
	}
	st = must[*druvascim.State](t)(rt.store.Load(t.Context()))
	if rt.druva.Len() != 1 || st.Quarantine == nil || *st.Quarantine != *q {
		t.Fatalf("%d users; quarantine after provisioning on demand: %+v", rt.druva.Len(), st.Quarantine)
	}
}

// A target that cannot be reached is a systemic failure: the cycle stops at
// its first operation, which is retried next cycle, not escrowed.
func TestUnreachableTargetStopsCycle(t *testing.T) {
	f, plan, st := applyFixture(t)
	url := f.druva.URL
	f.druva.Close() // nothing listens there any more
	c := must[*druva.Client](t)(druva.NewClient("token", druva.WithBaseURL(url),
		druva.WithWait(func(context.Context, time.Duration) error { return nil })))
	rep, err := druvascim.Apply(t.Context(), c, plan, st, druvascim.WithConcurrency(1))
	if !errors.Is(err, druvascim.ErrQuarantined) || rep.Summary.Statuses[druvascim.StatusFailure] != 1 || len(st.Escrows) != 0 {
		t.Fatalf("err = %v, %d failures, %d escrows", err, rep.Summary.Statuses[druvascim.StatusFailure], len(st.Escrows))
	}
	if st.Quarantine == nil || st.Quarantine.Reason != "EncounteredQuarantineException" {
		t.Fatalf("quarantine %+v", st.Quarantine)
	}
}
