package druvascim

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/druvascim/druvascim/mapping"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim/scim"
	"github.com/google/go-cmp/cmp"
)

func mustPlanner(t *testing.T, opts ...Option) *defaultPlanner {
	t.Helper()
	p, err := NewPlanner(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p.(*defaultPlanner)
}

// opFor returns the single operation for a source id.
func opFor(t *testing.T, p *Plan, src string) Operation {
	t.Helper()
	var found []Operation
	for _, op := range p.Operations {
		if op.SourceID == src {
			found = append(found, op)
		}
	}
	if len(found) != 1 {
		t.Fatalf("plan has %d operations for %s; plan:\n%s", len(found), src, p.Format())
	}
	return found[0]
}

func TestPlanActions(t *testing.T) {
	alice := want("s-alice", "alice@contoso.com", "Alice", "alice@contoso.com")
	outOfScope := want("s-oos", "oos@contoso.com", "Oos", "oos@contoso.com")
	outOfScope.OutOfScope = true
	hard := want("s-hard", "hard@contoso.com", "Hard", "hard@contoso.com")
	hard.HardDeleted, hard.SoftDeleted = true, true
	twoKeys := want("s-two", "two@contoso.com", "Two", "two@contoso.com")
	twoKeys.Keys = []mapping.MatchKey{{Path: "externalId", Value: "two"}, {Path: workEmail, Value: "TWO@contoso.com"}}
	noMail := want("s-nomail", "nomail@contoso.com", "No Mail", "")
	noMail.Missing = []string{"emails"} // as mapping's Map reports it from Set.Required
	noKeys := want("s-nokeys", "", "No Keys", "nokeys@contoso.com")
	escrowed := want("s-esc", "esc@contoso.com", "Esc", "esc@contoso.com")
	disabledInSource := softDeleted(want("s-dis", "dis@contoso.com", "Dis", "dis@contoso.com"), ReasonAccountDisabled)

	tests := []struct {
		name     string
		desired  []Desired
		current  []scim.Resource
		links    map[string]string
		escrows  map[string]Escrow
		opts     []Option
		full     bool
		src      string
		action   Action
		reason   Reason
		target   string
		patch    []scim.PatchOperation
		link     bool
		dropLink bool
	}{
		{name: "create when nothing matches", desired: []Desired{alice}, src: "s-alice", action: ActionCreate},
		{name: "update only the mapped attribute that differs", desired: []Desired{alice},
			current: []scim.Resource{func() scim.Resource {
				u := cur("d1", "alice@contoso.com", "Alice Old", "alice@contoso.com", true)
				u["title"] = "unmapped, never touched"
				return u
			}()},
			links: map[string]string{"s-alice": "d1"}, src: "s-alice", action: ActionUpdate, target: "d1",
			patch: []scim.PatchOperation{{Op: "replace", Path: "displayName", Value: "Alice"}}},
		{name: "add an attribute the user lacks", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "", true)},
			links:   map[string]string{"s-alice": "d1"}, src: "s-alice", action: ActionUpdate, target: "d1",
			patch: []scim.PatchOperation{{Op: "add", Path: workEmail, Value: "alice@contoso.com"}}},
		{name: "re-enable a disabled user back in scope", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", false)},
			links:   map[string]string{"s-alice": "d1"}, src: "s-alice", action: ActionUpdate, reason: ReasonReenable, target: "d1",
			patch: []scim.PatchOperation{{Op: "replace", Path: "active", Value: true}}},
		{name: "adopt an unlinked user matched case-insensitively, unchanged", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "ALICE@contoso.com", "Alice", "alice@contoso.com", true)},
			src:     "s-alice", action: ActionUpdate, target: "d1", link: true,
			patch: []scim.PatchOperation{{Op: "replace", Path: "userName", Value: "alice@contoso.com"}}},
		{name: "adopt an unlinked identical user", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			src:     "s-alice", action: ActionSkip, reason: ReasonUnchanged, target: "d1", link: true},
		{name: "matching precedence: externalId misses, email hits", desired: []Desired{twoKeys},
			current: []scim.Resource{cur("d7", "other-name", "Two", "two@contoso.com", true)},
			src:     "s-two", action: ActionUpdate, target: "d7", link: true,
			patch: []scim.PatchOperation{{Op: "replace", Path: "userName", Value: "two@contoso.com"}}},
		{name: "externalId is case-exact", desired: []Desired{func() Desired {
			d := want("s-x", "x@contoso.com", "X", "x@contoso.com")
			d.Keys = []mapping.MatchKey{{Path: "externalId", Value: "ABC"}}
			return d
		}()}, current: []scim.Resource{func() scim.Resource {
			u := cur("d1", "x-old@contoso.com", "X", "x@contoso.com", true)
			u["externalId"] = "abc"
			return u
		}()}, src: "s-x", action: ActionCreate},
		{name: "disable a linked user unassigned in the source",
			desired: []Desired{softDeleted(alice, ReasonNotAssigned)},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "d1"}, src: "s-alice", action: ActionDisable, reason: ReasonNotAssigned, target: "d1"},
		{name: "disable a linked user out of the scoping filter", desired: []Desired{outOfScope},
			current: []scim.Resource{cur("d2", "oos@contoso.com", "Oos", "oos@contoso.com", true)},
			links:   map[string]string{"s-oos": "d2"}, src: "s-oos", action: ActionDisable, reason: ReasonScopingFilter, target: "d2"},
		{name: "already disabled: unchanged", desired: []Desired{disabledInSource},
			current: []scim.Resource{cur("d3", "dis@contoso.com", "Dis", "dis@contoso.com", false)},
			links:   map[string]string{"s-dis": "d3"}, src: "s-dis", action: ActionSkip, reason: ReasonUnchanged, target: "d3"},
		{name: "hard delete with deletes allowed", desired: []Desired{hard}, opts: []Option{WithPolicy(Policy{Deletes: true})},
			current: []scim.Resource{cur("d4", "hard@contoso.com", "Hard", "hard@contoso.com", true)},
			links:   map[string]string{"s-hard": "d4"}, src: "s-hard", action: ActionDelete, reason: ReasonHardDeleted, target: "d4", dropLink: true},
		{name: "hard delete without the delete policy disables", desired: []Desired{hard},
			current: []scim.Resource{cur("d4", "hard@contoso.com", "Hard", "hard@contoso.com", true)},
			links:   map[string]string{"s-hard": "d4"}, src: "s-hard", action: ActionDisable, reason: ReasonHardDeleted, target: "d4"},
		{name: "never disable an unlinked user", desired: []Desired{softDeleted(alice, ReasonNotAssigned)},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			src:     "s-alice", action: ActionSkip, reason: ReasonNotManaged, target: "d1"},
		{name: "never delete an unlinked user", desired: []Desired{hard}, opts: []Option{WithPolicy(Policy{Deletes: true})},
			current: []scim.Resource{cur("d4", "hard@contoso.com", "Hard", "hard@contoso.com", true)},
			src:     "s-hard", action: ActionSkip, reason: ReasonNotManaged, target: "d4"},
		{name: "disabled in source and never provisioned", desired: []Desired{disabledInSource},
			src: "s-dis", action: ActionSkip, reason: ReasonAccountDisabled},
		{name: "no value for any matching attribute", desired: []Desired{noKeys},
			src: "s-nokeys", action: ActionSkip, reason: ReasonMissingMatchingValue},
		{name: "email missing on create", desired: []Desired{noMail},
			src: "s-nomail", action: ActionSkip, reason: ReasonMandatoryFieldsMissing},
		{name: "email missing is fine when the user exists", desired: []Desired{noMail},
			current: []scim.Resource{cur("d9", "nomail@contoso.com", "No Mail", "x@contoso.com", true)},
			src:     "s-nomail", action: ActionSkip, reason: ReasonUnchanged, target: "d9", link: true},
		{name: "two target users match", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "A", "a1@x", true), cur("d2", "Alice@Contoso.com", "A", "a2@x", true)},
			src:     "s-alice", action: ActionSkip, reason: ReasonDuplicateTargetEntries},
		{name: "target already linked to another source object", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			links:   map[string]string{"s-other": "d1"},
			src:     "s-alice", action: ActionSkip, reason: ReasonDuplicateSourceEntries, target: "d1"},
		{name: "two source objects would create the same user",
			desired: []Desired{alice, want("s-alice2", "ALICE@contoso.com", "Alice 2", "alice2@contoso.com")},
			src:     "s-alice2", action: ActionSkip, reason: ReasonDuplicateSourceEntries},
		{name: "escrowed until later", desired: []Desired{escrowed},
			escrows: map[string]Escrow{"s-esc": {Action: ActionCreate, Attempts: 1, NextTry: t0.Add(time.Hour)}},
			src:     "s-esc", action: ActionSkip, reason: ReasonEscrowed},
		{name: "escrow due: retried", desired: []Desired{escrowed},
			escrows: map[string]Escrow{"s-esc": {Action: ActionCreate, Attempts: 1, NextTry: t0.Add(-time.Minute)}},
			src:     "s-esc", action: ActionCreate},
		{name: "stale link: dropped and matched again", desired: []Desired{alice},
			current: []scim.Resource{cur("d5", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "gone"},
			src:     "s-alice", action: ActionSkip, reason: ReasonUnchanged, target: "d5", link: true, dropLink: true},
		{name: "full read: linked object missing is disabled", desired: []Desired{alice}, full: true,
			current: []scim.Resource{cur("d8", "bob@contoso.com", "Bob", "bob@contoso.com", true)},
			links:   map[string]string{"s-bob": "d8"}, src: "s-bob", action: ActionDisable, reason: ReasonNotAssigned, target: "d8"},
		{name: "full read: missing object whose user is gone: link dropped", desired: []Desired{alice}, full: true,
			links: map[string]string{"s-bob": "gone"}, src: "s-bob", action: ActionSkip, reason: ReasonNotAssigned, target: "gone", dropLink: true},
		{name: "creates turned off", desired: []Desired{alice}, opts: []Option{WithPolicy(Policy{NoCreates: true})},
			src: "s-alice", action: ActionSkip, reason: ReasonActionNotAllowed},
		{name: "updates turned off", desired: []Desired{alice}, opts: []Option{WithPolicy(Policy{NoUpdates: true})},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Old", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "d1"}, src: "s-alice", action: ActionSkip, reason: ReasonActionNotAllowed, target: "d1"},
		{name: "SkipOutOfScopeDeletions", desired: []Desired{softDeleted(alice, ReasonNotAssigned)}, opts: []Option{WithPolicy(Policy{SkipOutOfScopeDeletions: true})},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "d1"}, src: "s-alice", action: ActionSkip, reason: ReasonActionNotAllowed, target: "d1"},
		{name: "deletes turned off: unassigned user kept", desired: []Desired{softDeleted(alice, ReasonNotAssigned)}, opts: []Option{WithPolicy(Policy{NoDeletes: true})},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "d1"}, src: "s-alice", action: ActionSkip, reason: ReasonActionNotAllowed, target: "d1"},
		{name: "deletes turned off: hard-deleted user kept", desired: []Desired{hard}, opts: []Option{WithPolicy(Policy{NoDeletes: true, Deletes: true})},
			current: []scim.Resource{cur("d1", "hard@contoso.com", "Hard", "hard@contoso.com", true)},
			links:   map[string]string{"s-hard": "d1"}, src: "s-hard", action: ActionSkip, reason: ReasonActionNotAllowed, target: "d1"},
		{name: "deletes turned off: disabled account still disabled", desired: []Desired{softDeleted(alice, ReasonAccountDisabled)}, opts: []Option{WithPolicy(Policy{NoDeletes: true})},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "d1"}, src: "s-alice", action: ActionDisable, reason: ReasonAccountDisabled, target: "d1"},
		{name: "hook veto", desired: []Desired{alice}, opts: []Option{WithHook(func(op Operation) (Operation, bool) { return op, false })},
			src: "s-alice", action: ActionSkip, reason: ReasonVetoed},
		{name: "hook cannot disable an unlinked user", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Old", "alice@contoso.com", true)},
			opts: []Option{WithHook(func(op Operation) (Operation, bool) {
				op.Action = ActionDisable
				return op, true
			})},
			src: "s-alice", action: ActionSkip, reason: ReasonNotManaged, target: "d1"},
		{name: "hook rewrite that cannot run is skipped", desired: []Desired{alice},
			opts: []Option{WithHook(func(op Operation) (Operation, bool) {
				op.Resource = nil
				return op, true
			})},
			src: "s-alice", action: ActionSkip, reason: ReasonVetoed},
		{name: "identity hook keeps a disable", desired: []Desired{softDeleted(alice, ReasonNotAssigned)},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Alice", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "d1"},
			opts:    []Option{WithHook(func(op Operation) (Operation, bool) { return op, true })},
			src:     "s-alice", action: ActionDisable, reason: ReasonNotAssigned, target: "d1"},
		{name: "identity hook keeps a delete", desired: []Desired{hard},
			current: []scim.Resource{cur("d1", "hard@contoso.com", "Hard", "hard@contoso.com", true)},
			links:   map[string]string{"s-hard": "d1"},
			opts:    []Option{WithPolicy(Policy{Deletes: true}), WithHook(func(op Operation) (Operation, bool) { return op, true })},
			src:     "s-hard", action: ActionDelete, reason: ReasonHardDeleted, target: "d1", dropLink: true},
		{name: "hook may turn an update into a disable of a linked user", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Old", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "d1"},
			opts: []Option{WithHook(func(op Operation) (Operation, bool) {
				op.Action = ActionDisable
				return op, true
			})},
			src: "s-alice", action: ActionDisable, target: "d1"},
		{name: "hook rewrites an update", desired: []Desired{alice},
			current: []scim.Resource{cur("d1", "alice@contoso.com", "Old", "alice@contoso.com", true)},
			links:   map[string]string{"s-alice": "d1"},
			opts: []Option{WithHook(func(op Operation) (Operation, bool) {
				op.Patch = append(op.Patch, scim.PatchOperation{Op: "replace", Path: "title", Value: "hooked"})
				return op, true
			})},
			src: "s-alice", action: ActionUpdate, target: "d1",
			patch: []scim.PatchOperation{{Op: "replace", Path: "displayName", Value: "Alice"}, {Op: "replace", Path: "title", Value: "hooked"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := stateWith(tc.links)
			for k, v := range tc.escrows {
				st.Escrows[k] = v
			}
			p, err := mustPlanner(t, tc.opts...).Plan(PlanInput{Desired: tc.desired, Current: tc.current, State: st, Full: tc.full, Now: t0})
			if err != nil {
				t.Fatal(err)
			}
			op := opFor(t, p, tc.src)
			if op.Action != tc.action || op.Reason != tc.reason {
				t.Errorf("got %s/%s, want %s/%s (detail %q)", op.Action, op.Reason, tc.action, tc.reason, op.Detail)
			}
			if op.TargetID != tc.target {
				t.Errorf("target %q, want %q", op.TargetID, tc.target)
			}
			if op.Link != tc.link || op.DropLink != tc.dropLink {
				t.Errorf("link/dropLink = %v/%v, want %v/%v", op.Link, op.DropLink, tc.link, tc.dropLink)
			}
			if tc.patch != nil || op.Action == ActionUpdate {
				if d := cmp.Diff(tc.patch, op.Patch); d != "" {
					t.Errorf("patch (-want +got):\n%s", d)
				}
			}
			if op.Action == ActionCreate && op.Resource == nil {
				t.Error("create without a resource")
			}
		})
	}
}

