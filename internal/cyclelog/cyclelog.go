package cyclelog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/logstore"
)

// Requests counts the HTTP requests a cycle made.
type Requests struct {
	Druva, Graph int64
}

// Option adjusts what [Record] writes.
type Option func(*options) error

type options struct {
	kind logstore.CycleKind
	now  func() time.Time
}

// WithKind sets the cycle's kind (for example [logstore.KindRestart] for
// the cycle an operator's restart started); by default a full read is
// initial and any other incremental.
func WithKind(k logstore.CycleKind) Option {
	return func(o *options) error {
		switch k {
		case logstore.KindInitial, logstore.KindIncremental, logstore.KindRestart:
			o.kind = k
			return nil
		}
		return fmt.Errorf("cyclelog: WithKind(%q): use initial, incremental or restart", k)
	}
}

// WithClock dates a cycle that ended before producing a report (default
// time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("cyclelog: WithClock(nil): pass a clock or leave the option out")
		}
		o.now = now
		return nil
	}
}

// Record writes one finished cycle of tenant: the cycle with its kind, its
// counts and its outcome, and the report's entries in one transaction. rep
// may be nil when the cycle failed before producing a report; cycleErr is
// the error the cycle returned. It returns the cycle's id in the store.
// A program that wants a cycle killed midway to show as interrupted
// records it with [Begin] and [Finish] instead.
func Record(ctx context.Context, store logstore.Store, tenant string, rep *druvascim.Report, cycleErr error, reqs Requests, opts ...Option) (int64, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		if opt == nil {
			return 0, errors.New("cyclelog: Record: nil option")
		}
		if err := opt(&o); err != nil {
			return 0, err
		}
	}
	start, end := o.now(), o.now()
	if rep != nil && !rep.Summary.Started.IsZero() {
		start, end = rep.Summary.Started, rep.Summary.Started
		if rep.Summary.Finished.After(start) {
			end = rep.Summary.Finished
		}
	}
	id, err := Begin(ctx, store, tenant, cmpKind(o.kind, rep), start)
	if err != nil {
		return 0, err
	}
	return id, Finish(ctx, store, id, rep, cycleErr, reqs, end)
}

// Begin records that a cycle of tenant of the given kind started: until
// [Finish] records its end, the store shows it running, and a store
// reopened after the process died marks it interrupted.
func Begin(ctx context.Context, store logstore.Store, tenant string, kind logstore.CycleKind, started time.Time) (int64, error) {
	if store == nil {
		return 0, errors.New("cyclelog: the store is nil")
	}
	id, err := store.BeginCycle(ctx, logstore.CycleStart{Tenant: tenant, Kind: kind, Started: started})
	if err != nil {
		return 0, fmt.Errorf("cyclelog: %w", err)
	}
	return id, nil
}

// Finish records the end of the cycle id that [Begin] started: the
// report's entries in one transaction, then the cycle's counts and outcome
// (see [End]). rep may be nil when the cycle failed before producing one.
func Finish(ctx context.Context, store logstore.Store, id int64, rep *druvascim.Report, cycleErr error, reqs Requests, ended time.Time) error {
	if store == nil {
		return errors.New("cyclelog: the store is nil")
	}
	if rep != nil {
		if entries := Entries(rep); len(entries) > 0 {
			fillUserNames(ctx, store, entries)
			if err := store.AddEntries(ctx, id, entries); err != nil {
				return fmt.Errorf("cyclelog: %w", err)
			}
		}
	}
	if err := store.EndCycle(ctx, id, End(rep, cycleErr, reqs, ended)); err != nil {
		return fmt.Errorf("cyclelog: %w", err)
	}
	return nil
}

func cmpKind(k logstore.CycleKind, rep *druvascim.Report) logstore.CycleKind {
	switch {
	case k != "":
		return k
	case rep != nil && rep.Summary.Full:
		return logstore.KindInitial
	}
	return logstore.KindIncremental
}

