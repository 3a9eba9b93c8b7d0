package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/mapping"
)

func demoCommand() command {
	return command{
		name:    "demo",
		args:    "[--users N] [--groups N] [--faults RATE] [--json] [--serve [--addr HOST:PORT]]",
		summary: "a full sync on embedded fakes: initial cycle, tenant changes, incremental cycle",
		help: `
Starts a fake Entra tenant and a fake Druva in this process (no credentials, no
network beyond loopback), runs the initial cycle, changes the tenant the way
real life does (a user unassigned, one renamed, one disabled, one deleted, one
new hire), runs an incremental cycle, approves the disables it held, checks
that a last plan has nothing left to do, and prints what happened. The demo's
deletion threshold is 2, so that the incremental cycle's three disables are
held while the rename and the new hire are applied, as --max-deletes does.

Examples:
  druvasync demo
  druvasync demo --users 10000 --groups 200
  druvasync demo --faults 0.05      # Druva answers 5 % of requests with 429/5xx or loses the response
  druvasync demo --serve            # then leave the status page running on http://127.0.0.1:8080/

With --serve the demo records its cycles in a provisioning-log database (in a
temporary directory, removed at the end) and then serves the status page,
its API and /metrics on loopback until Ctrl-C or SIGTERM. The page's write
operations (sync now, pause, resume) need an admin token: set
DRUVASYNC_ADMIN_TOKEN to a long random value and enter it on the page.`,
		run: runDemo,
	}
}

// demoCycle is what the demo keeps of one cycle.
type demoCycle struct {
	Name          string                   `json:"name"`
	Summary       druvascim.Summary        `json:"summary"`
	Wall          time.Duration            `json:"wallNs"`
	DruvaRequests map[string]int           `json:"druvaRequestsByMethod"`
	GraphRequests int                      `json:"graphRequests"`
	Notable       []druvascim.Entry        `json:"notable,omitempty"`
	Skips         map[druvascim.Reason]int `json:"skipReasons,omitempty"`
}

// demoFlags are the demo's flags.
type demoFlags struct {
	users, groups int
	faults        float64
	asJSON        bool
	serve         bool
	addr          string
}

// parseDemoFlags parses and checks the demo's flags.
func parseDemoFlags(env *environment, c command, args []string) (demoFlags, int, bool) {
	var f demoFlags
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.IntVar(&f.users, "users", 2000, "users in the fake tenant")
	fs.IntVar(&f.groups, "groups", 50, "groups in the fake tenant")
	fs.Float64Var(&f.faults, "faults", 0, "share of Druva requests that fail (429, 5xx, lost responses), 0..0.5")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&f.serve, "serve", false, "after the cycles, serve the status page until interrupted")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen `ADDRESS` of --serve (loopback only)")
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return f, status, false
	}
	var err error
	switch {
	case f.users < 10 || f.users > 1_000_000:
		err = fmt.Errorf("--users must be between 10 and 1000000, not %d", f.users)
	case f.groups < 0 || f.groups > f.users:
		err = fmt.Errorf("--groups must be between 0 and --users, not %d", f.groups)
	case f.faults < 0 || f.faults > 0.5:
		err = fmt.Errorf("--faults must be between 0 and 0.5, not %g", f.faults)
	}
	if err != nil {
		return f, fail(env, c.name, exitBadInput, err), false
	}
	return f, 0, true
}

// demoRig is the demo's world: a fake tenant, a fake Druva, and a Syncer
// between them keeping its state in memory.
type demoRig struct {
	graph  *entratest.Server
	dv     *druvatest.Server
	store  druvascim.StateStore
	syncer *druvascim.Syncer
	// approver is the same Syncer with the holds approved, as
	// --approve-deletes runs it.
	approver *druvascim.Syncer
	bars     *phaseProgress
	cycles   []demoCycle
	// live is the running cycle's progress; rec, with --serve, records
	// the cycles for the status page.
	live liveProgress
	rec  *demoRecorder
}