func TestPlanIncrementalLeavesOthersAlone(t *testing.T) {
	st := stateWith(map[string]string{"s-bob": "d8", "s-alice": "d1"})
	current := []scim.Resource{cur("d8", "bob@contoso.com", "Bob", "bob@contoso.com", true), cur("d1", "alice@contoso.com", "Old", "alice@contoso.com", true)}
	p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{want("s-alice", "alice@contoso.com", "Alice", "alice@contoso.com")}, Current: current, State: st, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Operations) != 1 || p.Operations[0].SourceID != "s-alice" || p.Counts[ActionUpdate] != 1 {
		t.Fatalf("incremental plan should touch only s-alice:\n%s", p.Format())
	}
}

func manyLinked(n int, active bool) ([]Desired, []scim.Resource, *State) {
	var ds []Desired
	var cs []scim.Resource
	st := newState()
	for i := range n {
		src, id, name := "s"+itoa(i), "d"+itoa(i), "u"+itoa(i)+"@contoso.com"
		ds = append(ds, want(src, name, name, name))
		cs = append(cs, cur(id, name, name, name, active))
		st.Links[src] = id
	}
	return ds, cs, st
}

func itoa(i int) string { return fmt.Sprintf("%06d", i) }

func TestDeletionThreshold(t *testing.T) {
	ds, cs, st := manyLinked(5, true)
	for i := range ds {
		ds[i] = softDeleted(ds[i], ReasonNotAssigned)
	}
	in := PlanInput{Desired: ds, Current: cs, State: st, Now: t0}

	p, err := mustPlanner(t, WithPolicy(Policy{DeletionThreshold: 3})).Plan(in)
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("err = %v, want ErrHeld", err)
	}
	if p == nil || p.Hold == nil || p.Hold.Disables != 5 || p.Counts[ActionDisable] != 5 || !p.held() {
		t.Fatalf("held plan should still list the 5 disables: %+v", p)
	}
	if !strings.Contains(p.Format(), "HELD (DeletionThreshold)") {
		t.Errorf("format does not show the hold:\n%s", p.Format())
	}
	// A held plan is refused by Apply until approved.
	tgt := newMemTarget(cs...)
	if _, err := Apply(t.Context(), tgt, p, st.clone()); !errors.Is(err, ErrHeld) {
		t.Fatalf("apply of held plan: %v, want ErrHeld", err)
	}
	if len(tgt.calls) != 0 {
		t.Fatalf("held plan made calls: %v", tgt.calls)
	}
	p.Approved = true
	rep, err := Apply(t.Context(), tgt, p, st.clone(), WithClock(func() time.Time { return t0 }))
	if err != nil || rep.Summary.Actions[ActionDisable] != 5 {
		t.Fatalf("approved apply: %v %+v", err, rep.Summary)
	}

	// Exactly at the threshold: not held. Negative = no limit.
	for _, opt := range []Option{WithPolicy(Policy{DeletionThreshold: 5}), WithPolicy(Policy{DeletionThreshold: -1})} {
		if _, err := mustPlanner(t, opt).Plan(in); err != nil {
			t.Errorf("not over the threshold: %v", err)
		}
	}
	// Approved in advance.
	p, err = mustPlanner(t, WithPolicy(Policy{DeletionThreshold: 3, ApproveHolds: true})).Plan(in)
	if err != nil || !p.Approved || p.held() {
		t.Fatalf("ApproveHolds: %v %+v", err, p.Hold)
	}
	// The zero Policy keeps the default threshold of 500 and shrink of 0.5;
	// a later WithPolicy replaces an earlier one whole.
	for _, pl := range []*defaultPlanner{mustPlanner(t), mustPlanner(t, WithPolicy(Policy{})),
		mustPlanner(t, WithPolicy(Policy{DeletionThreshold: 3, MaxSourceShrink: -1}), WithPolicy(Policy{}))} {
		if pl.cfg.threshold != 500 || pl.cfg.maxShrink != 0.5 {
			t.Errorf("default policy: threshold %d, shrink %v; want 500 and 0.5", pl.cfg.threshold, pl.cfg.maxShrink)
		}
	}
}