// End is the end record of a cycle: interrupted when cycleErr is the
// context's cancellation (a stopping service, Ctrl-C), failed when it is
// any other error (a held plan included: nothing was applied), else
// succeeded; counts by action and status from the report's summary. The
// Druva request count is reqs.Druva, or the report's own count when reqs
// has none.
func End(rep *druvascim.Report, cycleErr error, reqs Requests, ended time.Time) logstore.CycleEnd {
	e := logstore.CycleEnd{Ended: ended, Outcome: logstore.OutcomeSucceeded, Actions: map[string]int{}, Statuses: map[string]int{},
		DruvaRequests: reqs.Druva, GraphRequests: reqs.Graph}
	switch {
	case errors.Is(cycleErr, context.Canceled):
		e.Outcome, e.Error = logstore.OutcomeInterrupted, cycleErr.Error()
	case cycleErr != nil:
		e.Outcome, e.Error = logstore.OutcomeFailed, cycleErr.Error()
	}
	if rep == nil {
		return e
	}
	e.DruvaRequests = cmp.Or(e.DruvaRequests, rep.Summary.Requests)
	for a, n := range maps.All(rep.Summary.Actions) {
		e.Actions[string(a)] = n
	}
	for s, n := range maps.All(rep.Summary.Statuses) {
		e.Statuses[string(s)] = n
	}
	return e
}

// Entries maps a report's entries to log entries, leaving out the
// objects that needed nothing (Entra's provisioning log lists no
// "unchanged" entry). A redacted property keeps no value.
func Entries(rep *druvascim.Report) []logstore.Entry {
	out := make([]logstore.Entry, 0, len(rep.Entries))
	for _, e := range rep.Entries {
		if e.Action == druvascim.ActionSkip && e.Reason == druvascim.ReasonUnchanged {
			continue
		}
		le := logstore.Entry{Time: e.Time, ChangeID: e.ChangeID, SourceID: e.SourceID, DruvaID: e.TargetID,
			DisplayName: e.DisplayName, UserName: userName(e), Action: string(e.Action), Status: string(e.Status),
			Reason: string(e.Reason), ErrorCode: string(e.ErrorCode), Message: e.Message, Detail: e.Detail}
		for _, s := range e.Steps {
			le.Steps = append(le.Steps, logstore.Step{Name: s.Name, Status: string(s.Status), Detail: s.Detail})
		}
		for _, m := range e.Modified {
			pc := logstore.PropertyChange{Path: m.Path, Redacted: m.Redacted}
			if !m.Redacted {
				pc.Old, pc.New = jsonText(m.Old), jsonText(m.New)
			}
			le.Modified = append(le.Modified, pc)
		}
		if le.Time.IsZero() {
			le.Time = rep.Summary.Started
		}
		out = append(out, le)
	}
	return out
}

// jsonText is a modified property's value as JSON text, as the log shows
// it; "(none)" for no value.
func jsonText(v any) string {
	if v == nil {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// userName is the entry's Druva userName when a modified property names
// it (a create, or an update that changes it).
func userName(e druvascim.Entry) string {
	for _, m := range e.Modified {
		if m.Path != "userName" || m.Redacted {
			continue
		}
		if s, ok := m.New.(string); ok {
			return s
		}
	}
	return ""
}

// MaxUserNameLookups bounds how many entries of one cycle [Record] looks up
// in earlier cycles to find their userName.
const MaxUserNameLookups = 5000

// fillUserNames gives entries of linked users without a userName
// (updates, disables and skips, whose report does not carry it) the one an
// earlier entry of the same source object recorded, so that a search by
// UPN finds every entry of a user. A user that was never linked (no Druva
// id: a skip out of scope, every cycle) had no create that named it, so
// its entry costs no lookup. A failed lookup leaves the entry as it is.
func fillUserNames(ctx context.Context, store logstore.Store, entries []logstore.Entry) {
	lookups := 0
	for i := range entries {
		e := &entries[i]
		if e.UserName != "" || e.SourceID == "" || e.DruvaID == "" {
			continue
		}
		if lookups++; lookups > MaxUserNameLookups {
			return
		}
		for prev, err := range store.Entries(ctx, logstore.Query{User: e.SourceID, Limit: 20}) {
			if err != nil {
				break
			}
			if prev.SourceID == e.SourceID && prev.UserName != "" {
				e.UserName = prev.UserName
				break
			}
		}
	}
}
