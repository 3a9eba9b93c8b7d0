package join

import (
	"context"
	"fmt"
	"hash/maphash"

	"github.com/druvascim/druvascim/internal/parallel"
)

// Status says what became of a source object's stored link.
type Status uint8

const (
	// Unlinked: no stored link names the source object.
	Unlinked Status = iota
	// Linked: the stored link's target user is among the target users.
	Linked
	// Stale: the stored link's target user is gone.
	Stale
)

// Links is the outcome of [ResolveLinks].
type Links struct {
	src, tgt []string // the links, in map iteration order
	at       []int32  // per link: the target user's index; see gone
	gone     []bool   // per link: its target user is not among the users
	probed   []bool   // per link: a source object of this read has it
	linkOf   []int32  // per source object: the link's index, or -1
	owner    []string // per target user: the smallest source id linked to it
	// per source object, what became of its link: read in order by Of, so
	// that the planner's passes do not reach into the links at random.
	target []int32
	status []Status
}

// DuplicateTargetError says that two target users have the same id: the
// target's listing is inconsistent.
type DuplicateTargetError struct {
	ID            string
	First, Second int // the users' indexes
}

func (e *DuplicateTargetError) Error() string {
	return fmt.Sprintf("target user id %q listed twice (users #%d and #%d; the target listing is inconsistent)", e.ID, e.First, e.Second)
}

// ResolveLinks resolves every stored link (source id → target id) against
// the source objects' ids and the target users' ids, with at most workers
// goroutines. Source ids must be unique; two target users with one id are a
// [*DuplicateTargetError].
func ResolveLinks(ctx context.Context, links map[string]string, sourceIDs, targetIDs []string, workers int) (*Links, error) {
	l := &Links{src: make([]string, 0, len(links)), tgt: make([]string, 0, len(links))}
	for s, t := range links {
		l.src = append(l.src, s)
		l.tgt = append(l.tgt, t)
	}
	seed := maphash.MakeSeed()
	hs, ht := hashAll(ctx, seed, l.src, workers), hashAll(ctx, seed, l.tgt, workers)
	hd, hc := hashAll(ctx, seed, sourceIDs, workers), hashAll(ctx, seed, targetIDs, workers)
	if err := l.joinSources(ctx, sourceIDs, hs, hd, workers); err != nil {
		return nil, err
	}
	if err := l.joinTargets(ctx, targetIDs, ht, hc, workers); err != nil {
		return nil, err
	}
	l.settle(ctx, workers)
	return l, nil
}

// settle records, per source object, what became of its link.
func (l *Links) settle(ctx context.Context, workers int) {
	l.target = make([]int32, len(l.linkOf))
	l.status = make([]Status, len(l.linkOf))
	_ = parallel.Chunks(ctx, len(l.linkOf), workers, func(_ context.Context, _, lo, hi int) error {
		for n := lo; n < hi; n++ {
			switch k := l.linkOf[n]; {
			case k < 0:
				l.status[n] = Unlinked
			case l.gone[k]:
				l.status[n] = Stale
			default:
				l.target[n], l.status[n] = l.at[k], Linked
			}
		}
		return nil
	})
}

func hashAll(ctx context.Context, seed maphash.Seed, keys []string, workers int) []uint64 {
	hs := make([]uint64, len(keys))
	_ = parallel.Chunks(ctx, len(keys), workers, func(_ context.Context, _, lo, hi int) error {
		for i := lo; i < hi; i++ {
			hs[i] = maphash.String(seed, keys[i])
		}
		return nil
	})
	return hs
}

// joinSources joins the links with the source objects by source id.
func (l *Links) joinSources(ctx context.Context, ids []string, hs, hd []uint64, workers int) error {
	parts, shift := partitions(max(len(l.src), len(ids)))
	lS, lStart := scatter(hs, parts, shift)
	dS, dStart := scatter(hd, parts, shift)
	l.linkOf = make([]int32, len(ids))
	l.probed = make([]bool, len(l.src))
	return parallel.Chunks(ctx, parts, workers, func(_ context.Context, _, lo, hi int) error {
		t := newTable(l.src, hs)
		for p := lo; p < hi; p++ {
			ls := lS[lStart[p]:lStart[p+1]]
			t.reset(len(ls))
			for _, k := range ls {
				t.insert(k)
			}
			for _, n := range dS[dStart[p]:dStart[p+1]] {
				k, ok := t.find(hd[n], ids[n])
				if !ok {
					l.linkOf[n] = -1
					continue
				}
				l.linkOf[n] = k
				l.probed[k] = true
			}
		}
		return nil
	})
}

// joinTargets joins the links with the target users by target id. Each user
// falls in one partition, so its owner is decided there without locks.
func (l *Links) joinTargets(ctx context.Context, ids []string, ht, hc []uint64, workers int) error {
	parts, shift := partitions(max(len(l.tgt), len(ids)))
	lT, lStart := scatter(ht, parts, shift)
	cT, cStart := scatter(hc, parts, shift)
	l.at = make([]int32, len(l.tgt))
	l.gone = make([]bool, len(l.tgt))
	l.owner = make([]string, len(ids))
	return parallel.Chunks(ctx, parts, workers, func(_ context.Context, _, lo, hi int) error {
		t := newTable(ids, hc)
		for p := lo; p < hi; p++ {
			cs := cT[cStart[p]:cStart[p+1]]
			t.reset(len(cs))
			for _, i := range cs {
				if prev, dup := t.find(hc[i], ids[i]); dup {
					return &DuplicateTargetError{ID: ids[i], First: int(min(prev, i)), Second: int(max(prev, i))}
				}
				t.insert(i)
			}
			for _, k := range lT[lStart[p]:lStart[p+1]] {
				i, ok := t.find(ht[k], l.tgt[k])
				if !ok {
					l.gone[k] = true
					continue
				}
				l.at[k] = i
				if s := l.src[k]; l.owner[i] == "" || s < l.owner[i] {
					l.owner[i] = s
				}
			}
		}
		return nil
	})
}

// Of returns what became of source object n's link: its target user's index
// when Linked.
func (l *Links) Of(n int) (target int, s Status) {
	return int(l.target[n]), l.status[n]
}

// Owner returns the smallest source id linked to target user i, "" when no
// link names it.
func (l *Links) Owner(i int) string { return l.owner[i] }

// Orphan is a stored link that no source object of the read has.
type Orphan struct {
	SourceID, TargetID string
	// Target is the target user's index; Gone is true when no target user
	// has TargetID.
	Target int
	Gone   bool
}

// Orphans returns the links no source object has, in no particular order.
func (l *Links) Orphans() []Orphan {
	var out []Orphan
	for k, probed := range l.probed {
		if !probed {
			out = append(out, Orphan{SourceID: l.src[k], TargetID: l.tgt[k], Target: int(l.at[k]), Gone: l.gone[k]})
		}
	}
	return out
}
