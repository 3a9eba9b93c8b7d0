package druvascim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	"github.com/druvascim/druvascim/internal/join"
	"github.com/druvascim/druvascim/internal/parallel"
	"golang.org/x/sync/errgroup"
)

// planRun is the working memory of one Plan call. The rule files read it:
// plan_match.go (which target user an object is), plan_create.go,
// plan_update.go, plan_deprovision.go, plan_hooks.go and plan_holds.go.
type planRun struct {
	cfg     *planConfig
	in      *PlanInput
	state   *State
	workers int                  // goroutines for the parallel phases
	order   []int32              // the source objects, by source id
	ids     []string             // per target user: its id
	paths   map[string]*attrPath // compiled attribute paths
	links   *join.Links          // the stored links, resolved
	wanted  map[string]map[string]struct{}
	indexes map[string]*join.Index
	creates map[string]string // matching path + value → the object creating a user with it
	claimed map[int]string    // target user → the object that matched it by value
}

// link is what became of one source object's stored link.
type link struct {
	target int         // the target user's index when status is join.Linked
	status join.Status // Unlinked, Linked or Stale (the target user is gone)
}

// parallelFrom is the number of objects from which planning is parallel.
const parallelFrom = 50_000

// newRun checks the input's size, orders the source objects by id and reads
// the target users' ids.
func newRun(cfg *planConfig, in *PlanInput) (*planRun, error) {
	if len(in.Current) > 1<<31-2 || len(in.Desired) > 1<<31-2 {
		return nil, errors.New("druvascim: plan: too many objects")
	}
	st := in.State
	if st == nil {
		st = newState()
	}
	r := &planRun{
		cfg: cfg, in: in, state: st,
		paths:   map[string]*attrPath{},
		indexes: map[string]*join.Index{},
		creates: map[string]string{},
		claimed: map[int]string{},
	}
	r.order = make([]int32, len(in.Desired))
	for i := range r.order {
		r.order[i] = int32(i)
	}
	less := func(a, b int32) int { return strings.Compare(in.Desired[a].SourceID, in.Desired[b].SourceID) }
	if !slices.IsSortedFunc(r.order, less) {
		slices.SortFunc(r.order, less)
	}
	n := max(len(in.Desired), len(in.Current), len(st.Links))
	r.workers = cmp.Or(cfg.workers, parallel.Workers(n, parallelFrom, min(runtime.GOMAXPROCS(0), 8)))
	return r, r.readIDs()
}

// readIDs reads every target user's id; a user without one is bad input.
func (r *planRun) readIDs() error {
	r.ids = make([]string, len(r.in.Current))
	errs := make([]error, r.workers)
	err := r.chunks(len(r.in.Current), func(c, lo, hi int) error {
		for i := lo; i < hi; i++ {
			if r.ids[i] = r.in.Current[i].ID(); r.ids[i] == "" {
				errs[c] = fmt.Errorf("druvascim: plan: current target user #%d has no id", i)
				return errs[c]
			}
		}
		return nil
	})
	return firstError(errs, err)
}

// chunks runs fn over [0, n) in r.workers chunks (see parallel.Chunks).
func (r *planRun) chunks(n int, fn func(c, lo, hi int) error) error {
	return parallel.Chunks(context.Background(), n, r.workers, func(_ context.Context, c, lo, hi int) error { return fn(c, lo, hi) })
}

// firstError returns the error of the first chunk that failed, so that bad
// input is reported the same way whatever the number of workers.
func firstError(perChunk []error, err error) error {
	for _, e := range perChunk {
		if e != nil {
			return e
		}
	}
	return err
}

// desired returns the source object at position n of the id order.
func (r *planRun) desired(n int) *Desired { return &r.in.Desired[r.order[n]] }

// linkOf returns what became of the stored link of the object at position n.
func (r *planRun) linkOf(n int) link {
	i, s := r.links.Of(n)
	return link{target: i, status: s}
}

// checkObjects checks that every source object has an id and no id appears
// twice, and compiles the paths of the objects' updates.
func (r *planRun) checkObjects() error {
	parts := make([]map[string]*attrPath, r.workers)
	errs := make([]error, r.workers)
	err := r.chunks(len(r.order), func(c, lo, hi int) error {
		parts[c], errs[c] = r.checkChunk(lo, hi)
		return errs[c]
	})
	if err := firstError(errs, err); err != nil {
		return err
	}
	for _, part := range parts {
		maps.Copy(r.paths, part)
	}
	return nil
}

func (r *planRun) checkChunk(lo, hi int) (map[string]*attrPath, error) {
	paths := map[string]*attrPath{}
	var prev []assignment
	for n := lo; n < hi; n++ {
		d := r.desired(n)
		if d.SourceID == "" {
			return nil, fmt.Errorf("druvascim: plan: source object #%d has no id", r.order[n])
		}
		if n > 0 && r.desired(n-1).SourceID == d.SourceID {
			return nil, fmt.Errorf("druvascim: plan: source id %q appears twice", d.SourceID)
		}
		// Mapping sets give every object the same paths: compile each once.
		for j, a := range d.Update {
			if j < len(prev) && prev[j].Path == a.Path {
				continue
			}
			if _, err := compileInto(paths, a.Path); err != nil {
				return nil, fmt.Errorf("druvascim: plan: mapping of %s: %w", d.SourceID, err)
			}
		}
		for _, a := range d.FillEmpty {
			if _, err := compileInto(paths, a.Path); err != nil {
				return nil, fmt.Errorf("druvascim: plan: mapping of %s: %w", d.SourceID, err)
			}
		}
		prev = d.Update
	}
	return paths, nil
}

