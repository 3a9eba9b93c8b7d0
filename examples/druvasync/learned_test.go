package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra/entratest"
)

// TestNextRunStartsFromLearnedRate: the Druva client of a run starts from
// the rate the state keeps (State.LearnedRate), bounded by --rate; with
// nothing kept it starts from the client's default.
func TestNextRunStartsFromLearnedRate(t *testing.T) {
	ctx := t.Context()
	vars := map[string]string{"DRUVA_TOKEN": "t0ken-for-a-loopback-test"}
	env := &environment{getenv: func(k string) string { return vars[k] }}
	store, err := druvascim.NewFileStore(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	client := func(f *syncFlags) float64 {
		t.Helper()
		f.druvaURL = "http://127.0.0.1:1/scim"
		c, err := f.druvaClient(env)
		if err != nil {
			t.Fatal(err)
		}
		c, err = f.startFromLearnedRate(ctx, env, store, c)
		if err != nil {
			t.Fatal(err)
		}
		return c.LearnedRate()
	}
	fresh := client(&syncFlags{})
	if fresh <= 0 {
		t.Fatalf("a fresh client's rate %v", fresh)
	}
	if err := store.Save(ctx, &druvascim.State{LearnedRate: 37}); err != nil {
		t.Fatal(err)
	}
	if got := client(&syncFlags{}); got != 37 {
		t.Errorf("kept rate 37: the client starts at %v", got)
	}
	if got := client(&syncFlags{rate: 12, rateGiven: true}); got != 12 {
		t.Errorf("kept rate 37 with --rate 12: the client starts at %v, want the ceiling 12", got)
	}
	if got := client(&syncFlags{rate: 50, rateGiven: true}); got != 37 {
		t.Errorf("kept rate 37 with --rate 50: the client starts at %v, want 37", got)
	}
}

// TestLearnedRateKeptInState: against a Druva that limits at R and says
// so in its headers, a sync without --rate keeps about R in the state;
// the next sync with --rate below R keeps the ceiling.
func TestLearnedRateKeptInState(t *testing.T) {
	const r = 25
	g, err := entratest.NewServer(entratest.WithUsers(30), entratest.WithGroups(1), entratest.WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	d, err := druvatest.NewServer(druvatest.WithRateLimit(r, 5), druvatest.WithRateLimitHeaders())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	vars := map[string]string{"DRUVA_TOKEN": d.Token, "GRAPH_TOKEN": g.Token}
	path := filepath.Join(t.TempDir(), "state")
	args := []string{"sync", "--state", path, "--druva-url", d.URL, "--graph-url", g.URL, "--service-principal-id", g.ServicePrincipalID}
	kept := func(extra ...string) float64 {
		t.Helper()
		if status, out, errOut := runCLI(t, vars, append(args, extra...)...); status != 0 {
			t.Fatalf("sync %v: status %d\n%s\n%s", extra, status, out, errOut)
		}
		store, err := druvascim.NewFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st.LearnedRate
	}
	if got := kept(); got < 0.9*r || got > r {
		t.Errorf("learned rate kept %v, want about R = %d (the server announced it)", got, r)
	}
	if got := kept("--full", "--rate", "8"); got != 8 {
		t.Errorf("with --rate 8: kept %v, want 8", got)
	}
	if d.Len() == 0 {
		t.Fatal("nothing synced")
	}
}
