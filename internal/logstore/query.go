package logstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"

	"golang.org/x/text/cases"
)

// where builds a WHERE clause from fixed fragments; every value is a bound
// parameter.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// String is the WHERE clause, or "" when nothing filters.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func (q Query) where() (*where, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("%w: limit %d is negative", ErrInvalid, q.Limit)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return nil, fmt.Errorf("%w: since (%s) is not before until (%s)", ErrInvalid,
			q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339))
	}
	w := &where{}
	if u := key(cases.Fold(), q.User); u != "" {
		// Each branch repeats its partial index's condition, so that
		// SQLite can use the index with a bound value.
		w.add(`((name_key = ? AND name_key <> '') OR (user_key = ? AND user_key <> '')
			OR (source_key = ? AND source_key <> '') OR (druva_key = ? AND druva_key <> ''))`, u, u, u, u)
	}
	if q.Action != "" {
		w.add(`action = ?`, q.Action)
	}
	if q.Status != "" {
		w.add(`status = ?`, q.Status)
	}
	if q.Reason != "" {
		w.add(`((reason = ? AND reason <> '') OR (error_code = ? AND error_code <> ''))`, q.Reason, q.Reason)
	}
	if q.CycleID != 0 {
		w.add(`cycle_id = ?`, q.CycleID)
	}
	if q.Tenant != "" {
		w.add(`cycle_id IN (SELECT id FROM cycles WHERE tenant = ?)`, q.Tenant)
	}
	if !q.Since.IsZero() {
		w.add(`time >= ?`, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		w.add(`time < ?`, q.Until.UnixNano())
	}
	return w, nil
}

func limit(n int) int {
	if n == 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

const entryColumns = `id, cycle_id, time, change_id, source_id, druva_id, display_name,
	user_name, action, status, reason, error_code, message, detail, steps, modified`

// Entries lists one page of entries matching q, newest first. The page is
// read in full before the first entry is yielded, so a slow consumer holds
// no database snapshot.
func (s *SQLite) Entries(ctx context.Context, q Query) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		query, args, err := entriesSQL(q)
		if err != nil {
			yield(Entry{}, fmt.Errorf("logstore: entries: %w", err))
			return
		}
		page, err := s.readEntries(ctx, query, args...)
		if err != nil {
			yield(Entry{}, fmt.Errorf("logstore: entries: %w", err))
			return
		}
		for _, e := range page {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// entriesSQL is the query of one page of entries.
func entriesSQL(q Query) (string, []any, error) {
	w, err := q.where()
	if err != nil {
		return "", nil, err
	}
	if q.Before > 0 {
		w.add(`id < ?`, q.Before)
	}
	// The page's ids are chosen first, from the indexes alone (every
	// index holds the id), and only then are the page's rows read: a
	// filter that matches thousands of entries sorts thousands of ids,
	// not thousands of rows.
	return `SELECT ` + entryColumns + ` FROM entries WHERE id IN (SELECT id FROM entries` + w.String() +
			` ORDER BY id DESC LIMIT ?) ORDER BY id DESC`,
		append(w.args, limit(q.Limit)), nil
}

func (s *SQLite) readEntries(ctx context.Context, query string, args ...any) ([]Entry, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		page = append(page, e)
	}
	return page, rows.Err()
}

func scanEntry(rows *sql.Rows) (Entry, error) {
	var e Entry
	var t int64
	var steps, modified string
	err := rows.Scan(&e.ID, &e.CycleID, &t, &e.ChangeID, &e.SourceID, &e.DruvaID, &e.DisplayName,
		&e.UserName, &e.Action, &e.Status, &e.Reason, &e.ErrorCode, &e.Message, &e.Detail, &steps, &modified)
	if err != nil {
		return Entry{}, err
	}
	e.Time = time.Unix(0, t).UTC()
	if err := json.Unmarshal([]byte(steps), &e.Steps); err != nil {
		return Entry{}, fmt.Errorf("entry %d: steps: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(modified), &e.Modified); err != nil {
		return Entry{}, fmt.Errorf("entry %d: modified properties: %w", e.ID, err)
	}
	if len(e.Steps) == 0 {
		e.Steps = nil
	}
	if len(e.Modified) == 0 {
		e.Modified = nil
	}
	return e, nil
}

// Follow yields entries matching q with an ID above after, oldest first:
// those already written, then, at each tick, those written since. It ends
// when ctx ends (without an error), the consumer stops, or a query fails.
// q.Before and q.Limit are ignored.
func (s *SQLite) Follow(ctx context.Context, q Query, after int64, tick <-chan time.Time) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		w, err := q.where()
		if err != nil {
			yield(Entry{}, fmt.Errorf("logstore: follow: %w", err))
			return
		}
		w.add(`id > ?`, nil) // the cursor: its value is set per poll
		query := `SELECT ` + entryColumns + ` FROM entries` + w.String() + ` ORDER BY id LIMIT ?`
		for {
			w.args[len(w.args)-1] = after
			page, err := s.readEntries(ctx, query, append(w.args, MaxLimit)...)
			if err != nil {
				if ctx.Err() == nil {
					yield(Entry{}, fmt.Errorf("logstore: follow: %w", err))
				}
				return
			}
			for _, e := range page {
				after = e.ID
				if !yield(e, nil) {
					return
				}
			}
			if len(page) == MaxLimit {
				continue // more are waiting: no need to wait for a tick
			}
			select {
			case <-ctx.Done():
				return
			case <-tick:
			}
		}
	}
}