func TestSourceShrinkHold(t *testing.T) {
	ds, cs, st := manyLinked(10, true)
	st.SourceInScope = 10
	in := PlanInput{Desired: ds[:4], Current: cs, State: st, Full: true, Now: t0}
	p, err := mustPlanner(t, WithPolicy(Policy{DeletionThreshold: -1})).Plan(in)
	if !errors.Is(err, ErrHeld) || p.Hold == nil || p.Hold.Baseline != 10 || p.Hold.InScope != 4 {
		t.Fatalf("err = %v hold = %+v", err, p)
	}
	if p.Counts[ActionDisable] != 6 {
		t.Errorf("held plan should list 6 disables, has %d", p.Counts[ActionDisable])
	}
	// Incremental reads are not judged by size.
	in.Full = false
	if _, err := mustPlanner(t).Plan(in); err != nil {
		t.Fatalf("incremental: %v", err)
	}
	// Shrinking within the fraction passes.
	in.Full, in.Desired = true, ds[:6]
	if _, err := mustPlanner(t, WithPolicy(Policy{DeletionThreshold: -1})).Plan(in); err != nil {
		t.Fatalf("within fraction: %v", err)
	}
	for _, f := range []float64{1, 1.5, math.NaN()} {
		if _, err := NewPlanner(WithPolicy(Policy{MaxSourceShrink: f})); err == nil || !strings.Contains(err.Error(), "MaxSourceShrink") {
			t.Errorf("MaxSourceShrink %v: %v, want an error naming it", f, err)
		}
	}
}

