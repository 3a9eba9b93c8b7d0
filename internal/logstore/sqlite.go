package logstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultRetention is how long entries are kept unless [WithRetention]
// says otherwise: 30 days, as Entra keeps its provisioning logs.
const DefaultRetention = 30 * 24 * time.Hour

// pruneBatch is how many entries one pruning transaction deletes by
// default, so a writer waits at most for one batch.
const pruneBatch = 5000

// SQLite is a [Store] in an embedded SQLite database file (pure Go, no
// cgo), in WAL mode so readers never block the writer.
type SQLite struct {
	db        *sql.DB
	path      string
	readOnly  bool
	retention time.Duration
	now       func() time.Time
	logger    *slog.Logger
	// pruneBatch is how many entries one pruning transaction deletes.
	pruneBatch int
}

var _ Store = (*SQLite)(nil)

// Option configures [Open].
type Option func(*options) error

type options struct {
	readOnly    bool
	retention   time.Duration
	now         func() time.Time
	logger      *slog.Logger
	busyTimeout time.Duration
}

// WithReadOnly opens the store for queries only: it writes nothing, not
// even the interrupted marks, so a reader (`druvasync logs`) can open the
// store of a running service.
func WithReadOnly() Option {
	return func(o *options) error { o.readOnly = true; return nil }
}

// WithRetention sets how long [SQLite.RunPruner] keeps entries (default
// [DefaultRetention]).
func WithRetention(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithRetention(%v): the retention must be positive", ErrInvalid, d)
		}
		o.retention = d
		return nil
	}
}

// WithClock sets the clock that dates interrupted cycles (default
// time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil): pass a clock or leave the option out", ErrInvalid)
		}
		o.now = now
		return nil
	}
}

// WithLogger makes the background pruner report what it deleted and why
// it failed. The store logs nothing without it.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.logger = l; return nil }
}

// WithBusyTimeout sets how long a statement waits for another connection's
// lock before failing (default 10 s).
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("%w: WithBusyTimeout(%v): the timeout cannot be negative", ErrInvalid, d)
		}
		o.busyTimeout = d
		return nil
	}
}

// Open opens (creating it if needed, unless read-only) the store in the
// SQLite file at path. A writer must hold the tenant's state lock: on
// open it marks every cycle still running as interrupted, since its
// process can no longer end it.
func Open(ctx context.Context, path string, opts ...Option) (*SQLite, error) {
	o := options{retention: DefaultRetention, now: time.Now, busyTimeout: 10 * time.Second}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if path == "" {
		return nil, fmt.Errorf("%w: Open: the database path is empty", ErrInvalid)
	}
	db, err := sql.Open("sqlite", dsn(path, o))
	if err != nil {
		return nil, fmt.Errorf("logstore: open %s: %w", path, err)
	}
	s := &SQLite{db: db, path: path, readOnly: o.readOnly, retention: o.retention, now: o.now, logger: o.logger, pruneBatch: pruneBatch}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("logstore: open %s: %w", path, err)
	}
	return s, nil
}