// newDemoRig starts the fakes and wires the Syncer; Close stops them. The
// error's exit status is in status.
func newDemoRig(env *environment, f demoFlags) (r *demoRig, status int, err error) {
	r = &demoRig{store: druvascim.NewMemoryStore(), bars: newPhaseProgress(env, !f.asJSON)}
	if r.graph, err = entratest.NewServer(entratest.WithUsers(f.users), entratest.WithGroups(f.groups), entratest.WithSeed(1)); err != nil {
		return nil, exitBadInput, err
	}
	dopts, err := fakeDruvaOptions("127.0.0.1:0", "", 0, f.faults, 1)
	if err == nil {
		r.dv, err = druvatest.NewServer(dopts...)
	}
	if err != nil {
		r.graph.Close()
		return nil, exitBadInput, err
	}
	if err := r.wire(); err != nil {
		r.Close()
		return nil, exitFailures, err
	}
	return r, 0, nil
}

// wire builds the Druva client, the Entra reader and the Syncer.
func (r *demoRig) wire() error {
	client, err := r.dv.NewClient(druva.WithRateLimit(0, 0), druva.WithBackoff(50*time.Millisecond, 2*time.Second))
	if err != nil {
		return err
	}
	set := mapping.DruvaDefault()
	attrs := set.SourceAttributes()
	reader, err := r.graph.Client(entra.WithAttributes(readerAttributes(attrs)...), entraProgress(r.bars.Update))
	if err != nil {
		return err
	}
	policy := druvascim.Policy{DeletionThreshold: demoMaxDeletes}
	r.syncer, err = druvascim.NewSyncer(reader, client, set, r.store,
		druvascim.WithProgress(r.progress), druvascim.WithPolicy(policy))
	if err != nil {
		return err
	}
	policy.ApproveHolds = true
	r.approver, err = druvascim.NewSyncer(reader, client, set, r.store,
		druvascim.WithProgress(r.progress), druvascim.WithPolicy(policy))
	return err
}

// demoMaxDeletes is the demo's deletion threshold: low, so that the
// incremental cycle shows a hold next to an applied new hire.
const demoMaxDeletes = 2

// Close stops the fakes and clears the progress display.
func (r *demoRig) Close() {
	r.bars.Done()
	r.dv.Close()
	r.graph.Close()
	if r.rec != nil {
		r.rec.Close()
	}
}

func runDemo(ctx context.Context, env *environment, args []string) int {
	c := demoCommand()
	f, status, ok := parseDemoFlags(env, c, args)
	if !ok {
		return status
	}
	say := func(format string, a ...any) {
		if !f.asJSON {
			fmt.Fprintf(env.stdout, format, a...)
		}
	}
	started := time.Now()
	r, status, err := newDemoRig(env, f)
	if err != nil {
		return fail(env, c.name, status, err)
	}
	defer r.Close()
	if f.serve {
		if r.rec, err = newDemoRecorder(ctx); err != nil {
			return fail(env, c.name, exitFailures, err)
		}
	}
	say("druvascim demo: a fake Entra tenant with %d users and %d groups, a fake Druva", f.users, f.groups)
	if f.faults > 0 {
		say(" failing %.0f %% of requests", f.faults*100)
	}
	say(", both on loopback (set up in %s).\n\n", time.Since(started).Round(time.Millisecond))

	// Cycle 1: the initial, full cycle. Then real life happens in Entra;
	// cycle 2 reads it incrementally, from the stored delta link, applies
	// the rename and the new hire and holds the disables; cycle 3 approves
	// them; a last plan must have nothing left to do.
	res1, err := r.runCycle(ctx, "initial", r.syncer, false)
	if err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	changes, err := changeTenant(r.graph, res1.Report)
	if err != nil {
		return fail(env, c.name, exitFailures, fmt.Errorf("changing the tenant: %w", err))
	}
	if _, err := r.runCycle(ctx, "incremental", r.syncer, false); err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	if _, err := r.runCycle(ctx, "approved", r.approver, false); err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	res3, err := r.runCycle(ctx, "check (dry run)", r.syncer, true)
	if err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	pending := writes(res3.Plan)
	escrowed := 0
	if st, err := r.store.Load(ctx); err == nil {
		escrowed = len(st.Escrows)
	}
	if f.asJSON {
		env.stdout.Write(jsonIndent(map[string]any{
			"users": f.users, "groups": f.groups, "faults": f.faults,
			"changes": changes, "cycles": r.cycles,
			"converged": pending == 0, "pendingWrites": pending, "escrowed": escrowed,
			"druvaUsers": r.dv.Len(), "druvaServer": r.dv.Stats(),
		}))
	} else {
		printDemo(env.stdout, r.cycles, changes, f.users)
		if pending == 0 {
			say("\nConverged: a last plan has nothing left to write; Druva holds %d users.\n", r.dv.Len())
		} else {
			say("\nNot converged yet: %d writes remain (%d objects escrowed for a later cycle, as Entra escrows failures).\n", pending, escrowed)
		}
	}
	status = exitConverged
	if pending != 0 {
		status = exitFailures
	}
	if f.serve {
		return max(status, serveDemo(ctx, env, r, f.addr))
	}
	return status
}

