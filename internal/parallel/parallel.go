// Package parallel runs a function over a range of indexes in contiguous
// chunks, with a bounded number of goroutines.
package parallel

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Chunks splits [0, n) into k contiguous chunks of nearly equal size and
// calls fn(ctx, c, lo, hi) for chunk c = [lo, hi), each in its own goroutine;
// with k <= 1 or n < 2 it calls fn(ctx, 0, 0, n) on the calling goroutine.
// Chunk numbers run from 0 to k-1 in index order, so callers can keep one
// result per chunk and merge them in order.
//
// The first error returned by fn wins: the context given to the other
// chunks is canceled, and Chunks returns that error once every chunk has
// returned. A context that ends before a chunk starts skips it, and Chunks
// returns the context's error.
func Chunks(ctx context.Context, n, k int, fn func(ctx context.Context, c, lo, hi int) error) error {
	if k <= 1 || n < 2 {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(ctx, 0, 0, n)
	}
	g, gctx := errgroup.WithContext(ctx)
	for c := range k {
		lo, hi := c*n/k, (c+1)*n/k
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return fn(gctx, c, lo, hi)
		})
	}
	return g.Wait()
}

// Workers returns how many goroutines to use for n items on max processors:
// one below threshold items (a goroutine costs more than it saves), else
// max.
func Workers(n, threshold, max int) int {
	if n < threshold || max < 1 {
		return 1
	}
	return max
}
