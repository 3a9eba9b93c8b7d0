package druvascim

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/google/go-cmp/cmp"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// A mapping that fails to evaluate is a failure of the object: the report
// lists it in Failed(), so callers (and the CLI's exit status) see it.
func TestMappingFailureIsAFailure(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	bad := want("s-bad", "bad@x", "Bad", "bad@x")
	bad.MapError = `mapping: mapping 3 (title): Mid: start index "x" is not a number`
	ok := want("s-ok", "ok@x", "Ok", "ok@x")
	st := newState()
	p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{bad, ok}, State: st, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Apply(t.Context(), newMemTarget(), p, st, WithClock(fixedClock(t0)))
	if err != nil {
		t.Fatal(err)
	}
	failed := rep.Failed()
	if len(failed) != 1 || failed[0].SourceID != "s-bad" || failed[0].ErrorCode != ReasonMappingFailed {
		t.Fatalf("Failed() = %+v, want the object whose mapping failed", failed)
	}
	dry := planReport(p, Summary{CycleID: "c"}, t0)
	if n := len(dry.Failed()); n != 1 {
		t.Fatalf("dry run: %d failures, want 1", n)
	}
}

// blockingTarget holds CreateUser until release is closed, then answers as
// an HTTP client would: the context's error if it ended, else the write.
type blockingTarget struct {
	*memTarget
	started chan struct{}
	release chan struct{}
	waitCtx bool // answer only when the operation's context ends
}

func (b *blockingTarget) CreateUser(ctx context.Context, u scim.Resource) (scim.Resource, error) {
	close(b.started)
	if b.waitCtx {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	<-b.release
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return b.memTarget.CreateUser(ctx, u)
}

// Canceling a cycle lets the operation in flight finish: its user is linked
// and reported as created, not as "stopped before this operation ran".
func TestCancelLetsInFlightFinish(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tgt := &blockingTarget{memTarget: newMemTarget(), started: make(chan struct{}), release: make(chan struct{})}
	st := newState()
	p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{want("s1", "u1@x", "U1", "u1@x"), want("s2", "u2@x", "U2", "u2@x")}, State: st, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	var rep *Report
	go func() {
		defer close(done)
		rep, err = Apply(ctx, tgt, p, st, WithConcurrency(1), WithClock(fixedClock(t0)))
	}()
	<-tgt.started
	cancel()
	close(tgt.release)
	<-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	e := rep.Entries[0]
	if e.Status != StatusSuccess || st.Links["s1"] == "" || len(tgt.users) != 1 {
		t.Fatalf("in-flight create: entry %s/%s %q, links %v, target users %d", e.Status, e.ErrorCode, e.Message, st.Links, len(tgt.users))
	}
	if e := rep.Entries[1]; e.ErrorCode != reasonCanceled {
		t.Fatalf("create not started: %s/%s", e.Status, e.ErrorCode)
	}
}

// A write still unanswered when the grace period after a cancellation ends
// has an unknown outcome: reported so, and escrowed for the next cycle.
func TestCancelUnansweredWriteIsUnknown(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tgt := &blockingTarget{memTarget: newMemTarget(), started: make(chan struct{}), waitCtx: true}
	st := newState()
	p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{want("s1", "u1@x", "U1", "u1@x")}, State: st, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	e, err := newExecutor("test", []Option{WithClock(fixedClock(t0))})
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.grace = time.Nanosecond
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-tgt.started; cancel() }()
	rep, err := e.apply(ctx, tgt, p, st, "c")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	ent := rep.Entries[0]
	if ent.Status != StatusWarning || ent.ErrorCode != reasonOutcomeUnknown || st.Escrows["s1"].Code != reasonOutcomeUnknown {
		t.Fatalf("entry %s/%s, escrow %+v", ent.Status, ent.ErrorCode, st.Escrows["s1"])
	}
}

// attrSource is a Source that says which attributes it delivers.
type attrSource struct{ attrs []string }

func (attrSource) Fetch(context.Context, string) (Batch, error) { return Batch{Full: true}, nil }
func (a attrSource) Attributes() []string                       { return a.attrs }

type nopTarget struct{ Target }

func (nopTarget) ListUsers(context.Context) iter.Seq2[scim.Resource, error] {
	return func(func(scim.Resource, error) bool) {}
}

