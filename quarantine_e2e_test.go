package druvascim_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/mapping"
)

// refusedTenant is n assigned Entra users, one in every `every` in a
// department no Druva SCIM mapping covers, so that Druva refuses to create
// it (400), and a Syncer between the two on a fake clock.
type refusedTenant struct {
	graph *entratest.Server
	druva *druvatest.Server
	clock *fakeclock.Clock
	store druvascim.StateStore
	sync  *druvascim.Syncer
	ids   []string
}

func newRefusedTenant(t *testing.T, n, every int, opts ...druvascim.Option) *refusedTenant {
	t.Helper()
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(0), entratest.WithGroups(0)))
	t.Cleanup(g.Close)
	d := must[*druvatest.Server](t)(druvatest.NewServer(druvatest.WithMappings(
		druvatest.Mapping{Profile: "Engineering", Attribute: "department", Values: []string{"Engineering"}})))
	t.Cleanup(d.Close)
	rt := &refusedTenant{graph: g, druva: d, clock: fakeclock.New(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))}
	for i := range n {
		dept := "Engineering"
		if i%every == every-1 {
			dept = "Unmapped"
		}
		nick := fmt.Sprintf("u%04d", i)
		id := must[string](t)(g.CreateUser(map[string]any{"userPrincipalName": nick + "@contoso.example",
			"displayName": "User " + nick, "mail": nick + "@contoso.example", "mailNickname": nick, "department": dept}))
		check(t, g.Assign(id))
		rt.ids = append(rt.ids, id)
	}
	set := mapping.DruvaDefault()
	reader := must[*entra.Reader](t)(g.Client(entra.WithAttributes(withAccountEnabled(set.SourceAttributes())...)))
	rt.store = must[druvascim.StateStore](t)(druvascim.NewFileStore(filepath.Join(t.TempDir(), "state")))
	base := []druvascim.Option{druvascim.WithClock(rt.clock.Now), druvascim.WithPolicy(druvascim.Policy{Deletes: true})}
	rt.sync = must[*druvascim.Syncer](t)(druvascim.NewSyncer(reader, d.Client(), set, rt.store, append(base, opts...)...))
	return rt
}

// Half the tenant refused: the cycle goes on, every valid user is created
// in the first cycle, the refused ones are escrowed, and the failure
// proportion puts the job in quarantine for the next cycles.
func TestQuarantineStarvesNoOne(t *testing.T) {
	rt := newRefusedTenant(t, 1000, 2)
	res, err := rt.sync.Run(t.Context())
	if err != nil && !errors.Is(err, druvascim.ErrQuarantined) {
		t.Fatal(err)
	}
	if got := rt.druva.Len(); got != 500 {
		t.Fatalf("%d users created in the first cycle, want all 500 valid ones (err %v)", got, err)
	}
	if err != nil {
		t.Fatalf("a cycle with per-object failures stopped: %v", err)
	}
	sum := res.Report.Summary
	st := must[*druvascim.State](t)(rt.store.Load(t.Context()))
	if len(st.Escrows) != 500 || sum.Escrowed != 500 {
		t.Fatalf("%d escrows, summary says %d; want 500", len(st.Escrows), sum.Escrowed)
	}
	q := st.Quarantine
	if q == nil || q.Reason != "EncounteredEscrowProportionThreshold" || !sum.Quarantined || sum.Quarantine == nil {
		t.Fatalf("quarantine %+v, summary %v %+v", q, sum.Quarantined, sum.Quarantine)
	}
	if !q.Since.Equal(rt.clock.Now()) || !q.NextAttempt.After(rt.clock.Now()) {
		t.Fatalf("quarantine times %+v", q)
	}
}