// dsn builds the driver's connection string: WAL, a busy timeout,
// foreign keys, and write transactions that take the lock at BEGIN so two
// connections never deadlock upgrading a read lock.
func dsn(path string, o options) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if o.readOnly {
		q.Set("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

const schemaVersion = 1

var schema = []string{
	`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS cycles (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		tenant TEXT NOT NULL,
		kind TEXT NOT NULL,
		started INTEGER NOT NULL,
		ended INTEGER,
		outcome TEXT NOT NULL,
		actions TEXT NOT NULL DEFAULT '{}',
		statuses TEXT NOT NULL DEFAULT '{}',
		druva_requests INTEGER NOT NULL DEFAULT 0,
		graph_requests INTEGER NOT NULL DEFAULT 0,
		error TEXT NOT NULL DEFAULT '',
		entries INTEGER NOT NULL DEFAULT 0)`,
	`CREATE INDEX IF NOT EXISTS cycles_tenant ON cycles (tenant, id)`,
	`CREATE INDEX IF NOT EXISTS cycles_running ON cycles (outcome) WHERE outcome = 'running'`,
	`CREATE TABLE IF NOT EXISTS entries (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		cycle_id INTEGER NOT NULL REFERENCES cycles (id),
		time INTEGER NOT NULL,
		change_id TEXT NOT NULL,
		source_id TEXT NOT NULL,
		druva_id TEXT NOT NULL,
		display_name TEXT NOT NULL,
		user_name TEXT NOT NULL,
		name_key TEXT NOT NULL,
		user_key TEXT NOT NULL,
		source_key TEXT NOT NULL,
		druva_key TEXT NOT NULL,
		action TEXT NOT NULL,
		status TEXT NOT NULL,
		reason TEXT NOT NULL,
		error_code TEXT NOT NULL,
		message TEXT NOT NULL,
		detail TEXT NOT NULL,
		steps TEXT NOT NULL,
		modified TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS entries_cycle ON entries (cycle_id, id)`,
	`CREATE INDEX IF NOT EXISTS entries_time ON entries (time)`,
	`CREATE INDEX IF NOT EXISTS entries_action ON entries (action, id)`,
	`CREATE INDEX IF NOT EXISTS entries_status ON entries (status, id)`,
	`CREATE INDEX IF NOT EXISTS entries_status_time ON entries (status, time)`,
	`CREATE INDEX IF NOT EXISTS entries_reason ON entries (reason, id) WHERE reason <> ''`,
	`CREATE INDEX IF NOT EXISTS entries_error_code ON entries (error_code, id) WHERE error_code <> ''`,
	`CREATE INDEX IF NOT EXISTS entries_name ON entries (name_key, id) WHERE name_key <> ''`,
	`CREATE INDEX IF NOT EXISTS entries_user ON entries (user_key, id) WHERE user_key <> ''`,
	`CREATE INDEX IF NOT EXISTS entries_source ON entries (source_key, id) WHERE source_key <> ''`,
	`CREATE INDEX IF NOT EXISTS entries_druva ON entries (druva_key, id) WHERE druva_key <> ''`,
}

// init creates the schema (writers), checks its version and marks the
// cycles left running by a dead process as interrupted.
func (s *SQLite) init(ctx context.Context) error {
	if s.readOnly {
		return s.checkVersion(ctx)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, stmt := range schema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO NOTHING`, fmt.Sprint(schemaVersion)); err != nil {
			return fmt.Errorf("record schema version: %w", err)
		}
		if err := versionOK(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE cycles SET outcome = ?, ended = ?,
			error = 'the process ended before the cycle did' WHERE outcome = ?`,
			OutcomeInterrupted, s.now().UnixNano(), OutcomeRunning)
		if err != nil {
			return fmt.Errorf("mark interrupted cycles: %w", err)
		}
		return nil
	})
}

func (s *SQLite) checkVersion(ctx context.Context) error {
	return versionOK(ctx, s.db)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func versionOK(ctx context.Context, q querier) error {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
	if err != nil {
		return fmt.Errorf("read schema version (is this a druvasync log database?): %w", err)
	}
	if v != fmt.Sprint(schemaVersion) {
		return fmt.Errorf("schema version %s, this program reads version %d: use a matching druvasync", v, schemaVersion)
	}
	return nil
}

// tx runs f in one write transaction, committed when f returns nil.
func (s *SQLite) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	return tx.Commit()
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

// Path returns the database file's path.
func (s *SQLite) Path() string { return s.path }

// Size returns the size of the database in bytes (pages in use and free,
// excluding the write-ahead log).
func (s *SQLite) Size(ctx context.Context) (int64, error) {
	var pages, size int64
	if err := s.db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, fmt.Errorf("logstore: size: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return 0, fmt.Errorf("logstore: size: %w", err)
	}
	return pages * size, nil
}
