package logstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Prune deletes the entries dated before before, in batches of a few
// thousand so that a cycle writing meanwhile waits at most for one batch,
// then the ended cycles that started before it and hold no entries. It
// returns the number of entries deleted.
func (s *SQLite) Prune(ctx context.Context, before time.Time) (int64, error) {
	if s.readOnly {
		return 0, ErrReadOnly
	}
	var total int64
	for {
		var n int64
		err := s.tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM entries WHERE id IN
				(SELECT id FROM entries WHERE time < ? LIMIT ?)`, before.UnixNano(), s.pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("logstore: prune entries before %s: %w", before.Format(time.RFC3339), err)
		}
		total += n
		if n < int64(s.pruneBatch) {
			break
		}
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM cycles WHERE outcome <> ? AND started < ?
		AND NOT EXISTS (SELECT 1 FROM entries WHERE cycle_id = cycles.id)`, OutcomeRunning, before.UnixNano())
	if err != nil {
		return total, fmt.Errorf("logstore: prune cycles before %s: %w", before.Format(time.RFC3339), err)
	}
	return total, nil
}

// RunPruner prunes at each tick what is older than the retention
// ([WithRetention]), measured from the store's clock ([WithClock]), until
// ctx ends. A
// failed pruning is logged (with [WithLogger]) and tried again at the
// next tick. Run it in its own goroutine, for example with the channel of
// a time.Ticker:
//
//	t := time.NewTicker(time.Hour)
//	defer t.Stop()
//	go store.RunPruner(ctx, t.C)
func (s *SQLite) RunPruner(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			before := s.now().Add(-s.retention)
			n, err := s.Prune(ctx, before)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log(ctx, "log store pruning failed; trying again at the next tick", "error", err)
			case n > 0:
				s.log(ctx, "log store pruned", "entries", n, "before", before)
			}
		}
	}
}

func (s *SQLite) log(ctx context.Context, msg string, args ...any) {
	if s.logger != nil {
		s.logger.InfoContext(ctx, msg, args...)
	}
}
