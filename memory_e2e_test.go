package druvascim_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"weak"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/scim"
)

// planFunc makes a function a druvascim.Planner.
type planFunc func(druvascim.PlanInput) (*druvascim.Plan, error)

func (f planFunc) Plan(in druvascim.PlanInput) (*druvascim.Plan, error) { return f(in) }

// collectedTarget is a Target that, at its first create, collects garbage
// and reports whether the objects probed are gone.
type collectedTarget struct {
	druvascim.Target
	probe func() (desiredGone, currentGone bool)
	once  sync.Once
	gone  [2]bool
}

func (c *collectedTarget) CreateUser(ctx context.Context, u scim.Resource) (scim.Resource, error) {
	c.once.Do(func() {
		runtime.GC()
		c.gone[0], c.gone[1] = c.probe()
	})
	return c.Target.CreateUser(ctx, u)
}

// The writes run without the read: once the plan is made, the cycle keeps
// neither the mapped source objects nor the target's listed users from the
// collector (only what the plan itself holds), so that a large tenant's
// read is not marked again and again while the writes run.
func TestWritesDoNotHoldTheRead(t *testing.T) {
	f := newFixture(t)
	var desired weak.Pointer[druvascim.Desired]
	var current weak.Pointer[scim.Resource]
	inner := must[druvascim.Planner](t)(druvascim.NewPlanner())
	planner := planFunc(func(in druvascim.PlanInput) (*druvascim.Plan, error) {
		if len(in.Desired) == 0 || len(in.Current) == 0 {
			t.Fatalf("%d desired, %d current: the fixture should give both", len(in.Desired), len(in.Current))
		}
		desired, current = weak.Make(&in.Desired[0]), weak.Make(&in.Current[0])
		return inner.Plan(in)
	})
	target := &collectedTarget{Target: f.druva.Client(), probe: func() (bool, bool) {
		return desired.Value() == nil, current.Value() == nil
	}}
	s := must[*druvascim.Syncer](t)(druvascim.NewSyncer(f.reader, target, f.set, f.store, druvascim.WithPlanner(planner)))
	res := must[*druvascim.Result](t)(s.Run(t.Context()))
	if res.Plan.Counts[druvascim.ActionCreate] == 0 {
		t.Fatal("no create: the probe never ran")
	}
	if !target.gone[0] || !target.gone[1] {
		t.Errorf("while writing, the source objects were collected: %v; the target's users: %v; want both", target.gone[0], target.gone[1])
	}
}
