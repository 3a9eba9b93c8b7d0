package join

import (
	"context"

	"github.com/druvascim/druvascim/internal/parallel"
)

// Index maps the values of one matching attribute to the target users that
// hold them. Build it with [NewIndex].
type Index struct {
	first map[string]int32 // the value's first user
	many  map[string]bool  // values more than one user holds
}

// NewIndex indexes n target users by key(i), the user's normalised value
// (false when the user has none). When want is not nil and holds few values
// compared with n (the steady state: nearly every object is linked), only
// those values are indexed, scanning the users with at most workers
// goroutines; otherwise every value is.
func NewIndex(ctx context.Context, n int, key func(i int) (string, bool), want map[string]struct{}, workers int) *Index {
	x := &Index{many: map[string]bool{}}
	if want == nil || len(want) > n/8 {
		x.first = make(map[string]int32, n)
		for i := range n {
			if k, ok := key(i); ok {
				x.add(k, int32(i))
			}
		}
		return x
	}
	// Each chunk keeps only the wanted values; merging the chunks in order
	// finds the values held more than once, whichever chunks found them.
	parts := make([]*Index, max(workers, 1))
	_ = parallel.Chunks(ctx, n, workers, func(_ context.Context, c, lo, hi int) error {
		part := &Index{first: map[string]int32{}, many: map[string]bool{}}
		for i := lo; i < hi; i++ {
			if k, ok := key(i); ok {
				if _, wanted := want[k]; wanted {
					part.add(k, int32(i))
				}
			}
		}
		parts[c] = part
		return nil
	})
	x.first = make(map[string]int32, len(want))
	for _, part := range parts {
		if part == nil {
			continue
		}
		for k, i := range part.first {
			x.add(k, i)
		}
		for k := range part.many {
			x.many[k] = true
		}
	}
	return x
}

func (x *Index) add(k string, i int32) {
	if _, dup := x.first[k]; dup {
		x.many[k] = true
		return
	}
	x.first[k] = i
}

// Lookup returns the index of the user holding value k and how many users
// hold it: 0, 1, or 2 for more than one.
func (x *Index) Lookup(k string) (i, hits int) {
	first, ok := x.first[k]
	switch {
	case !ok:
		return 0, 0
	case x.many[k]:
		return int(first), 2
	}
	return int(first), 1
}