// progress feeds the progress bars and the status page's live progress.
func (r *demoRig) progress(p druvascim.Progress) {
	r.bars.Update(p)
	r.live.set(&p)
}

// runCycle runs one cycle of s (or a dry run) and keeps what the demo shows
// of it. A cycle whose disables were held is no failure: the demo shows it.
func (r *demoRig) runCycle(ctx context.Context, name string, s *druvascim.Syncer, dry bool) (*druvascim.Result, error) {
	before := r.dv.Stats()
	graphBefore := r.graph.Stats().Requests
	t := time.Now()
	var res *druvascim.Result
	var err error
	r.live.set(&druvascim.Progress{Phase: druvascim.PhaseReadSource})
	if dry {
		res, err = s.DryRun(ctx)
	} else {
		res, err = s.Run(ctx)
	}
	r.live.set(nil)
	r.bars.Done()
	if errors.Is(err, druvascim.ErrHeld) && res != nil && res.Report != nil {
		err = nil // held deprovisions are shown, not a failure
	}
	after := r.dv.Stats()
	dc := demoCycle{Name: name, Wall: time.Since(t),
		DruvaRequests: map[string]int{}, GraphRequests: r.graph.Stats().Requests - graphBefore,
		Skips: map[druvascim.Reason]int{}}
	for m, n := range after.ByMethod {
		if d := n - before.ByMethod[m]; d > 0 {
			dc.DruvaRequests[m] = d
		}
	}
	if r.rec != nil && !dry {
		if rerr := r.rec.record(ctx, res, err, dc); rerr != nil && err == nil {
			err = fmt.Errorf("recording the cycle: %w", rerr)
		}
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	dc.Summary = res.Report.Summary
	for _, e := range res.Report.Entries {
		if e.Action == druvascim.ActionSkip && e.Reason != druvascim.ReasonUnchanged {
			dc.Skips[e.Reason]++
		}
		// The initial cycle's creates are counted, not listed.
		if e.Status == druvascim.StatusFailure || (e.Action != druvascim.ActionSkip && (e.Action != druvascim.ActionCreate || name != "initial")) {
			dc.Notable = append(dc.Notable, e)
		}
	}
	r.cycles = append(r.cycles, dc)
	return res, nil
}

// changeTenant makes the changes of an ordinary day in Entra and describes
// them: a user unassigned, one renamed, one disabled, one soft-deleted, one
// new hire.
func changeTenant(g *entratest.Server, rep *druvascim.Report) ([]string, error) {
	created := map[string]string{} // source id → display name of users created in cycle 1
	for _, e := range rep.Entries {
		if e.Action == druvascim.ActionCreate && e.Status == druvascim.StatusSuccess {
			created[e.SourceID] = e.DisplayName
		}
	}
	direct, err := directOnly(g)
	if err != nil {
		return nil, err
	}
	ids := slices.Sorted(maps.Keys(created))
	pick := func(needDirect bool) (string, error) {
		for i, id := range ids {
			if _, ok := direct[id]; ok || !needDirect {
				ids = slices.Delete(ids, i, i+1)
				return id, nil
			}
		}
		return "", errors.New("the tenant is too small for the demo's changes")
	}
	steps := []struct {
		direct bool
		do     func(id string) (string, error)
	}{
		{true, func(id string) (string, error) {
			for _, a := range direct[id] {
				if err := g.RemoveAssignment(a); err != nil {
					return "", err
				}
			}
			return "unassigned from the Druva app: " + created[id], nil
		}},
		{false, func(id string) (string, error) {
			renamed := created[id] + " (Renamed)"
			return fmt.Sprintf("renamed: %s → %s", created[id], renamed), g.UpdateUser(id, map[string]any{"displayName": renamed})
		}},
		{false, func(id string) (string, error) {
			return "account disabled: " + created[id], g.UpdateUser(id, map[string]any{"accountEnabled": false})
		}},
		{false, func(id string) (string, error) {
			return "deleted (soft, recoverable for 30 days): " + created[id], g.DeleteUser(id)
		}},
	}
	var did []string
	for _, st := range steps {
		id, err := pick(st.direct)
		if err != nil {
			return nil, err
		}
		what, err := st.do(id)
		if err != nil {
			return nil, err
		}
		did = append(did, what)
	}
	if err := newHire(g); err != nil {
		return nil, err
	}
	return append(did, "new hire, assigned to the Druva app: Nina Newhire"), nil
}

// directOnly returns the users assigned only directly (not also through an
// assigned group), with their direct assignments, so that removing those
// really unassigns them.
func directOnly(g *entratest.Server) (map[string][]string, error) {
	direct := map[string][]string{}
	viaGroup := map[string]bool{}
	for _, a := range g.Assignments() {
		switch a.PrincipalType {
		case "User":
			direct[a.PrincipalID] = append(direct[a.PrincipalID], a.ID)
		case "Group":
			users, _, err := g.GroupMembers(a.PrincipalID)
			if err != nil {
				return nil, err
			}
			for _, u := range users {
				viaGroup[u] = true
			}
		}
	}
	for u := range viaGroup {
		delete(direct, u)
	}
	return direct, nil
}

// newHire creates Nina Newhire and assigns her to the app.
func newHire(g *entratest.Server) error {
	hire, err := g.CreateUser(map[string]any{"userPrincipalName": "nina.newhire@contoso.example",
		"displayName": "Nina Newhire", "givenName": "Nina", "surname": "Newhire",
		"mail": "nina.newhire@contoso.example", "mailNickname": "nina.newhire",
		"department": "Sales", "accountEnabled": true})
	if err != nil {
		return err
	}
	_, err = g.AddAssignment(hire, g.AppRoles()[0].ID)
	return err
}

func printDemo(w io.Writer, cycles []demoCycle, changes []string, users int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "\t"
	for _, c := range cycles {
		header += c.Name + "\t"
	}
	fmt.Fprintln(tw, header)
	row := func(label string, f func(c demoCycle) string) {
		line := label + "\t"
		for _, c := range cycles {
			line += f(c) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	kind := func(c demoCycle) string {
		if c.Summary.Full {
			return "full read"
		}
		return "delta read"
	}
	row("source read", kind)
	row("source objects", func(c demoCycle) string { return fmt.Sprint(c.Summary.SourceObjects) })
	for _, a := range []druvascim.Action{druvascim.ActionCreate, druvascim.ActionUpdate, druvascim.ActionDisable, druvascim.ActionDelete, druvascim.ActionStagedDelete, druvascim.ActionSkip} {
		row(string(a), func(c demoCycle) string { return fmt.Sprint(c.Summary.Actions[a]) })
	}
	for _, s := range []druvascim.Status{druvascim.StatusSuccess, druvascim.StatusFailure} {
		row(string(s), func(c demoCycle) string { return fmt.Sprint(c.Summary.Statuses[s]) })
	}
	row("Graph requests", func(c demoCycle) string { return fmt.Sprint(c.GraphRequests) })
	row("Druva requests", func(c demoCycle) string {
		var parts []string
		for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
			if n := c.DruvaRequests[m]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, m))
			}
		}
		if len(parts) == 0 {
			return "0"
		}
		return strings.Join(parts, ", ")
	})
	row("time", func(c demoCycle) string { return c.Wall.Round(time.Millisecond).String() })
	tw.Flush()

	first := cycles[0]
	if len(first.Skips) > 0 {
		fmt.Fprintln(w, "\nSkipped in the initial cycle, and why:")
		for _, r := range slices.Sorted(maps.Keys(first.Skips)) {
			fmt.Fprintf(w, "  %-24s %d\n", r, first.Skips[r])
		}
	}
	if per := first.Wall.Seconds() / float64(users); per > 0 {
		fmt.Fprintf(w, "\nInitial cycle: %.2f ms per user. Entra documents 0.6–4.8 s per user for its initial cycle\n(%s to %s for this tenant), and queries the target once per user.\n",
			per*1000, humanDuration(time.Duration(users)*600*time.Millisecond), humanDuration(time.Duration(users)*4800*time.Millisecond))
	}
	fmt.Fprintln(w, "\nChanges made in Entra between the cycles:")
	for _, c := range changes {
		fmt.Fprintln(w, "  - "+c)
	}
	for _, c := range cycles[1:] {
		if c.Summary.DryRun {
			continue
		}
		fmt.Fprintf(w, "\nProvisioning log of the %s cycle (all but unchanged users):\n", c.Name)
		for _, e := range c.Notable {
			printEntry(w, e)
		}
		if h := c.Summary.Held; h != nil {
			fmt.Fprintf(w, "  held: %d disables waiting for approval (druvasync sync --approve-deletes)\n", h.Disables+h.Deletes)
		}
	}
}