func TestPlanBadInput(t *testing.T) {
	pl := mustPlanner(t)
	for name, in := range map[string]PlanInput{
		"no source id":       {Desired: []Desired{{DisplayName: "x"}}},
		"duplicate source":   {Desired: []Desired{want("a", "a", "a", "a"), want("a", "b", "b", "b")}},
		"target without id":  {Current: []scim.Resource{{"userName": "x"}}},
		"duplicate target":   {Current: []scim.Resource{cur("d1", "a", "a", "a", true), cur("d1", "b", "b", "b", true)}},
		"bad matching path":  {Desired: []Desired{func() Desired { d := want("a", "a", "a", "a"); d.Keys[0].Path = "emails[type]"; return d }()}},
		"bad mapping update": {Desired: []Desired{func() Desired { d := want("a", "a", "a", "a"); d.Update[0].Path = "x[y eq"; return d }()}, Current: []scim.Resource{cur("d1", "a", "a", "a", true)}},
	} {
		if _, err := pl.Plan(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPlanDeterministicAndJSON(t *testing.T) {
	ds, cs, st := manyLinked(50, true)
	for i := 0; i < len(ds); i += 3 {
		ds[i].Update[1].Value = "renamed"
	}
	rev := make([]Desired, len(ds))
	for i := range ds {
		rev[len(ds)-1-i] = ds[i]
	}
	pl := mustPlanner(t)
	a, err := pl.Plan(PlanInput{Desired: ds, Current: cs, State: st, Full: true, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	b, err := pl.Plan(PlanInput{Desired: rev, Current: cs, State: st, Full: true, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("plan depends on input order")
	}
	var back Plan
	if err := json.Unmarshal(ja, &back); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(back.Counts, a.Counts) || len(back.Operations) != len(a.Operations) {
		t.Fatal("plan does not survive a JSON round trip")
	}
	if a.Counts[ActionUpdate] != 17 || a.unchanged() != 33 {
		t.Errorf("counts %+v", a.Counts)
	}
}

func TestPlanRedactsSecrets(t *testing.T) {
	d := want("s1", "a@x", "A", "a@x")
	d.Update = append(d.Update, assignment{Path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", Value: "s3cret", Redacted: true})
	p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{d}, Current: []scim.Resource{cur("d1", "a@x", "A", "a@x", true)}, State: stateWith(map[string]string{"s1": "d1"}), Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	out := p.Format()
	j, _ := json.Marshal(p.Operations[0].Changes)
	if strings.Contains(out, "s3cret") || strings.Contains(string(j), "s3cret") || !strings.Contains(out, redactedValue) {
		t.Fatalf("secret leaked or not masked:\n%s\n%s", out, j)
	}
}

func TestPlanParallelMatchesSequential(t *testing.T) {
	in := benchInput(3000)
	seq := mustPlanner(t, WithPolicy(Policy{DeletionThreshold: -1, MaxSourceShrink: -1}))
	seq.cfg.workers = 1
	par := mustPlanner(t, WithPolicy(Policy{DeletionThreshold: -1, MaxSourceShrink: -1}))
	par.cfg.workers = 4
	a, err := seq.Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := par.Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("parallel plan differs from the sequential one")
	}
	if a.Counts[ActionCreate] != 15 || a.Counts[ActionUpdate] != 30 || a.Counts[ActionDisable] != 18 || a.unchanged() != 3000-15-30-15-3 {
		t.Fatalf("counts %+v", a.Counts)
	}
}

func TestPlanDamagedStateTwoLinksOneUser(t *testing.T) {
	for _, workers := range []int{1, 2} {
		pl := mustPlanner(t)
		pl.cfg.workers = workers
		st := stateWith(map[string]string{"s-a": "d1", "s-b": "d1"})
		p, err := pl.Plan(PlanInput{Desired: []Desired{want("s-a", "a@x", "A", "a@x"), want("s-b", "b@x", "B", "b@x")},
			Current: []scim.Resource{cur("d1", "a@x", "Old", "a@x", true)}, State: st, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := opFor(t, p, "s-a"), opFor(t, p, "s-b"); a.Action != ActionUpdate || b.Reason != ReasonDuplicateSourceEntries {
			t.Fatalf("workers %d: %s/%s and %s/%s", workers, a.Action, a.Reason, b.Action, b.Reason)
		}
	}
}

// The owner pass has a cheap way (few users without a link this cycle) and
// a full way (absent objects linked to users that are gone): both agree.
func TestPlanOwnerPassWays(t *testing.T) {
	in := benchInput(3000)
	pl := mustPlanner(t, WithPolicy(Policy{DeletionThreshold: -1, MaxSourceShrink: -1}))
	a, err := pl.Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	st := in.State.clone()
	st.Links["zz-gone"] = "no-such-user"
	in.State = st
	b, err := pl.Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Operations) != len(a.Operations)+1 || a.Counts[ActionDisable] != b.Counts[ActionDisable] || b.Counts[ActionDisable] != 18 {
		t.Fatalf("cheap way %+v, full way %+v", a.Counts, b.Counts)
	}
	last := b.Operations[len(b.Operations)-1]
	if last.SourceID != "zz-gone" || !last.DropLink {
		t.Fatalf("last op %+v", last)
	}
	for i := range a.Operations {
		if a.Operations[i].SourceID != b.Operations[i].SourceID || a.Operations[i].Action != b.Operations[i].Action {
			t.Fatalf("op %d differs: %+v vs %+v", i, a.Operations[i], b.Operations[i])
		}
	}
}

// TestPlanUnicodeNormalisation: matching values that differ only in Unicode
// normalisation (NFC and NFD of one name) are the same value.
func TestPlanUnicodeNormalisation(t *testing.T) {
	const nfc, nfd = "jos\u00e9@contoso.com", "jose\u0301@contoso.com"
	t.Run("two source objects collide", func(t *testing.T) {
		a, b := want("s-a", nfc, "José A", nfc), want("s-b", nfd, "José B", nfd)
		p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{a, b}, State: newState(), Full: true, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if got := opFor(t, p, "s-a").Action; got != ActionCreate {
			t.Errorf("s-a: %s, want Create", got)
		}
		if op := opFor(t, p, "s-b"); op.Action != ActionSkip || op.Reason != ReasonDuplicateSourceEntries {
			t.Errorf("s-b: %s/%s, want Skip/%s:\n%s", op.Action, op.Reason, ReasonDuplicateSourceEntries, p.Format())
		}
	})
	t.Run("matches the target user in the other form", func(t *testing.T) {
		d := want("s-a", nfd, "José", nfd)
		current := []scim.Resource{cur("d1", nfc, "José", nfc, true)}
		p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{d}, Current: current, State: newState(), Full: true, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if op := opFor(t, p, "s-a"); op.TargetID != "d1" || !op.Link {
			t.Errorf("s-a: %s to %q (link %v), want matched to d1:\n%s", op.Action, op.TargetID, op.Link, p.Format())
		}
	})
}

func TestPlanPolicy(t *testing.T) {
	alice := want("s-alice", "alice@contoso.com", "Alice", "alice@contoso.com")
	bob := softDeleted(want("s-bob", "bob@contoso.com", "Bob", "bob@contoso.com"), "not assigned")
	current := []scim.Resource{cur("d8", "bob@contoso.com", "Bob", "bob@contoso.com", true)}
	in := func() PlanInput {
		return PlanInput{Desired: []Desired{alice, bob}, Current: current, State: stateWith(map[string]string{"s-bob": "d8"}), Now: t0}
	}
	t.Run("veto", func(t *testing.T) {
		p, err := mustPlanner(t, WithPlanPolicy(func(p *Plan) error {
			for i, op := range p.Operations {
				if op.Action == ActionDisable {
					p.Veto(i, "not today")
				}
			}
			return nil
		})).Plan(in())
		if err != nil {
			t.Fatal(err)
		}
		op := opFor(t, p, "s-bob")
		if op.Action != ActionSkip || op.Reason != ReasonVetoed || op.Detail != "not today" || !maps.Equal(p.Counts, map[Action]int{ActionCreate: 1, ActionSkip: 1}) {
			t.Fatalf("got %s/%s %q, counts %+v", op.Action, op.Reason, op.Detail, p.Counts)
		}
	})
	t.Run("refuses the plan", func(t *testing.T) {
		boom := errors.New("boom")
		p, err := mustPlanner(t, WithPlanPolicy(func(*Plan) error { return boom })).Plan(in())
		if !errors.Is(err, boom) || p != nil {
			t.Fatalf("got %v, %v", p, err)
		}
	})
	t.Run("may not drop operations", func(t *testing.T) {
		_, err := mustPlanner(t, WithPlanPolicy(func(p *Plan) error { p.Operations = p.Operations[1:]; return nil })).Plan(in())
		if err == nil || !strings.Contains(err.Error(), "Plan.Veto") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("may not disable an unlinked user", func(t *testing.T) {
		p, err := mustPlanner(t, WithPlanPolicy(func(p *Plan) error {
			p.Operations[0].Action, p.Operations[0].TargetID = ActionDisable, "d8" // alice → bob's user
			return nil
		})).Plan(in())
		if err != nil {
			t.Fatal(err)
		}
		if op := opFor(t, p, "s-alice"); op.Action != ActionSkip || op.Reason != ReasonNotManaged || p.Counts[ActionDisable] != 1 {
			t.Fatalf("got %s/%s, counts %+v", op.Action, op.Reason, p.Counts)
		}
	})
	t.Run("runs before the safety rules", func(t *testing.T) {
		desired, current, st := manyLinked(5, true)
		for i := range desired {
			desired[i] = softDeleted(desired[i], "not assigned")
		}
		p, err := mustPlanner(t, WithPolicy(Policy{DeletionThreshold: 2}), WithPlanPolicy(func(p *Plan) error {
			for i := 2; i < len(p.Operations); i++ {
				p.Veto(i, "two per cycle")
			}
			return nil
		})).Plan(PlanInput{Desired: desired, Current: current, State: st, Now: t0})
		if err != nil || p.Hold != nil || p.Counts[ActionDisable] != 2 || p.Counts[ActionSkip] != 3 {
			t.Fatalf("err %v, counts %+v", err, p.Counts)
		}
	})
}