const cycleColumns = `id, tenant, kind, started, COALESCE(ended, 0), outcome, actions, statuses,
	druva_requests, graph_requests, error, entries`

// Cycle returns the cycle with the given id.
func (s *SQLite) Cycle(ctx context.Context, id int64) (Cycle, error) {
	cs, err := s.readCycles(ctx, `SELECT `+cycleColumns+` FROM cycles WHERE id = ?`, id)
	if err != nil {
		return Cycle{}, fmt.Errorf("logstore: cycle %d: %w", id, err)
	}
	if len(cs) == 0 {
		return Cycle{}, fmt.Errorf("%w: cycle %d", ErrNotFound, id)
	}
	return cs[0], nil
}

// Cycles lists cycles newest first, one page of at most q.Limit.
func (s *SQLite) Cycles(ctx context.Context, q CycleQuery) iter.Seq2[Cycle, error] {
	return func(yield func(Cycle, error) bool) {
		if q.Limit < 0 {
			yield(Cycle{}, fmt.Errorf("%w: cycles: limit %d is negative", ErrInvalid, q.Limit))
			return
		}
		w := &where{}
		if q.Tenant != "" {
			w.add(`tenant = ?`, q.Tenant)
		}
		if q.Before > 0 {
			w.add(`id < ?`, q.Before)
		}
		cs, err := s.readCycles(ctx, `SELECT `+cycleColumns+` FROM cycles`+w.String()+` ORDER BY id DESC LIMIT ?`,
			append(w.args, limit(q.Limit))...)
		if err != nil {
			yield(Cycle{}, fmt.Errorf("logstore: cycles: %w", err))
			return
		}
		for _, c := range cs {
			if !yield(c, nil) {
				return
			}
		}
	}
}

func (s *SQLite) readCycles(ctx context.Context, query string, args ...any) ([]Cycle, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []Cycle
	for rows.Next() {
		var c Cycle
		var started, ended int64
		var actions, statuses string
		err := rows.Scan(&c.ID, &c.Tenant, &c.Kind, &started, &ended, &c.Outcome, &actions, &statuses,
			&c.DruvaRequests, &c.GraphRequests, &c.Error, &c.Entries)
		if err != nil {
			return nil, err
		}
		c.Started = time.Unix(0, started).UTC()
		if ended != 0 {
			c.Ended = time.Unix(0, ended).UTC()
		}
		if err := json.Unmarshal([]byte(actions), &c.Actions); err != nil {
			return nil, fmt.Errorf("cycle %d: actions: %w", c.ID, err)
		}
		if err := json.Unmarshal([]byte(statuses), &c.Statuses); err != nil {
			return nil, fmt.Errorf("cycle %d: statuses: %w", c.ID, err)
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}
