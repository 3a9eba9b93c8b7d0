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
		args:    "[--users N] [--groups N] [--faults RATE] [--json]",
		summary: "a full sync on embedded fakes: initial cycle, tenant changes, incremental cycle",
		help: `
Starts a fake Entra tenant and a fake Druva in this process (no credentials, no
network beyond loopback), runs the initial cycle, changes the tenant the way
real life does (a user unassigned, one renamed, one disabled, one deleted, one
new hire), runs an incremental cycle, checks that a third plan has nothing
left to do, and prints what happened.

Examples:
  druvasync demo
  druvasync demo --users 10000 --groups 200
  druvasync demo --faults 0.05      # Druva answers 5 % of requests with 429/5xx or loses the response`,
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

func runDemo(ctx context.Context, env *environment, args []string) int {
	c := demoCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	users := fs.Int("users", 2000, "users in the fake tenant")
	groups := fs.Int("groups", 50, "groups in the fake tenant")
	faults := fs.Float64("faults", 0, "share of Druva requests that fail (429, 5xx, lost responses), 0..0.5")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	switch {
	case *users < 10 || *users > 1_000_000:
		return fail(env, c.name, exitBadInput, fmt.Errorf("--users must be between 10 and 1000000, not %d", *users))
	case *groups < 0 || *groups > *users:
		return fail(env, c.name, exitBadInput, fmt.Errorf("--groups must be between 0 and --users, not %d", *groups))
	case *faults < 0 || *faults > 0.5:
		return fail(env, c.name, exitBadInput, fmt.Errorf("--faults must be between 0 and 0.5, not %g", *faults))
	}
	out := env.stdout
	say := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(out, format, a...)
		}
	}

	started := time.Now()
	graph, err := entratest.NewServer(entratest.WithUsers(*users), entratest.WithGroups(*groups), entratest.WithSeed(1))
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	defer graph.Close()
	dopts, err := fakeDruvaOptions("127.0.0.1:0", "", 0, *faults, 1)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	dv, err := druvatest.New(dopts...)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	defer dv.Close()
	client, err := dv.NewClient(druva.WithRateLimit(0, 0), druva.WithBackoff(50*time.Millisecond, 2*time.Second))
	if err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	set := mapping.DruvaDefault()
	attrs := set.SourceAttributes()
	bars := newPhaseProgress(env, !*asJSON)
	defer bars.Done()
	reader, err := entra.NewReader(entra.StaticToken(graph.Token), entra.WithGraphURL(graph.URL),
		entra.WithServicePrincipalID(graph.ServicePrincipalID), entra.WithAttributes(readerAttributes(attrs)...),
		entra.WithRateLimit(0, 0), entra.WithProgress(bars.Entra))
	if err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	store := &druvascim.MemoryStore{}
	syncer, err := druvascim.NewSyncer(reader, client, set, store,
		druvascim.WithSyncProgress(bars.Update),
		druvascim.WithRequestCounter(func() int64 { return client.Stats().Requests }))
	if err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	say("druvascim demo: a fake Entra tenant with %d users and %d groups, a fake Druva", *users, *groups)
	if *faults > 0 {
		say(" failing %.0f %% of requests", *faults*100)
	}
	say(", both on loopback (set up in %s).\n\n", time.Since(started).Round(time.Millisecond))

	var cycles []demoCycle
	runCycle := func(name string, dry bool) (*druvascim.Result, error) {
		before := dv.Stats()
		graphBefore := graph.Stats().Requests
		t := time.Now()
		var res *druvascim.Result
		var err error
		if dry {
			res, err = syncer.DryRun(ctx)
		} else {
			res, err = syncer.Run(ctx)
		}
		bars.Done()
		if err != nil {
			return res, fmt.Errorf("%s: %w", name, err)
		}
		after := dv.Stats()
		dc := demoCycle{Name: name, Summary: res.Report.Summary, Wall: time.Since(t),
			DruvaRequests: map[string]int{}, GraphRequests: graph.Stats().Requests - graphBefore,
			Skips: map[druvascim.Reason]int{}}
		for m, n := range after.ByMethod {
			if d := n - before.ByMethod[m]; d > 0 {
				dc.DruvaRequests[m] = d
			}
		}
		for _, e := range res.Report.Entries {
			if e.Action == druvascim.ActionSkip && e.Reason != druvascim.ReasonUnchanged {
				dc.Skips[e.Reason]++
			}
			// The initial cycle's creates are counted, not listed.
			if e.Status == druvascim.StatusFailure || (e.Action != druvascim.ActionSkip && (e.Action != druvascim.ActionCreate || name != "initial")) {
				dc.Notable = append(dc.Notable, e)
			}
		}
		cycles = append(cycles, dc)
		return res, nil
	}

	// Cycle 1: the initial, full cycle.
	res1, err := runCycle("initial", false)
	if err != nil {
		return fail(env, c.name, exitFailures, err)
	}

	// Real life happens in Entra.
	changes, err := changeTenant(graph, res1.Report)
	if err != nil {
		return fail(env, c.name, exitFailures, fmt.Errorf("changing the tenant: %w", err))
	}

	// Cycle 2: incremental, from the stored delta link.
	if _, err := runCycle("incremental", false); err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	// Check: a third plan must have nothing left to do.
	res3, err := runCycle("check (dry run)", true)
	if err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	pending := res3.Plan.Writes()
	converged := pending == 0
	escrowed := 0
	if st, err := store.Load(ctx); err == nil {
		escrowed = len(st.Escrows)
	}

	if *asJSON {
		env.stdout.Write(jsonIndent(map[string]any{
			"users": *users, "groups": *groups, "faults": *faults,
			"changes": changes, "cycles": cycles,
			"converged": converged, "pendingWrites": pending, "escrowed": escrowed,
			"druvaUsers": dv.Len(), "druvaServer": dv.Stats(),
		}))
	} else {
		printDemo(out, cycles, changes, *users)
		if converged {
			say("\nConverged: a third plan has nothing left to write; Druva holds %d users.\n", dv.Len())
		} else {
			say("\nNot converged yet: %d writes remain (%d objects escrowed for a later cycle, as Entra escrows failures).\n", pending, escrowed)
		}
	}
	if !converged {
		return exitFailures
	}
	return exitConverged
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
	// Users assigned only directly (not also through an assigned group), so
	// that removing their assignments really unassigns them.
	direct := map[string][]string{} // user id → its direct assignments
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
	var did []string
	id, err := pick(true)
	if err != nil {
		return nil, err
	}
	for _, a := range direct[id] {
		if err := g.RemoveAssignment(a); err != nil {
			return nil, err
		}
	}
	did = append(did, "unassigned from the Druva app: "+created[id])

	id, err = pick(false)
	if err != nil {
		return nil, err
	}
	renamed := created[id] + " (Renamed)"
	if err := g.UpdateUser(id, map[string]any{"displayName": renamed}); err != nil {
		return nil, err
	}
	did = append(did, fmt.Sprintf("renamed: %s → %s", created[id], renamed))

	id, err = pick(false)
	if err != nil {
		return nil, err
	}
	if err := g.UpdateUser(id, map[string]any{"accountEnabled": false}); err != nil {
		return nil, err
	}
	did = append(did, "account disabled: "+created[id])

	id, err = pick(false)
	if err != nil {
		return nil, err
	}
	if err := g.DeleteUser(id); err != nil {
		return nil, err
	}
	did = append(did, "deleted (soft, recoverable for 30 days): "+created[id])

	hire, err := g.CreateUser(map[string]any{"userPrincipalName": "nina.newhire@contoso.example",
		"displayName": "Nina Newhire", "givenName": "Nina", "surname": "Newhire",
		"mail": "nina.newhire@contoso.example", "mailNickname": "nina.newhire",
		"department": "Sales", "accountEnabled": true})
	if err != nil {
		return nil, err
	}
	if _, err := g.AddAssignment(hire, g.AppRoles()[0].ID); err != nil {
		return nil, err
	}
	did = append(did, "new hire, assigned to the Druva app: Nina Newhire")
	return did, nil
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
	for _, a := range []druvascim.Action{druvascim.ActionCreate, druvascim.ActionUpdate, druvascim.ActionDisable, druvascim.ActionDelete, druvascim.ActionSkip} {
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
	if len(cycles) > 1 {
		fmt.Fprintln(w, "\nProvisioning log of the incremental cycle (all but unchanged users):")
		for _, e := range cycles[1].Notable {
			printEntry(w, e)
		}
	}
}

// printEntry prints one provisioning-log entry for people.
func printEntry(w io.Writer, e druvascim.Entry) {
	fmt.Fprintf(w, "  %-8s %-8s %s", e.Action, e.Status, e.DisplayName)
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
