package logstore

import (
	"context"
	"errors"
	"iter"
	"time"
)

// Store holds provisioning cycles and their log entries. [SQLite] is the
// implementation; the interface lets a shared SQL database hold the log
// later without changing its callers.
//
// A writer opens a cycle with BeginCycle, writes its entries with
// AddEntries (each call is one transaction) and closes it with EndCycle.
// Only one writer may use a store at a time: the process holding the
// tenant's state lock.
type Store interface {
	// BeginCycle records a cycle as running and returns its id.
	BeginCycle(ctx context.Context, c CycleStart) (int64, error)
	// AddEntries writes entries of a running cycle in one transaction:
	// all of them or none.
	AddEntries(ctx context.Context, cycleID int64, entries []Entry) error
	// EndCycle closes a running cycle with its outcome and counts.
	EndCycle(ctx context.Context, cycleID int64, end CycleEnd) error
	// Cycle returns one cycle; [ErrNotFound] when there is none.
	Cycle(ctx context.Context, id int64) (Cycle, error)
	// Cycles lists cycles newest first.
	Cycles(ctx context.Context, q CycleQuery) iter.Seq2[Cycle, error]
	// Entries lists entries matching q, newest first, one page of at most
	// q.Limit; the last entry's ID is the cursor for the next page
	// (q.Before).
	Entries(ctx context.Context, q Query) iter.Seq2[Entry, error]
	// Follow yields entries matching q written after the entry with id
	// after, oldest first, checking for new ones at each tick until ctx
	// ends or the consumer stops.
	Follow(ctx context.Context, q Query, after int64, tick <-chan time.Time) iter.Seq2[Entry, error]
	// Prune deletes entries older than before, and the cycles ended
	// before it that no longer hold entries; it returns the number of
	// entries deleted.
	Prune(ctx context.Context, before time.Time) (int64, error)
	// Size returns the store's size in bytes.
	Size(ctx context.Context) (int64, error)
	// Close releases the store.
	Close() error
}

// CycleKind says why a cycle ran.
type CycleKind string

// Cycle kinds, as Entra names them.
const (
	KindInitial     CycleKind = "initial"
	KindIncremental CycleKind = "incremental"
	KindRestart     CycleKind = "restart"
)

// Outcome is how a cycle ended.
type Outcome string

// Outcomes. OutcomeRunning is the outcome of a cycle not yet ended;
// OutcomeInterrupted marks a cycle whose process ended before EndCycle (set
// when a writer next opens the store).
const (
	OutcomeRunning     Outcome = "running"
	OutcomeSucceeded   Outcome = "succeeded"
	OutcomeFailed      Outcome = "failed"
	OutcomeInterrupted Outcome = "interrupted"
)

// CycleStart describes a cycle as it begins.
type CycleStart struct {
	Tenant  string
	Kind    CycleKind
	Started time.Time
}

// CycleEnd describes a cycle as it ends.
type CycleEnd struct {
	Ended   time.Time
	Outcome Outcome
	// Actions and Statuses count the cycle's entries by action and by
	// status (unchanged objects included, though they have no entry).
	Actions  map[string]int
	Statuses map[string]int
	// DruvaRequests and GraphRequests count the requests the cycle made.
	DruvaRequests int64
	GraphRequests int64
	// Error says why a failed cycle failed.
	Error string
}

// Cycle is one recorded cycle.
type Cycle struct {
	ID            int64          `json:"id"`
	Tenant        string         `json:"tenant"`
	Kind          CycleKind      `json:"kind"`
	Started       time.Time      `json:"started"`
	Ended         time.Time      `json:"ended,omitzero"`
	Outcome       Outcome        `json:"outcome"`
	Actions       map[string]int `json:"actions,omitempty"`
	Statuses      map[string]int `json:"statuses,omitempty"`
	DruvaRequests int64          `json:"druvaRequests"`
	GraphRequests int64          `json:"graphRequests"`
	Error         string         `json:"error,omitempty"`
	// Entries is how many entries the cycle wrote, pruned ones included.
	Entries int64 `json:"entries"`
}

// Duration is how long the cycle ran; 0 while it runs.
func (c Cycle) Duration() time.Duration {
	if c.Ended.IsZero() {
		return 0
	}
	return c.Ended.Sub(c.Started)
}

// Step is one stage of provisioning an object ("Import", "Scope", "Match",
// "Action").
type Step struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// PropertyChange is one modified property, old → new. When Redacted is
// set the store keeps neither value.
type PropertyChange struct {
	Path     string `json:"path"`
	Old      string `json:"old"`
	New      string `json:"new"`
	Redacted bool   `json:"redacted,omitempty"`
}

// Entry is one provisioning-log entry: one object in one cycle.
type Entry struct {
	// ID is assigned by the store, increasing in write order; it is the
	// paging and follow cursor.
	ID      int64     `json:"id"`
	CycleID int64     `json:"cycleId"`
	Time    time.Time `json:"time"`
	// ChangeID is the caller's id for the entry.
	ChangeID    string `json:"changeId,omitempty"`
	SourceID    string `json:"sourceId,omitempty"`
	DruvaID     string `json:"druvaId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	// UserName is the Druva userName, usually the user's UPN.
	UserName string `json:"userName,omitempty"`
	Action   string `json:"action"`
	Status   string `json:"status"`
	// Reason is why an object was skipped, disabled or deleted; ErrorCode
	// is set on failures and warnings.
	Reason    string           `json:"reason,omitempty"`
	ErrorCode string           `json:"errorCode,omitempty"`
	Message   string           `json:"message,omitempty"`
	Detail    string           `json:"detail,omitempty"`
	Steps     []Step           `json:"steps,omitempty"`
	Modified  []PropertyChange `json:"modified,omitempty"`
}

// Query selects entries. Zero fields do not filter; set fields must all
// match. Strings are matched exactly (User case-insensitively) and are
// always bound as parameters, never spliced into SQL.
type Query struct {
	// User matches the display name, userName (UPN), source id or Druva id,
	// ignoring case.
	User   string
	Action string
	Status string
	// Reason matches the reason or the error code.
	Reason string
	// CycleID limits the entries to one cycle.
	CycleID int64
	// Tenant limits the entries to cycles of one tenant.
	Tenant string
	// Since and Until bound the entry time: Since <= time < Until.
	Since, Until time.Time
	// Before is the paging cursor: only entries with a smaller ID.
	Before int64
	// Limit is the page size: [DefaultLimit] when 0, at most [MaxLimit].
	Limit int
}

// CycleQuery selects cycles.
type CycleQuery struct {
	Tenant string
	// Before is the paging cursor: only cycles with a smaller ID.
	Before int64
	// Limit is the number of cycles: [DefaultLimit] when 0, at most
	// [MaxLimit].
	Limit int
}

// Page sizes.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Errors, matched with errors.Is.
var (
	// ErrNotFound: no such cycle.
	ErrNotFound = errors.New("logstore: not found")
	// ErrCycleEnded: entries or an end for a cycle that is not running.
	ErrCycleEnded = errors.New("logstore: cycle is not running")
	// ErrReadOnly: a write to a store opened read-only.
	ErrReadOnly = errors.New("logstore: store is read-only")
	// ErrInvalid: a bad argument (the message names it).
	ErrInvalid = errors.New("logstore: invalid argument")
)
