package druvascim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim/scim"
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func planAndApply(t *testing.T, tgt *memTarget, ds []Desired, st *State, full bool, now time.Time, opts ...Option) (*Plan, *Report, error) {
	t.Helper()
	p, err := mustPlanner(t, WithPolicy(Policy{Deletes: true})).Plan(PlanInput{Desired: ds, Current: tgt.list(), State: st, Full: full, Now: now})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	opts = append([]Option{WithClock(fixedClock(now)), WithConcurrency(1)}, opts...)
	rep, err := Apply(t.Context(), tgt, p, st, opts...)
	return p, rep, err
}

func TestApplyOrderLinksAndReport(t *testing.T) {
	tgt := newMemTarget(cur("d1", "old@contoso.com", "Old", "old@contoso.com", true),
		cur("d2", "bob@contoso.com", "Bob", "bob@contoso.com", true))
	st := stateWith(map[string]string{"s-old": "d1"})
	ds := []Desired{
		softDeleted(want("s-old", "old@contoso.com", "Old", "old@contoso.com"), ReasonNotAssigned),
		want("s-bob", "bob@contoso.com", "Robert", "bob@contoso.com"),
		want("s-new", "new@contoso.com", "New", "new@contoso.com"),
	}
	_, rep, err := planAndApply(t, tgt, ds, st, true, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Creates and updates run before disables.
	want := []string{"patch d2", "create new@contoso.com", "disable d1"}
	if !slices.Equal(tgt.calls, want) {
		t.Fatalf("calls %v, want %v", tgt.calls, want)
	}
	if st.Links["s-bob"] != "d2" || st.Links["s-new"] == "" || st.Links["s-old"] != "d1" {
		t.Fatalf("links %v", st.Links)
	}
	if rep.Summary.Statuses[StatusSuccess] != 3 || rep.Summary.TargetCalls != 3 || len(rep.Entries) != 3 {
		t.Fatalf("summary %+v", rep.Summary)
	}
	for _, e := range rep.Entries {
		if e.ChangeID == "" || e.Time.IsZero() || len(e.Steps) != 4 || e.Steps[3].Name != stepAction {
			t.Errorf("entry incomplete: %+v", e)
		}
		if e.Action == ActionUpdate && (len(e.Modified) != 1 || e.Modified[0].Old != "Bob" || e.Modified[0].New != "Robert") {
			t.Errorf("update entry modified = %+v", e.Modified)
		}
	}

	js, err := json.Marshal(rep.Entries[0])
	if err != nil {
		t.Fatal(err)
	}
	var e Entry
	if err := json.Unmarshal(js, &e); err != nil || e.SourceID == "" || e.ChangeID != rep.Entries[0].ChangeID {
		t.Fatalf("JSON entry: %v %+v", err, e)
	}
}

func TestApplyAdoptsOn409(t *testing.T) {
	// The create reaches the target but the response is lost (409 on the
	// retried POST): the executor finds the user and links it.
	tgt := newMemTarget()
	tgt.hidden = true
	st := newState()
	_, rep, err := planAndApply(t, tgt, []Desired{want("s1", "a@contoso.com", "A", "a@contoso.com")}, st, true, t0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Links["s1"] != "d0001" || rep.Entries[0].Status != StatusSuccess || !strings.Contains(rep.Entries[0].Steps[3].Detail, "adopted") {
		t.Fatalf("links %v entry %+v", st.Links, rep.Entries[0])
	}
	if slices.Contains(tgt.calls, "patch d0001") {
		t.Error("identical adopted user was patched")
	}

	// A conflicting user that differs is adopted, then updated.
	tgt = newMemTarget(cur("d9", "b@contoso.com", "Old B", "b@contoso.com", false))
	st = newState()
	p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{want("s2", "b@contoso.com", "B", "b@contoso.com")}, State: st, Now: t0}) // target listing stale: empty
	if err != nil || p.Counts[ActionCreate] != 1 {
		t.Fatalf("%v %+v", err, p.Counts)
	}
	rep, err = Apply(t.Context(), tgt, p, st, WithClock(fixedClock(t0)))
	if err != nil {
		t.Fatal(err)
	}
	u := tgt.users["d9"]
	if st.Links["s2"] != "d9" || u["displayName"] != "B" || u["active"] != true {
		t.Fatalf("adopt+update: links %v user %v entry %+v", st.Links, u, rep.Entries[0])
	}
}

