package druvascim

import (
	"context"
	"sync/atomic"
	"time"
)

// A cycle saves its state while it applies (a checkpoint), so a process
// killed in the middle (kill -9, a power cut) loses only the links made
// since the last checkpoint: at most checkpointOps operations, or the
// operations of the last checkpointInterval, whichever is fewer. The next
// cycle adopts the users behind those lost links (by matching, or through
// the 409 of a create), so none is created twice. A memory store gets no
// checkpoints: it is lost with the process they guard against losing.
//
// A large state (more than checkpointLarge links) is saved less often:
// after a save that took d, the next one waits at least checkpointSpacing
// × d, so its checkpoints take at most about a tenth of a cycle's time (an
// initial sync of n users would otherwise spend time growing as n² copying
// and writing ever larger states). Smaller states keep the batch of
// checkpointOps: their saves cost little but a file's fixed cost (a sync
// to disk and a rename).
const (
	checkpointOps      = 100
	checkpointInterval = 5 * time.Second
	checkpointSpacing  = 9
	checkpointLarge    = 20_000
)

// checkpointer saves consistent copies of the state an Apply is writing,
// one at a time, from its own goroutine: every every finished operations
// or every interval, whichever comes first, when something changed. The
// workers never wait for a save; they only wait while the state is copied.
type checkpointer struct {
	save     func(ctx context.Context, st *State) error
	every    int64
	interval time.Duration

	pending  atomic.Int64 // outcomes recorded since the last copy
	kick     chan struct{}
	stop     chan struct{}
	finished chan struct{}
	saves    atomic.Int64 // checkpoints saved, for tests
}

func newCheckpointer(save func(ctx context.Context, st *State) error, every int, interval time.Duration) *checkpointer {
	return &checkpointer{save: save, every: int64(every), interval: interval,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), finished: make(chan struct{})}
}

// note records one finished operation and wakes the saver every every
// operations. It never blocks.
func (c *checkpointer) note() {
	if c == nil {
		return
	}
	if c.pending.Add(1) >= c.every {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// run saves checkpoints of r's state until close is called. A save runs
// without ctx's cancellation: after a cancellation the operations still in
// flight finish and their links are worth keeping. After a save the state
// takes the generation the store wrote, so the cycle's final save is not
// refused as stale; a failed checkpoint is logged and the final save
// decides.
func (c *checkpointer) run(ctx context.Context, r *applyRun) {
	defer close(c.finished)
	ctx = context.WithoutCancel(ctx)
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	var rest time.Duration // how long to wait after the last save
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		case <-tick.C:
		}
		if c.pending.Load() == 0 {
			continue
		}
		if rest > 0 {
			select {
			case <-c.stop:
				return
			case <-time.After(rest):
			}
		}
		start := time.Now()
		r.mu.Lock()
		c.pending.Store(0)
		cp := r.st.clone()
		r.mu.Unlock()
		if err := c.save(ctx, cp); err != nil {
			if r.e.cfg.logger != nil {
				r.e.cfg.logger.Warn("druvascim: checkpoint not saved; the cycle's final save will try again", "err", err.Error())
			}
			continue
		}
		c.saves.Add(1)
		r.mu.Lock()
		r.st.Generation = max(r.st.Generation, cp.Generation)
		r.mu.Unlock()
		rest = 0
		if len(cp.Links) > checkpointLarge {
			rest = checkpointSpacing * time.Since(start)
		}
	}
}

// close stops the saver and waits for a save in progress.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	close(c.stop)
	<-c.finished
}
