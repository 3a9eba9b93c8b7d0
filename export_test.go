package druvascim

import (
	"fmt"
	"time"
)

// withQuarantine sets the quarantine rule of the executor for tests: stop
// applying early when more than share of at least minimum finished
// operations failed (Entra's, the default: 0.4 of 20).
func withQuarantine(share float64, minimum int) Option {
	return execOpt("withQuarantine", func(c *execConfig) error {
		if !(share > 0 && share <= 1) || minimum < 1 {
			return fmt.Errorf("share %v / minimum %d: share must be in (0, 1], minimum at least 1", share, minimum)
		}
		c.share, c.minimum = share, minimum
		return nil
	})
}

// WithQuarantineForTest is withQuarantine for the external tests of this
// directory; it exists only in test builds.
var WithQuarantineForTest = withQuarantine

// WithCheckpointsForTest sets the Syncer's checkpoint batch: a checkpoint
// every ops finished operations or every interval; ops < 0 turns
// checkpoints off. It exists only in test builds.
func WithCheckpointsForTest(ops int, interval time.Duration) Option {
	return syncOpt("WithCheckpointsForTest", func(c *syncConfig) error {
		c.checkpointOps, c.checkpointEvery = ops, interval
		return nil
	})
}
