package logstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/text/cases"
)

// BeginCycle records a running cycle and returns its id.
func (s *SQLite) BeginCycle(ctx context.Context, c CycleStart) (int64, error) {
	if s.readOnly {
		return 0, ErrReadOnly
	}
	switch {
	case c.Started.IsZero():
		return 0, fmt.Errorf("%w: BeginCycle: the start time is missing", ErrInvalid)
	case c.Kind != KindInitial && c.Kind != KindIncremental && c.Kind != KindRestart:
		return 0, fmt.Errorf("%w: BeginCycle: kind %q is not initial, incremental or restart", ErrInvalid, c.Kind)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO cycles (tenant, kind, started, outcome) VALUES (?, ?, ?, ?)`,
		c.Tenant, c.Kind, c.Started.UnixNano(), OutcomeRunning)
	if err != nil {
		return 0, fmt.Errorf("logstore: begin cycle: %w", err)
	}
	return res.LastInsertId()
}

// AddEntries writes entries of a running cycle in one transaction. Their
// ID and CycleID fields are ignored: the store assigns them. Text that
// looks like a bearer token is masked, and the values of redacted
// properties are dropped.
func (s *SQLite) AddEntries(ctx context.Context, cycleID int64, entries []Entry) error {
	if s.readOnly {
		return ErrReadOnly
	}
	for i, e := range entries {
		if e.Time.IsZero() {
			return fmt.Errorf("%w: AddEntries: entry %d (%q) has no time", ErrInvalid, i, e.ChangeID)
		}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := running(ctx, tx, cycleID); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, insertEntry)
		if err != nil {
			return err
		}
		defer stmt.Close()
		fold := cases.Fold()
		for _, e := range entries {
			if _, err := stmt.ExecContext(ctx, entryArgs(cycleID, scrubEntry(e), fold)...); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE cycles SET entries = entries + ? WHERE id = ?`, len(entries), cycleID)
		return err
	})
	if err != nil {
		return fmt.Errorf("logstore: add %d entries to cycle %d: %w", len(entries), cycleID, err)
	}
	return nil
}

const insertEntry = `INSERT INTO entries (cycle_id, time, change_id, source_id, druva_id,
	display_name, user_name, name_key, user_key, source_key, druva_key, action, status,
	reason, error_code, message, detail, steps, modified)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func entryArgs(cycleID int64, e Entry, fold cases.Caser) []any {
	return []any{cycleID, e.Time.UnixNano(), e.ChangeID, e.SourceID, e.DruvaID,
		e.DisplayName, e.UserName, key(fold, e.DisplayName), key(fold, e.UserName),
		key(fold, e.SourceID), key(fold, e.DruvaID), e.Action, e.Status,
		e.Reason, e.ErrorCode, e.Message, e.Detail, jsonText(e.Steps), jsonText(e.Modified)}
}

// key is the case-folded form a user search matches against.
func key(fold cases.Caser, s string) string {
	return fold.String(strings.TrimSpace(s))
}

func jsonText[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, err := json.Marshal(v)
	if err != nil { // plain structs of strings: cannot fail
		panic(fmt.Sprintf("logstore: encode %T: %v", v, err))
	}
	return string(b)
}

// running returns ErrNotFound or ErrCycleEnded unless the cycle is running.
func running(ctx context.Context, tx *sql.Tx, cycleID int64) error {
	var outcome Outcome
	err := tx.QueryRowContext(ctx, `SELECT outcome FROM cycles WHERE id = ?`, cycleID).Scan(&outcome)
	switch {
	case err == sql.ErrNoRows:
		return fmt.Errorf("%w: cycle %d", ErrNotFound, cycleID)
	case err != nil:
		return err
	case outcome != OutcomeRunning:
		return fmt.Errorf("%w: cycle %d is %s", ErrCycleEnded, cycleID, outcome)
	}
	return nil
}

// EndCycle closes a running cycle.
func (s *SQLite) EndCycle(ctx context.Context, cycleID int64, end CycleEnd) error {
	if s.readOnly {
		return ErrReadOnly
	}
	switch end.Outcome {
	case OutcomeSucceeded, OutcomeFailed, OutcomeInterrupted:
	default:
		return fmt.Errorf("%w: EndCycle: outcome %q is not succeeded, failed or interrupted", ErrInvalid, end.Outcome)
	}
	if end.Ended.IsZero() {
		return fmt.Errorf("%w: EndCycle: the end time is missing", ErrInvalid)
	}
	actions, _ := json.Marshal(nonNil(end.Actions))
	statuses, _ := json.Marshal(nonNil(end.Statuses))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := running(ctx, tx, cycleID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE cycles SET ended = ?, outcome = ?, actions = ?, statuses = ?,
			druva_requests = ?, graph_requests = ?, error = ? WHERE id = ?`,
			end.Ended.UnixNano(), end.Outcome, string(actions), string(statuses),
			end.DruvaRequests, end.GraphRequests, scrub(end.Error), cycleID)
		return err
	})
	if err != nil {
		return fmt.Errorf("logstore: end cycle %d: %w", cycleID, err)
	}
	return nil
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}
