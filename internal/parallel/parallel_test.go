package parallel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChunksCoverRangeInOrder(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{0, 4}, {1, 4}, {10, 1}, {10, 3}, {3, 8}, {1000, 7}} {
		seen := make([]int, tc.n)
		chunks := make([][2]int, max(tc.k, 1))
		err := Chunks(context.Background(), tc.n, tc.k, func(_ context.Context, c, lo, hi int) error {
			chunks[c] = [2]int{lo, hi}
			for i := lo; i < hi; i++ {
				seen[i]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range seen {
			if s != 1 {
				t.Fatalf("n=%d k=%d: index %d seen %d times", tc.n, tc.k, i, s)
			}
		}
		// Chunks are contiguous and in index order.
		prev := 0
		for c, ch := range chunks {
			if tc.k <= 1 || tc.n < 2 {
				break
			}
			if ch[0] != prev {
				t.Fatalf("n=%d k=%d: chunk %d starts at %d, want %d", tc.n, tc.k, c, ch[0], prev)
			}
			prev = ch[1]
		}
	}
}

func TestChunksFirstErrorWins(t *testing.T) {
	boom := errors.New("boom")
	var canceled atomic.Int32
	release := make(chan struct{})
	err := Chunks(context.Background(), 100, 4, func(ctx context.Context, c, lo, hi int) error {
		if c == 2 {
			close(release)
			return boom
		}
		<-release
		<-ctx.Done() // the failing chunk cancels the others
		canceled.Add(1)
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	// Chunks that started wait for the cancellation (else the test would
	// hang); chunks not yet started are skipped.
	if got := canceled.Load(); got > 3 {
		t.Fatalf("%d chunks saw the cancellation, want at most 3", got)
	}
}

func TestChunksCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Int32
	for _, k := range []int{1, 4} {
		err := Chunks(ctx, 100, k, func(context.Context, int, int, int) error { ran.Add(1); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("k=%d: err = %v", k, err)
		}
	}
	if ran.Load() != 0 {
		t.Fatalf("%d chunks ran after cancellation", ran.Load())
	}
}

func TestWorkers(t *testing.T) {
	got := []int{Workers(10, 100, 8), Workers(100, 100, 8), Workers(100, 100, 0)}
	if d := cmp.Diff([]int{1, 8, 1}, got); d != "" {
		t.Fatal(d)
	}
}