func TestApplyDropsLinkOn404(t *testing.T) {
	tgt := newMemTarget(cur("d1", "a@x", "Old", "a@x", true))
	st := stateWith(map[string]string{"s1": "d1"})
	p, err := mustPlanner(t).Plan(PlanInput{Desired: []Desired{want("s1", "a@x", "New", "a@x")}, Current: tgt.list(), State: st, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	delete(tgt.users, "d1") // gone between listing and patch
	rep, err := Apply(t.Context(), tgt, p, st, WithClock(fixedClock(t0)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Links["s1"]; ok || rep.Entries[0].Status != StatusWarning || rep.Entries[0].ErrorCode != reasonInvalidAnchor {
		t.Fatalf("links %v entry %+v", st.Links, rep.Entries[0])
	}
}

func TestApplyEscrowSchedule(t *testing.T) {
	tgt := newMemTarget()
	status := 400
	tgt.fail = func(method, id string) error {
		return scim.NewError(status, "invalidValue", "None of the SCIM Mapping matched to create user")
	}
	st := newState()
	ds := []Desired{want("s1", "a@x", "A", "a@x")}
	now := t0
	// Retries at 6 h, 12 h and 24 h after the first failure, then daily.
	for attempt, wait := range []time.Duration{6 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		_, rep, err := planAndApply(t, tgt, ds, st, true, now)
		if err != nil {
			t.Fatal(err)
		}
		e := st.Escrows["s1"]
		if e.Attempts != attempt+1 || !e.NextTry.Equal(now.Add(wait)) || e.Code != reasonBadRequest || !e.FirstFailure.Equal(t0) {
			t.Fatalf("attempt %d: escrow %+v", attempt+1, e)
		}
		if rep.Entries[0].Status != StatusFailure || rep.Entries[0].Message == "" || !strings.Contains(rep.Entries[0].Detail, "SCIM Mapping") {
			t.Fatalf("entry %+v", rep.Entries[0])
		}
		// Before the retry time the planner skips it.
		p, _, _ := planAndApply(t, tgt, ds, st, true, now.Add(wait-time.Minute))
		if op := p.Operations[0]; op.Reason != ReasonEscrowed {
			t.Fatalf("not escrowed: %+v", op)
		}
		now = now.Add(wait)
	}
	// Daily retries until 28 days after the first failure; then the escrow
	// ends, once, and the entry says so.
	retries := 3
	for {
		e, ok := st.Escrows["s1"]
		if !ok {
			break
		}
		now = e.NextTry
		_, rep, _ := planAndApply(t, tgt, ds, st, true, now)
		retries++
		if _, still := st.Escrows["s1"]; !still {
			if !strings.Contains(rep.Entries[0].Message, "escrow ended") || rep.Summary.EscrowsPruned != 1 {
				t.Fatalf("dropped escrow not reported: %+v %+v", rep.Entries[0], rep.Summary)
			}
		}
		if retries > 100 {
			t.Fatal("the escrow never ends")
		}
	}
	if want := t0.Add(28 * 24 * time.Hour); !now.Equal(want) || retries != 30 {
		t.Fatalf("last retry at %v after %d retries; want %v after 30 (6 h, 12 h, 24 h, then days 2 to 28)", now, retries, want)
	}
	// Transient failures are retried next cycle; success clears the escrow.
	now = now.Add(time.Hour)
	status = 503
	planAndApply(t, tgt, ds, st, true, now)
	if e := st.Escrows["s1"]; !e.NextTry.IsZero() || e.Code != reasonServerError {
		t.Fatalf("transient escrow %+v", e)
	}
	tgt.fail = nil
	if _, _, err := planAndApply(t, tgt, ds, st, true, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Escrows["s1"]; ok || st.Links["s1"] == "" {
		t.Fatalf("escrow not cleared: %+v links %v", st.Escrows, st.Links)
	}
}

func TestApplyQuarantine(t *testing.T) {
	ds := []Desired{}
	for i := range 30 {
		ds = append(ds, want(fmt.Sprintf("s%02d", i), fmt.Sprintf("u%02d@x", i), "U", fmt.Sprintf("u%02d@x", i)))
	}
	t.Run("auth rejected", func(t *testing.T) {
		tgt := newMemTarget()
		tgt.fail = func(string, string) error { return fmt.Errorf("druva: %w", scim.NewError(401, "", "token expired")) }
		st := newState()
		_, rep, err := planAndApply(t, tgt, ds, st, true, t0)
		if !errors.Is(err, ErrQuarantined) || statusOf(err) != 401 || rep.Entries[0].ErrorCode != reasonUnauthorized {
			t.Fatalf("err = %v", err)
		}
		if len(tgt.calls) != 1 || !rep.Summary.Quarantined || rep.Summary.Statuses[StatusSkipped] != 29 {
			t.Fatalf("calls %v summary %+v", tgt.calls, rep.Summary)
		}
		if !strings.Contains(err.Error(), "365 days") {
			t.Errorf("no actionable advice: %v", err)
		}
	})
	t.Run("too many failures", func(t *testing.T) {
		tgt := newMemTarget()
		tgt.fail = func(string, string) error { return scim.NewError(500, "", "boom") }
		st := newState()
		_, rep, err := planAndApply(t, tgt, ds, st, true, t0, withQuarantine(0.5, 5))
		if !errors.Is(err, ErrQuarantined) || len(tgt.calls) != 5 || rep.Summary.Statuses[StatusFailure] != 5 {
			t.Fatalf("err %v calls %d summary %+v", err, len(tgt.calls), rep.Summary)
		}
		// A cycle-wide failure is retried next cycle, not escrowed.
		if len(st.Escrows) != 0 || !strings.Contains(rep.Entries[0].Message, "retried next cycle") {
			t.Errorf("escrows %d, entry %+v; want none", len(st.Escrows), rep.Entries[0])
		}
		if q := st.Quarantine; q == nil || q.Reason != quarantineProportion || !q.NextAttempt.Equal(t0.Add(time.Hour)) {
			t.Errorf("quarantine %+v", q)
		}
	})
	t.Run("target unreachable", func(t *testing.T) {
		tgt := newMemTarget()
		tgt.fail = func(string, string) error {
			return &url.Error{Op: "Post", URL: "https://druva.example/Users", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
		}
		st := newState()
		_, rep, err := planAndApply(t, tgt, ds, st, true, t0)
		if !errors.Is(err, ErrQuarantined) || len(tgt.calls) != 1 || len(st.Escrows) != 0 || st.Quarantine == nil || st.Quarantine.Reason != quarantineException {
			t.Fatalf("err %v, %d calls, %d escrows, quarantine %+v", err, len(tgt.calls), len(st.Escrows), st.Quarantine)
		}
		_ = rep
	})
	t.Run("an odd answer is no outage", func(t *testing.T) {
		tgt := newMemTarget()
		n := 0
		tgt.fail = func(string, string) error {
			if n++; n == 1 {
				return errors.New("the target created the user but returned no id")
			}
			return nil
		}
		st := newState()
		if _, _, err := planAndApply(t, tgt, ds, st, true, t0); err != nil || len(tgt.users) != 29 {
			t.Fatalf("err %v, %d users", err, len(tgt.users))
		}
	})
	t.Run("half refused", func(t *testing.T) {
		tgt := newMemTarget()
		tgt.fail = func(_, name string) error {
			if name[2]%2 == 1 {
				return scim.NewError(400, "invalidValue", "None of the SCIM Mapping matched to create user")
			}
			return nil
		}
		st := newState()
		_, rep, err := planAndApply(t, tgt, ds, st, true, t0, withQuarantine(0.4, 5))
		if err != nil || len(tgt.users) != 15 || len(st.Escrows) != 15 || rep.Summary.Escrowed != 15 {
			t.Fatalf("err %v: %d created, %d escrowed; want the cycle finished with 15 and 15", err, len(tgt.users), len(st.Escrows))
		}
		q := st.Quarantine
		if q == nil || q.Reason != quarantineProportion || q.Cycles != 1 || !rep.Summary.Quarantined {
			t.Fatalf("quarantine %+v", q)
		}
		// The quarantine slows the job towards once a day; a cycle without
		// failure ends it.
		now := t0
		for i, wait := range []time.Duration{2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour} {
			now = now.Add(7 * 24 * time.Hour) // every escrow due
			planAndApply(t, tgt, ds, st, true, now, withQuarantine(0.4, 5))
			if q := st.Quarantine; q == nil || q.Cycles != i+2 || !q.Since.Equal(t0) || !q.NextAttempt.Equal(now.Add(wait)) {
				t.Fatalf("cycle %d: quarantine %+v, want next attempt after %v", i+2, q, wait)
			}
		}
		tgt.fail = nil
		planAndApply(t, tgt, ds, st, true, now.Add(7*24*time.Hour), withQuarantine(0.4, 5))
		if st.Quarantine != nil || len(st.Escrows) != 0 {
			t.Fatalf("a cycle without failure left quarantine %+v and %d escrows", st.Quarantine, len(st.Escrows))
		}
	})
}

func TestApplyCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	tgt := newMemTarget()
	n := 0
	tgt.fail = func(string, string) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	}
	ds := []Desired{}
	for i := range 10 {
		ds = append(ds, want(fmt.Sprintf("s%02d", i), fmt.Sprintf("u%02d@x", i), "U", fmt.Sprintf("u%02d@x", i)))
	}
	st := newState()
	p, err := mustPlanner(t).Plan(PlanInput{Desired: ds, State: st, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Apply(ctx, tgt, p, st, WithConcurrency(1), WithClock(fixedClock(t0)))
	if !errors.Is(err, context.Canceled) || !rep.Summary.Canceled {
		t.Fatalf("err %v", err)
	}
	// Every user the target holds is linked, and nothing else.
	if len(st.Links) != len(tgt.users) || len(st.Links) != 3 {
		t.Fatalf("links %d, target users %d", len(st.Links), len(tgt.users))
	}
	if rep.Summary.Statuses[StatusSkipped] != 7 {
		t.Fatalf("summary %+v", rep.Summary)
	}
}

func TestExecutorOptions(t *testing.T) {
	for name, opt := range map[string]Option{
		"concurrency 0": WithConcurrency(0), "nil clock": WithClock(nil),
		"share 0": withQuarantine(0, 1), "minimum 0": withQuarantine(0.5, 0), "nil logger": WithLogger(nil),
		"nil progress": WithProgress(nil),
	} {
		if _, err := newExecutor("test", []Option{opt}); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestPlanApplyConverges is the convergence property: for random sources
// (with unique matching values, as Entra's userPrincipalName is), target
// users (some duplicated, disabled or differing in case) and links,
// applying a plan and planning again yields no write operations.
func TestPlanApplyConverges(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(25)
		perm := rng.Perm(n + 5)
		var users []scim.Resource
		st := newState()
		var ds []Desired
		for i := range n {
			src := fmt.Sprintf("s%02d", i)
			name := fmt.Sprintf("u%02d@contoso.com", perm[i])
			email := name
			if rng.IntN(10) == 0 {
				email = ""
			}
			d := want(src, name, fmt.Sprintf("User %d v%d", i, rng.IntN(3)), email)
			switch rng.IntN(8) {
			case 0:
				d = softDeleted(d, ReasonNotAssigned)
			case 1:
				d.OutOfScope = true
			case 2:
				d.HardDeleted, d.SoftDeleted = true, true
			}
			if rng.IntN(6) != 0 {
				ds = append(ds, d)
			}
			if rng.IntN(2) == 0 {
				uname := name
				if rng.IntN(2) == 0 {
					uname = strings.ToUpper(name)
				}
				u := cur(fmt.Sprintf("x%02d", i), uname, "Someone", fmt.Sprintf("other%d@x", i), rng.IntN(2) == 0)
				users = append(users, u)
				if rng.IntN(2) == 0 {
					st.Links[src] = u.ID()
				}
			}
		}
		for j := range rng.IntN(4) {
			name := fmt.Sprintf("u%02d@contoso.com", rng.IntN(n+5))
			users = append(users, cur(fmt.Sprintf("y%02d", j), name, "Extra", "", rng.IntN(2) == 0))
		}
		if rng.IntN(4) == 0 {
			st.Links["s-gone"] = "no-such-user"
		}
		tgt := newMemTarget(users...)
		full := rng.IntN(2) == 0
		pl := mustPlanner(t, WithPolicy(Policy{Deletes: rng.IntN(2) == 0, DeletionThreshold: -1, MaxSourceShrink: -1}))
		p, err := pl.Plan(PlanInput{Desired: ds, Current: tgt.list(), State: st, Full: full, Now: t0})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if _, err := Apply(t.Context(), tgt, p, st, WithClock(fixedClock(t0)), WithConcurrency(3)); err != nil {
			t.Fatalf("seed %d: apply: %v", seed, err)
		}
		again, err := pl.Plan(PlanInput{Desired: ds, Current: tgt.list(), State: st, Full: full, Now: t0})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if writesOf(again) != 0 {
			t.Fatalf("seed %d: second plan not empty:\nfirst:\n%s\nsecond:\n%s", seed, p.Format(), again.Format())
		}
		for _, op := range again.Operations {
			if op.Link || op.DropLink {
				t.Fatalf("seed %d: second plan still changes links: %+v", seed, op)
			}
		}
	}
}

// Plain creates share their steps; a create that adopted a user after a
// conflict has steps of its own.
func TestCreateSteps(t *testing.T) {
	tgt := newMemTarget()
	tgt.fail = func(method, userName string) error {
		if method == "create" && userName == "c@contoso.com" {
			// Someone created c after the plan was made: the create meets a
			// 409 and adopts the user. tgt.mu is held.
			tgt.users["d0900"] = cur("d0900", "c@contoso.com", "C", "c@contoso.com", true)
		}
		return nil
	}
	ds := []Desired{
		want("s1", "a@contoso.com", "A", "a@contoso.com"),
		want("s2", "b@contoso.com", "B", "b@contoso.com"),
		want("s3", "c@contoso.com", "C", "c@contoso.com"),
	}
	_, rep, err := planAndApply(t, tgt, ds, &State{}, true, t0)
	if err != nil {
		t.Fatal(err)
	}
	plain := []Step{{Name: stepImport, Status: StatusSuccess}, {Name: stepScope, Status: StatusSuccess, Detail: "in scope"},
		{Name: stepMatch, Status: StatusSuccess, Detail: "no match"}, {Name: stepAction, Status: StatusSuccess, Detail: "created"}}
	for _, e := range rep.Entries {
		switch e.SourceID {
		case "s1", "s2":
			if !slices.Equal(e.Steps, plain) {
				t.Errorf("%s: steps %+v, want %+v", e.SourceID, e.Steps, plain)
			}
		case "s3":
			if last := e.Steps[len(e.Steps)-1]; !strings.Contains(last.Detail, "adopted existing user d0900") {
				t.Errorf("s3: steps %+v, want the adoption", e.Steps)
			}
		}
	}
}