// resolveLinks resolves the stored links against the source objects and the
// target users.
func (r *planRun) resolveLinks() error {
	src := make([]string, len(r.order))
	for n := range r.order {
		src[n] = r.desired(n).SourceID
	}
	l, err := join.ResolveLinks(context.Background(), r.state.Links, src, r.ids, r.workers)
	if err != nil {
		return fmt.Errorf("druvascim: plan: %w", err)
	}
	r.links = l
	return nil
}

// orphansAndIndexes plans, on a full read, the linked objects the source no
// longer returned, while the matching indexes of the objects without a live
// link are built.
func (r *planRun) orphansAndIndexes() ([]Operation, error) {
	if err := r.collectWanted(); err != nil {
		return nil, err
	}
	var g errgroup.Group
	g.Go(func() error {
		for _, p := range slices.Sorted(maps.Keys(r.wanted)) {
			if _, _, err := r.index(p); err != nil {
				return err
			}
		}
		return nil
	})
	var orphans []Operation
	if r.in.Full {
		for _, o := range r.links.Orphans() {
			if op, emit := r.planAbsent(o); emit {
				orphans = append(orphans, op)
			}
		}
		slices.SortFunc(orphans, func(a, b Operation) int { return strings.Compare(a.SourceID, b.SourceID) })
	}
	return orphans, g.Wait()
}

// layout makes the plan's operations and returns where each source object's
// operation goes: source objects in id order, merged with the orphans.
func (r *planRun) layout(orphans []Operation) (*Plan, []int32) {
	p := &Plan{Full: r.in.Full, Time: r.in.Now, Operations: make([]Operation, len(r.order)+len(orphans))}
	pos := make([]int32, len(r.order))
	a := 0
	for n := range r.order {
		for a < len(orphans) && orphans[a].SourceID < r.desired(n).SourceID {
			p.Operations[n+a] = orphans[a]
			a++
		}
		pos[n] = int32(n + a)
	}
	for ; a < len(orphans); a++ {
		p.Operations[len(r.order)+a] = orphans[a]
	}
	return p, pos
}

// planObjects plans every source object into its place. Objects with a live
// link do not interact: they are planned in parallel. Objects matched by
// value claim target users in id order: they are planned after, in order.
func (r *planRun) planObjects(p *Plan, pos []int32) error {
	errs := make([]error, r.workers)
	err := r.chunks(len(r.order), func(c, lo, hi int) error {
		var pc pathCache
		for n := lo; n < hi; n++ {
			if l := r.linkOf(n); l.status == join.Linked {
				if p.Operations[pos[n]], errs[c] = r.planOne(r.desired(n), l, &pc); errs[c] != nil {
					return errs[c]
				}
			}
		}
		return nil
	})
	if err := firstError(errs, err); err != nil {
		return err
	}
	var pc pathCache
	for n := range r.order {
		d := r.desired(n)
		if d.inScope() {
			p.InScope++
		}
		if l := r.linkOf(n); l.status != join.Linked {
			if p.Operations[pos[n]], err = r.planOne(d, l, &pc); err != nil {
				return err
			}
		}
	}
	return nil
}

// planOne plans one source object.
func (r *planRun) planOne(d *Desired, l link, pc *pathCache) (Operation, error) {
	op := Operation{SourceID: d.SourceID, DisplayName: displayNameOf(d)}
	if !d.inScope() {
		return r.planOutOfScope(d, l, op)
	}
	if d.MapError != "" {
		op.Action, op.Reason, op.Detail = ActionSkip, ReasonMappingFailed, d.MapError
		if l.status == join.Linked {
			op.TargetID, op.MatchedBy = r.ids[l.target], "link"
		}
		return op, nil
	}
	i, found, err := r.match(d, l, &op)
	if err != nil || op.Action == ActionSkip {
		return op, err
	}
	if found {
		return r.planUpdate(d, op, r.in.Current[i], pc)
	}
	if len(d.Keys) == 0 {
		op.Action, op.Reason = ActionSkip, ReasonMissingMatchingValue
		op.Detail += "the object has no value for any matching attribute"
		return op, nil
	}
	return r.planCreate(d, op)
}

func displayNameOf(d *Desired) string {
	if d.DisplayName != "" {
		return d.DisplayName
	}
	if d.Resource != nil {
		if s, ok := d.Resource["displayName"].(string); ok && s != "" {
			return s
		}
		if s, ok := d.Resource["userName"].(string); ok {
			return s
		}
	}
	return ""
}