// A set that reads an attribute the source does not deliver is refused at
// start, naming the attribute, instead of mapping NULL for everyone.
func TestNewSyncerRefusesAttributesTheSourceLacks(t *testing.T) {
	set, err := mapping.DruvaDefault().With(mapping.Mapping{Target: "title", Type: mapping.TypeDirect, Source: "officeLocation"})
	if err != nil {
		t.Fatal(err)
	}
	src := attrSource{attrs: []string{"userPrincipalName", "mail", "mailNickname", "displayName", "givenName", "surname", "department", "companyName"}}
	_, err = NewSyncer(src, nopTarget{}, set, &memoryStore{})
	if err == nil || !strings.Contains(err.Error(), "officeLocation") {
		t.Fatalf("NewSyncer = %v, want an error naming officeLocation", err)
	}
	src.attrs = append(src.attrs, "officeLocation")
	if _, err := NewSyncer(src, nopTarget{}, set, &memoryStore{}); err != nil {
		t.Fatalf("with the attribute: %v", err)
	}
}

// Old and new values are JSON values in JSON output, not JSON inside a
// string.
func TestPropertyChangeJSON(t *testing.T) {
	c := PropertyChange{Path: "displayName", Old: nil, New: "Ada"}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"path":"displayName","old":null,"new":"Ada"}`; got != want {
		t.Fatalf("JSON %s, want %s", got, want)
	}
	var back PropertyChange
	if err := json.Unmarshal(b, &back); err != nil || !cmp.Equal(back, c) {
		t.Fatalf("round trip %+v (%v), want %+v", back, err, c)
	}
}

// Options apply only to the constructors they are for, and a custom planner
// with the default planner's options is an error.
func TestOptionsOneShape(t *testing.T) {
	if _, err := NewPlanner(WithConcurrency(2)); err == nil || !strings.Contains(err.Error(), "WithConcurrency") {
		t.Fatalf("NewPlanner(WithConcurrency) = %v", err)
	}
	if _, err := Apply(t.Context(), nopTarget{}, &Plan{}, newState(), WithPolicy(Policy{Deletes: true})); err == nil || !strings.Contains(err.Error(), "WithPolicy") {
		t.Fatalf("Apply(WithPolicy) = %v", err)
	}
	pl := mustPlanner(t)
	_, err := NewSyncer(oneSource{}, nopTarget{}, mapping.DruvaDefault(), &memoryStore{}, WithPlanner(pl), WithPolicy(Policy{DeletionThreshold: 3}))
	if err == nil || !strings.Contains(err.Error(), "WithPolicy") {
		t.Fatalf("WithPlanner with WithPolicy = %v", err)
	}
}

// oneSource is a Source that does not say which attributes it delivers.
type oneSource struct{}

func (oneSource) Fetch(context.Context, string) (Batch, error) { return Batch{Full: true}, nil }

// Prepare supplies IsSoftDeleted from the object's field, an attribute of
// one object never leaks into the next one's evaluation, and an object the
// source reports out of scope is matched, never mapped: its keys are those
// Map gives, its display name the source's, and it has no create form.
func TestPrepareSuppliesSoftDeletedWithoutLeaks(t *testing.T) {
	set, err := mapping.DruvaDefault().With(mapping.Mapping{Target: "title", Type: mapping.TypeDirect, Source: "jobTitle"})
	if err != nil {
		t.Fatal(err)
	}
	objs := []Object{
		{ID: "a", Attributes: map[string]any{"userPrincipalName": "a@x", "displayName": "A", "mail": "a@x", "jobTitle": "Boss"}},
		{ID: "b", Attributes: map[string]any{"userPrincipalName": "b@x", "displayName": "B", "mail": "b@x"}},
		{ID: "c", SoftDeleted: true, Reason: ReasonNotAssigned, Attributes: map[string]any{"userPrincipalName": "c@x", "displayName": "C", "mail": "c@x"}},
	}
	ds, err := Prepare(t.Context(), set, objs)
	if err != nil {
		t.Fatal(err)
	}
	if ds[0].Resource["active"] != true || ds[1].Resource["active"] != true {
		t.Fatalf("active: %v, %v", ds[0].Resource["active"], ds[1].Resource["active"])
	}
	if _, ok := ds[1].Resource["title"]; ok {
		t.Fatalf("the first object's jobTitle leaked into the second: %v", ds[1].Resource)
	}
	m, err := set.Map(t.Context(), mapping.Attributes{"userPrincipalName": "c@x", "displayName": "C", "mail": "c@x", "IsSoftDeleted": true})
	if err != nil {
		t.Fatal(err)
	}
	c := ds[2]
	if c.Resource != nil || c.Update != nil || c.MapError != "" || c.DisplayName != "C" || len(c.Keys) == 0 || !slices.Equal(c.Keys, m.Keys) {
		t.Fatalf("out-of-scope object: %+v; want keys %v and nothing else mapped", c, m.Keys)
	}
	if !c.SoftDeleted || c.ScopeReason != ReasonNotAssigned {
		t.Fatalf("out-of-scope object lost the source's verdict: %+v", c)
	}
	if _, ok := objs[2].Attributes["IsSoftDeleted"]; ok {
		t.Fatal("Prepare changed the caller's attributes")
	}
}