// printEntry prints one provisioning-log entry for people.
func printEntry(w io.Writer, e druvascim.Entry) {
	fmt.Fprintf(w, "  %-12s %-8s %s", e.Action, e.Status, e.DisplayName)
	if e.Reason != "" {
		fmt.Fprintf(w, "  (%s)", e.Reason)
	}
	fmt.Fprintln(w)
	for _, m := range e.Modified {
		fmt.Fprintf(w, "      %s: %s\n", m.Path, changeText(m))
	}
	if e.Status == druvascim.StatusFailure {
		fmt.Fprintf(w, "      error %s: %s\n", e.ErrorCode, e.Message)
	}
}

// fakeDruvaOptions builds the options of a fake Druva: address, token,
// server-side rate limit and a fault rate split between 429s, 5xx and lost
// responses.
func fakeDruvaOptions(addr, token string, rate, faults float64, seed uint64) ([]druvatest.Option, error) {
	if faults < 0 || faults > 1 {
		return nil, fmt.Errorf("--faults must be between 0 and 1, not %g", faults)
	}
	if rate < 0 {
		return nil, fmt.Errorf("--rate must be 0 (no limit) or more, not %g", rate)
	}
	opts := []druvatest.Option{druvatest.WithAddr(addr)}
	if token != "" {
		opts = append(opts, druvatest.WithToken(token))
	}
	if rate > 0 {
		opts = append(opts, druvatest.WithRateLimit(rate, max(1, int(rate/2))))
	}
	if faults > 0 {
		opts = append(opts, druvatest.WithFaults(druvatest.Faults{Seed: seed,
			TooManyRequests: faults * 0.4, ServerErrors: faults * 0.4, ResponseLost: faults * 0.2,
			RetryAfter: time.Second}))
	}
	return opts, nil
}

// humanDuration renders a long duration as hours and minutes.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// writes counts a plan's operations that would change Druva.
func writes(p *druvascim.Plan) int {
	c := p.Counts
	return c[druvascim.ActionCreate] + c[druvascim.ActionUpdate] + c[druvascim.ActionDisable] + c[druvascim.ActionDelete]
}
